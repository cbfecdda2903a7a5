import { createLogger } from '../../src/log';
import { installTemporalRuntime } from '../../src/worker/runtime';

// The SDK's own logs go through pino at warn (LOG_LEVEL overrides) instead of flooding jest.
installTemporalRuntime(createLogger(process.env.LOG_LEVEL ?? 'warn'), 'WARN', { forwardCoreLogs: false });
