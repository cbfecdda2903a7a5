import { experimentReport as reportOf } from '../../../experiments/experiment-report';
import { routeOptions, type RouteModule } from '../../route';
import { experimentReport, type ExperimentReportBody } from '../../schemas/experiments';
import { summaryOf } from './summary';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(experimentReport, deps.tokens),
    handler: async (request): Promise<ExperimentReportBody> => {
      const asOf = request.query.asOf ? new Date(request.query.asOf) : new Date();
      const view = await reportOf(deps.db, request.params.id, asOf);
      const { report } = view;
      return {
        experiment: summaryOf(view.experiment),
        asOf: view.asOf,
        control: report.control,
        alpha: report.alpha,
        arms: report.arms,
        comparisons: report.comparisons,
        sampleRatio: report.sampleRatio,
        cautions: report.cautions,
        allocations: view.allocations,
        reallocations: view.reallocations,
      };
    },
  });
};
export default route;
