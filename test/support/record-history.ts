import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalCliPath } from '../../src/temporal/binaries';

/**
 * With RECORD_HISTORIES=1, writes a finished run's history to test/fixtures/histories/<name>.json,
 * which the replay test replays against the current workflow code. The end-to-end tests record
 * one run of every path a refresh or a rollback run can take.
 */
export function recordHistory(env: TestWorkflowEnvironment, workflowId: string, name: string): void {
  if (!process.env.RECORD_HISTORIES) return;
  // The CLI's JSON is the format Temporal's UI downloads and the replayer reads.
  const json = execFileSync(
    temporalCliPath(),
    ['workflow', 'show', '--address', env.connection.options.address, '--workflow-id', workflowId, '--output', 'json'],
    { encoding: 'utf8' },
  );
  fs.writeFileSync(path.join(__dirname, '../fixtures/histories', `${name}.json`), json);
}
