// How far a run has come. The workflow counts what it orchestrates (cohorts computed, cohorts
// delivered); activities report what happens inside them (files, rows, chunks, batches) in their
// heartbeat details; the client puts both together when someone asks for the status.

export interface Count {
  done: number;
  total: number;
}

/** What the ingest activity heartbeats after every committed chunk and every file. */
export interface IngestHeartbeat {
  kind: 'ingest';
  source: string;
  file?: string;
  files: Count;
  /** Rows committed so far in this attempt, every file together. */
  rows: number;
  /** Chunks (one transaction each) committed so far in this attempt. */
  chunks: number;
  /** When this attempt started: the rate so far is rows / (now − startedAt). */
  startedAt: string;
}

/** What a delivery heartbeats after every acknowledged batch. */
export interface DeliveryHeartbeat {
  kind: 'delivery';
  cohortId: string;
  destination: string;
  batches: Count;
}

export type ProgressHeartbeat = IngestHeartbeat | DeliveryHeartbeat;

/** The activity a stage is waiting on, as Temporal sees it: a stuck or retrying stage says so here. */
export interface ActivityProgress {
  activity: string;
  /** scheduled: waiting for a worker to pick it up (or for its next retry); started: running on a worker. */
  state: 'scheduled' | 'started' | 'cancel-requested' | 'paused';
  attempt: number;
  lastHeartbeatAt?: string;
  /** Why the previous attempt failed, when it did. */
  lastFailure?: string;
  /** When Temporal gives up waiting for a heartbeat and retries the attempt elsewhere. */
  heartbeatTimeoutAt?: string;
  lastWorker?: string;
}

/** The workflow's part: which step of the stage runs, since when, and the cohorts it has finished. */
export interface StageProgress {
  /** e.g. `ingest`, `plan`, `measures`, `cohorts`, `baseline`, `publish`, `deliver`. */
  step: string;
  /** When this step started (workflow time, ISO). */
  since: string;
  cohorts?: Count;
}

/** The whole picture the status shows: the workflow's counts, the heartbeats, a fraction and an estimate. */
export interface RunProgress extends StageProgress {
  files?: Count;
  rows?: number;
  chunks?: number;
  batches?: Count;
  /** 0..1 of the step, when it can be told. */
  fraction?: number;
  /** Seconds left at the rate so far; absent until there is a rate to go by. */
  etaSeconds?: number;
  activities?: ActivityProgress[];
  /** A sentence for people when something is off: no heartbeat lately, an attempt that failed. */
  note?: string;
}
