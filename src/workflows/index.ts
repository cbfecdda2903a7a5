// Everything the worker's workflow bundle registers.
export { refreshCycle } from './refresh-cycle';
export { rollbackCohort } from './rollback-cohort';
