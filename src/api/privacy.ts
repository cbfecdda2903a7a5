import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from '../config';
import type { Db } from '../data/db';
import type { Destination } from '../destinations/destination';
import type { Logger } from '../log';
import { UnknownCustomer, type ErasureReport } from '../privacy/erase';
import { eraseCustomer } from '../privacy/erasure-removes';
import type { requireRole } from './auth';
import { ApiRefusal } from './cohorts';

// Erasure requests. Admin only: erasing is irreversible, and its report names the customer.

export type { ErasureReport };

const EraseBody = z
  .object({
    customerId: z.string().trim().min(1).max(200),
    reason: z.string().trim().min(5, 'say why, e.g. the request reference'),
  })
  .strict();

export function registerPrivacyRoutes(
  app: FastifyInstance,
  deps: { db: Db; log: Logger; destinations: () => Destination[] },
  role: (r: Role) => ReturnType<typeof requireRole>,
): void {
  app.post('/privacy/erasures', { preHandler: role('admin') }, async (request): Promise<ErasureReport> => {
    const body = EraseBody.parse(request.body ?? {});
    try {
      return await eraseCustomer(
        { db: deps.db, log: deps.log, destinations: deps.destinations() },
        { ...body, requestedBy: request.caller!.user },
      );
    } catch (err) {
      if (err instanceof UnknownCustomer) throw new ApiRefusal(404, 'not_found', err.message);
      throw err;
    }
  });
}
