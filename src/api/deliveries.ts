import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from '../config';
import type { Db } from '../data/db';
import { deliveryStatus, type DeliveryStatus } from '../delivery/delivery-status';
import { NothingToReconcile, reconcileCohort } from '../delivery/reconcile';
import type { Destination } from '../destinations/destination';
import type { Logger } from '../log';
import type { requireRole } from './auth';
import { ApiRefusal } from './cohorts';

export type { DeliveryStatus };

export interface DeliveryDeps {
  db: Db;
  log: Logger;
  /** The worker's destinations; read when asked, since `npm start` builds them after the API listens. */
  destinations: () => Destination[];
}

const RunParams = z.object({ id: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'a run id (the workflow id)') }).strict();
const CohortParams = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a cohort id') }).strict();
const ReconcileBody = z.object({ destination: z.string().min(1).optional() }).strict();

export function registerDeliveryRoutes(
  app: FastifyInstance,
  deps: DeliveryDeps,
  role: (r: Role) => ReturnType<typeof requireRole>,
): void {
  app.get('/runs/:id/deliveries', { preHandler: role('viewer') }, async (request): Promise<DeliveryStatus> => {
    const { id } = RunParams.parse(request.params);
    return deliveryStatus(deps.db, id);
  });

  app.post('/cohorts/:id/reconcile', { preHandler: role('operator') }, async (request) => {
    const { id } = CohortParams.parse(request.params);
    const body = ReconcileBody.parse(request.body ?? {});
    try {
      return {
        cohortId: id,
        deliveries: await reconcileCohort({ db: deps.db, log: deps.log }, deps.destinations(), {
          cohortId: id,
          destination: body.destination,
        }),
      };
    } catch (err) {
      if (err instanceof NothingToReconcile) throw new ApiRefusal(404, 'not_found', err.message);
      // A destination still failing: the delivery stays pending and the next reconcile resumes it.
      throw new ApiRefusal(502, 'destination_failed', (err as Error).message);
    }
  });
}
