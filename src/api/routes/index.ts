import type { RouteModule } from '../route';
import applyCohort from './cohorts/apply';
import deleteCohort from './cohorts/delete';
import deprecateCohort from './cohorts/deprecate';
import listCohorts from './cohorts/list';
import cohortMembers from './cohorts/members';
import publishedCohorts from './cohorts/published';
import cohortSizes from './cohorts/sizes';
import cohortTrends from './cohorts/trends';
import showCohort from './cohorts/show';
import validateCohorts from './cohorts/validate';
import cohortVersion from './cohorts/version';
import cohortVersions from './cohorts/versions';
import writeAuditCheckpoint from './governance/audit-checkpoint';
import listAudit from './governance/audit-list';
import verifyAudit from './governance/audit-verify';
import cohortHistory from './governance/history';
import notes from './governance/notes';
import createExperiment from './experiments/create';
import listExperiments from './experiments/list';
import planExperiment from './experiments/plan';
import experimentReport from './experiments/report';
import stopExperiment from './experiments/stop';
import explainCohort from './inspect/explain';
import previewCohort from './inspect/preview';
import whyMember from './inspect/why';
import fitModel from './models/fit';
import modelVersions from './models/list';
import eraseCustomer from './privacy/erase';
import issueProofs from './proofs/issue';
import decideRefresh from './refreshes/decide';
import listRefreshes from './refreshes/list';
import rollbackRefresh from './refreshes/rollback';
import startRefresh from './refreshes/start';
import refreshStatus from './refreshes/status';
import rerunRefresh from './refreshes/rerun';
import decideRollback from './rollbacks/decide';
import startCohortRollback from './rollbacks/start';
import rollbackStatus from './rollbacks/status';
import runDeliveries from './runs/deliveries';
import listDestinations from './runs/destinations';
import reconcileCohort from './runs/reconcile';
import runQuarantine from './runs/quarantine';
import runReport from './runs/report';
import runTimeline from './runs/timeline';
import declareFreeze from './schedules/freeze';
import listSchedules from './schedules/list';
import pauseSchedule from './schedules/pause';
import health from './service/health';
import metrics from './service/metrics';
import serviceIndex from './service/index';
import currentSession from './session/current';
import signIn from './session/sign-in';
import signOut from './session/sign-out';
import promoteShadow from './shadows/promote';
import shadowReport from './shadows/report';
import startShadow from './shadows/start';
import stopShadow from './shadows/stop';

/** Every route the API serves; the OpenAPI document lists exactly these. */
export const ROUTES: RouteModule[] = [
  serviceIndex,
  health,
  metrics,
  startRefresh,
  listRefreshes,
  refreshStatus,
  rerunRefresh,
  decideRefresh,
  rollbackRefresh,
  listCohorts,
  showCohort,
  modelVersions,
  fitModel,
  cohortVersions,
  cohortVersion,
  validateCohorts,
  applyCohort,
  deprecateCohort,
  deleteCohort,
  explainCohort,
  previewCohort,
  whyMember,
  startShadow,
  shadowReport,
  stopShadow,
  promoteShadow,
  cohortHistory,
  cohortSizes,
  cohortTrends,
  cohortMembers,
  publishedCohorts,
  notes,
  listAudit,
  verifyAudit,
  writeAuditCheckpoint,
  runReport,
  runQuarantine,
  runDeliveries,
  runTimeline,
  listDestinations,
  reconcileCohort,
  startCohortRollback,
  rollbackStatus,
  decideRollback,
  eraseCustomer,
  planExperiment,
  createExperiment,
  listExperiments,
  experimentReport,
  stopExperiment,
  issueProofs,
  listSchedules,
  pauseSchedule,
  declareFreeze,
  signIn,
  currentSession,
  signOut,
];
