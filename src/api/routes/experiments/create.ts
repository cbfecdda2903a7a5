import { parseExperiment } from '../../../experiments/experiment';
import { createExperiment as create, unknownKpiEvent } from '../../../experiments/experiment-store';
import { InvalidInputError } from '../../../yaml-input';
import { callerOf } from '../../auth';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { createExperiment } from '../../schemas/experiments';
import { summaryOf } from './summary';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(createExperiment, deps.tokens),
    handler: async (request, reply) => {
      let definition;
      try {
        definition = parseExperiment(request.body.yaml, 'experiment.yaml');
      } catch (err) {
        if (err instanceof InvalidInputError) throw ERRORS.invalidDefinition(err.message, err.problems);
        throw err;
      }
      const unknown = await unknownKpiEvent(deps.db, definition);
      if (unknown) throw ERRORS.invalidDefinition(`invalid experiment: ${unknown}`, [`experiment.yaml: ${unknown}`]);
      const created = await create(deps.db, {
        definition,
        createdBy: callerOf(request).user,
        rationale: request.body.rationale,
      });
      request.log.info({ experimentId: definition.id, cohortId: definition.cohort }, 'experiment created');
      return reply.code(201).send(summaryOf(created));
    },
  });
};
export default route;
