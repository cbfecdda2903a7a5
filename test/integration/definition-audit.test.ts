import { parseDefinition, type CatalogEntry } from '../../src/cohorts/catalog';
import { recordDefinition, recordDeletion } from '../../src/cohorts/versions';
import { verifyAuditChain } from '../../src/governance/audit-chain';
import { freshDatabase, type TestDatabase } from '../support/db';

// Every new definition version leaves a definition.<change> row in the audit log, written in
// the version's own transaction, with who changed what and why.

let test: TestDatabase;

const definition = (id: string, logins: number, status = '') => {
  const { entry, problems } = parseDefinition(
    `${id}.yaml`,
    `id: ${id}
name: ${id}
purpose: Customers who log in often.
owner: analytics
tier: tactical
${status}rule:
  event: { type: login, within: 30d, count: { gte: ${logins} } }
sources: [product]
limitations: Logins only.
`,
  );
  if (!entry) throw new Error(problems.join('\n'));
  return entry;
};

const trailOf = async (cohortId: string) =>
  (
    await test.db.query<{ key: string; actor: string; action: string; details: Record<string, unknown> }>(
      `SELECT key, actor, action, details FROM audit_log WHERE details->>'cohortId' = $1 ORDER BY id`,
      [cohortId],
    )
  ).rows;

beforeAll(async () => {
  test = await freshDatabase('definition_audit');
});

afterAll(async () => {
  await test.drop();
});

describe('auditing definition changes', () => {
  it('records create, update, deprecate and delete with version, content hash, author and rationale', async () => {
    const v1: CatalogEntry = definition('weekly-users', 3);
    const v2 = definition('weekly-users', 4);
    const v3 = definition(
      'weekly-users',
      4,
      'status: deprecated\ndeprecationReason: replaced by the engagement score\n',
    );
    await recordDefinition(test.db, v1, { author: 'ana', rationale: 'customer success asked for weekly users' });
    await recordDefinition(test.db, v2, { author: 'ana', rationale: 'three logins let in occasional users' });
    await recordDefinition(test.db, v3, { author: 'bo', rationale: 'see the reason' });
    await recordDeletion(test.db, 'weekly-users', { author: 'bo', reason: 'nobody reads it any more' });

    expect(await trailOf('weekly-users')).toEqual([
      {
        key: 'definition:weekly-users:1',
        actor: 'ana',
        action: 'definition.create',
        details: {
          cohortId: 'weekly-users',
          version: 1,
          contentHash: v1.contentHash,
          rationale: 'customer success asked for weekly users',
        },
      },
      {
        key: 'definition:weekly-users:2',
        actor: 'ana',
        action: 'definition.update',
        details: {
          cohortId: 'weekly-users',
          version: 2,
          contentHash: v2.contentHash,
          rationale: 'three logins let in occasional users',
        },
      },
      {
        key: 'definition:weekly-users:3',
        actor: 'bo',
        action: 'definition.deprecate',
        details: {
          cohortId: 'weekly-users',
          version: 3,
          contentHash: v3.contentHash,
          rationale: 'replaced by the engagement score',
        },
      },
      {
        key: 'definition:weekly-users:4',
        actor: 'bo',
        action: 'definition.delete',
        details: {
          cohortId: 'weekly-users',
          version: 4,
          contentHash: 'deleted:4',
          rationale: 'nobody reads it any more',
        },
      },
    ]);
    expect((await verifyAuditChain(test.db)).ok).toBe(true);
  });

  it('writes nothing when the definition is already the latest version', async () => {
    const entry = definition('steady-users', 2);
    await recordDefinition(test.db, entry, { author: 'ana', rationale: 'the first version of it' });
    await recordDefinition(test.db, entry, { author: 'ana', rationale: 'recorded again by a run' });
    expect((await trailOf('steady-users')).map((r) => r.action)).toEqual(['definition.create']);
  });

  it('writes nothing when the guardrail refuses a change', async () => {
    await expect(
      recordDeletion(test.db, 'never-recorded', { author: 'bo', reason: 'it does not exist anyway' }),
    ).rejects.toThrow(/no live version/);
    expect(await trailOf('never-recorded')).toEqual([]);
  });
});
