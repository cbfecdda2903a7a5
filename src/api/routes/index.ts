import type { RouteModule } from '../route';
import applyCohort from './cohorts/apply';
import deleteCohort from './cohorts/delete';
import deprecateCohort from './cohorts/deprecate';
import listCohorts from './cohorts/list';
import showCohort from './cohorts/show';
import validateCohorts from './cohorts/validate';
import cohortVersion from './cohorts/version';
import cohortVersions from './cohorts/versions';
import listAudit from './governance/audit-list';
import verifyAudit from './governance/audit-verify';
import cohortHistory from './governance/history';
import notes from './governance/notes';
import explainCohort from './inspect/explain';
import previewCohort from './inspect/preview';
import whyMember from './inspect/why';
import eraseCustomer from './privacy/erase';
import decideRefresh from './refreshes/decide';
import rollbackRefresh from './refreshes/rollback';
import startRefresh from './refreshes/start';
import refreshStatus from './refreshes/status';
import decideRollback from './rollbacks/decide';
import startCohortRollback from './rollbacks/start';
import rollbackStatus from './rollbacks/status';
import runDeliveries from './runs/deliveries';
import reconcileCohort from './runs/reconcile';
import runReport from './runs/report';
import health from './service/health';
import serviceIndex from './service/index';

/** Every route the API serves; the OpenAPI document lists exactly these. */
export const ROUTES: RouteModule[] = [
  serviceIndex,
  health,
  startRefresh,
  refreshStatus,
  decideRefresh,
  rollbackRefresh,
  listCohorts,
  showCohort,
  cohortVersions,
  cohortVersion,
  validateCohorts,
  applyCohort,
  deprecateCohort,
  deleteCohort,
  explainCohort,
  previewCohort,
  whyMember,
  cohortHistory,
  notes,
  listAudit,
  verifyAudit,
  runReport,
  runDeliveries,
  reconcileCohort,
  startCohortRollback,
  rollbackStatus,
  decideRollback,
  eraseCustomer,
];
