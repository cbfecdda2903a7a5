import { freshDatabase } from '../support/db';
import { describeRefreshThroughApi } from './refresh-scenario';

describeRefreshThroughApi('PostgreSQL server, Temporal dev server', () => freshDatabase('e2e'), {
  recordAs: 'refresh-published',
});
