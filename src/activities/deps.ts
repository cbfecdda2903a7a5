import type { Db } from '../data/db';
import type { Keyring } from '../governance/proof-keys';
import type { ApprovalPolicy } from '../shared';
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
  /** Public keys that prove decisions and starts (signed by the API's private key); none: nothing is proven. */
  keyring?: Keyring;
  /** The configured approval policy every run decides by; a worker always has one (createWorker). */
  policy?: ApprovalPolicy;
  /** Whether a workflow is still running; asked when a tier's slot is held by a run that never settled. */
  isRunOpen?: (workflowId: string) => Promise<boolean>;
  /** The outbound HTTP client (address checks at connect time); the process's default when absent. */
  http?: OutboundHttp;
  /** Where activities that append to the audit log sign a checkpoint of its head afterwards. */
  auditCheckpoints?: AuditCheckpointStore;
}
