import { describeRefreshThroughApi } from './refresh-scenario';

// No DATABASE_URL: `cohortflow start` (npm start's command, in a child process) runs its
// embedded PostgreSQL, exactly as on a fresh machine; the suite ends with Ctrl-C (SIGINT).
describeRefreshThroughApi(
  'embedded PostgreSQL via cohortflow start, Temporal dev server',
  async () => ({ url: undefined, drop: async () => undefined }),
  { asChildProcess: true },
);
