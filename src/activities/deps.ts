import type { Db } from '../data/db';
import type { Destination } from '../destinations/destination';
import type { OutboundHttp } from '../destinations/outbound-http';
import type { AuditCheckpointStore } from '../governance/audit-checkpoints';
import type { Logger } from '../log';
import type { NoticeChannel } from '../notifications/approval-notices';

/** What activities are given; tests pass a real Postgres and a local webhook receiver. */
export interface ActivityDeps {
  db: Db;
  log: Logger;
  sourceDir: string;
  catalogDir: string;
  destinations: Destination[];
  /** Where approval notices go besides the log (file outbox, webhook). */
  notices?: NoticeChannel[];
  /** The outbound HTTP client (address checks at connect time); the process's default when absent. */
  http?: OutboundHttp;
  /** Where activities that append to the audit log sign a checkpoint of its head afterwards. */
  auditCheckpoints?: AuditCheckpointStore;
}
