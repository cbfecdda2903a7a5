import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TokenGrant } from './config';
import { generateSources } from './sources/generate';

/**
 * Demo bearer tokens for an embedded start without COHORTFLOW_TOKENS: random, kept under the
 * git-ignored data folder, never in the repository.
 */
export function demoTokens(dataDir: string): Record<string, TokenGrant> {
  const file = path.join(dataDir, 'demo-tokens.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, TokenGrant>;
  const token = () => crypto.randomBytes(24).toString('base64url');
  const tokens: Record<string, TokenGrant> = {
    [token()]: { user: 'alice', roles: ['operator', 'viewer'] },
    [token()]: { user: 'bob', roles: ['approver', 'viewer'] },
    [token()]: { user: 'carol', roles: ['approver', 'viewer'] },
    [token()]: { user: 'dave', roles: ['analyst', 'viewer'] },
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(tokens, null, 2), { mode: 0o600 });
  return tokens;
}

/** A Standard Webhooks secret for the built-in demo receiver, kept beside the demo tokens. */
export function demoWebhookSecret(dataDir: string): string {
  const file = path.join(dataDir, 'demo-webhook-secret');
  if (!fs.existsSync(file))
    fs.writeFileSync(file, `whsec_${crypto.randomBytes(24).toString('base64')}`, { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}

/** The demo's data set: small enough to ingest in seconds, with members in every default cohort. */
export const DEMO_DATA = { customers: 400, days: 90, seed: 42, stories: 3 } as const;

/** On first run the source folder gets a generated demo data set; later runs leave it alone. */
export async function ensureDemoSources(sourceDir: string): Promise<boolean> {
  if (fs.existsSync(sourceDir) && fs.readdirSync(sourceDir).length > 0) return false;
  await generateSources(sourceDir, DEMO_DATA);
  return true;
}
