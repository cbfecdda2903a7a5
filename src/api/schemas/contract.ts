import type { z } from 'zod';
import type { Role } from '../../config';

// A route's contract: method, path, who may call it, and the zod schemas of its parameters,
// query, body and answers. The server registers the route from it (the schemas in the route's
// options, so Fastify validates and the OpenAPI document describes them) and the CLI calls the
// route through it, so a field renamed on one side breaks the build on the other.

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** An answer that is not JSON (e.g. Prometheus text), described by its content type. */
export interface TextAnswer {
  content: Record<string, { schema: z.ZodType }>;
}

export interface RouteSchemas {
  params?: z.ZodType;
  querystring?: z.ZodType;
  body?: z.ZodType;
  response: Record<number, z.ZodType | TextAnswer>;
}

export interface RouteContract<S extends RouteSchemas = RouteSchemas> {
  method: Method;
  url: string;
  /** Who may call it (any one of these roles; admin has every role); null: anyone, no token. */
  roles: readonly Role[] | null;
  summary: string;
  description?: string;
  tags: readonly string[];
  schema: S;
}

/** Declares a contract, keeping its schemas' exact types for the server and the CLI. */
export const route = <const S extends RouteSchemas>(contract: RouteContract<S>): RouteContract<S> => contract;

type SuccessCode<R> = { [K in keyof R]: K extends 200 | 201 | 202 | 204 ? K : never }[keyof R];

/** What a successful call answers, as the client reads it. */
export type Answer<C extends RouteContract> = C['schema']['response'][SuccessCode<
  C['schema']['response']
>] extends z.ZodType
  ? z.output<C['schema']['response'][SuccessCode<C['schema']['response']>]>
  : string;

/** What a caller sends: path parameters, query and body, before the server's defaults. */
export type RouteCall<C extends RouteContract> = (C['schema']['params'] extends z.ZodType
  ? { params: z.input<C['schema']['params']> }
  : { params?: undefined }) &
  (C['schema']['querystring'] extends z.ZodType
    ? { query?: z.input<C['schema']['querystring']> }
    : { query?: undefined }) &
  (C['schema']['body'] extends z.ZodType ? { body: z.input<C['schema']['body']> } : { body?: undefined });
