import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createLogger } from '../../src/log';
import { temporalCliPath, testServerPath } from '../../src/temporal/binaries';
import { ensureSearchAttributes } from '../../src/temporal/ensure-search-attributes';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { workflowsPath } from '../../src/worker/worker';

const root = path.resolve(__dirname, '../..');

/** The time-skipping test server installed by `npm install`, with the search attributes registered. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath(root) } },
  });
  // Without them every workflow task fails and a test would hang instead of failing.
  if (!(await ensureSearchAttributes(env.connection, env.namespace ?? 'default', createLogger('silent')))) {
    await env.teardown();
    throw new Error('could not register the search attributes on the time-skipping test server');
  }
  return env;
}

/** The Temporal CLI's dev server (in memory), with the project's search attributes. */
export function devServerEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath(root) },
      searchAttributes: SEARCH_ATTRIBUTES,
      extraArgs: ['--log-level', 'error'],
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundling the workflows takes seconds: once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath,
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (m) => console.error(m),
    },
  });
  return bundle;
}
