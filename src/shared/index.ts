// Types shared by the workflows, the activities, the API and the CLI. This module imports
// nothing from them, so every layer may depend on it and it depends on none.
export type * from './approval';
export type * from './checks';
export type * from './ingest';
export type * from './progress';
export type * from './refresh';
export type * from './proof';
export type * from './rollback';
export type * from './shadow';
