import type { Db } from '../data/db';
import type { Destination } from '../destinations/destination';
import type { Logger } from '../log';

/** What activities are given; tests pass a real Postgres and a local webhook receiver. */
export interface ActivityDeps {
  db: Db;
  log: Logger;
  sourceDir: string;
  catalogDir: string;
  destinations: Destination[];
}
