// Everything the worker's workflow bundle registers.
export { refreshCycle } from './refresh-cycle';
