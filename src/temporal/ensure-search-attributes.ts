import type { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import type { Logger } from '../log';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const GRPC_UNIMPLEMENTED = 12;

/**
 * Registers the search attributes the workflow upserts when the namespace lacks them: a server
 * without them fails every workflow task of a refresh. Where the operator API is not allowed
 * (e.g. a managed cloud namespace) it warns and leaves registration to the operator.
 */
/** Resolves true when every search attribute is registered (or now is). */
export async function ensureSearchAttributes(connection: Connection, namespace: string, log: Logger): Promise<boolean> {
  const needed = SEARCH_ATTRIBUTES.map((k) => k.name);
  let missing = SEARCH_ATTRIBUTES;
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    missing = SEARCH_ATTRIBUTES.filter((key) => !(key.name in (existing.customAttributes ?? {})));
  } catch (err) {
    // The time-skipping test server cannot list them but can add them: try that.
    if ((err as { code?: number }).code !== GRPC_UNIMPLEMENTED) {
      log.warn(
        { err, namespace, needed },
        'could not list search attributes; register them as Keyword before starting refreshes',
      );
      return false;
    }
  }
  if (missing.length === 0) return true;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!]),
      ),
    });
    log.info({ namespace, added: missing.map((k) => k.name) }, 'registered search attributes');
    return true;
  } catch (err) {
    log.warn(
      { err, namespace, needed },
      'could not register search attributes; register them as Keyword before starting refreshes',
    );
    return false;
  }
}
