import fs from 'node:fs';
import { loadCatalog } from '../cohorts/catalog';
import type { Destination } from './destination';
import { assertSafeUrl } from './network-guard';
import {
  InvalidDestinationsError,
  legacyWebhookDestination,
  loadDestinationsFile,
  unknownDestinations,
} from './destinations-file';

/**
 * The worker's destinations: COHORTFLOW_DESTINATIONS_FILE when set (checked against the cohort
 * catalog: a cohort naming an unknown destination is refused here), else WEBHOOK_URL, else the
 * fallback (the demo inbox in `npm start`, nothing for a bare worker).
 */
export async function configuredDestinations(
  config: {
    destinationsFile?: string;
    webhook?: { url: string; secret: string; allowPrivateNetwork: boolean };
    catalogDir: string;
  },
  fallback?: { name: string; url: string; secret: string; allowPrivateNetwork: boolean },
): Promise<Destination[]> {
  if (config.destinationsFile) {
    const destinations = await loadDestinationsFile(config.destinationsFile);
    if (fs.existsSync(config.catalogDir)) {
      const catalog = await loadCatalog(config.catalogDir);
      const problems = unknownDestinations(
        catalog.map((e) => ({ id: e.definition.id, destinations: e.definition.destinations })),
        destinations,
      );
      if (problems.length) throw new InvalidDestinationsError(problems.map((p) => `${config.destinationsFile}: ${p}`));
    }
    return destinations;
  }
  if (config.webhook) {
    // Checked now for a clear error at start; the check that counts is made again at connect time.
    await assertSafeUrl('webhook (WEBHOOK_URL)', config.webhook.url, config.webhook.allowPrivateNetwork);
    return [legacyWebhookDestination({ name: 'webhook', ...config.webhook })];
  }
  return fallback ? [legacyWebhookDestination(fallback)] : [];
}
