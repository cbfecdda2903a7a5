import type { Db, Queryable } from '../data/db';
import {
  computeProfiles,
  PROFILE_ATTRIBUTES,
  PROFILE_VERSION,
  VALUE_MEASURE,
  type ProfileAttribute,
  type SnapshotProfile,
} from './profile';

// A snapshot is immutable, and so is its profile: computed once (when the snapshot is tested,
// or lazily when an older published one is first compared with), then read from here.

async function storedProfiles(db: Queryable, snapshotIds: string[]): Promise<Map<string, SnapshotProfile>> {
  const r = await db.query<{
    snapshot_id: string;
    members: number;
    mean: number | null;
    median: number | null;
    p25: number | null;
    p75: number | null;
    min: number | null;
    max: number | null;
    buckets: Array<[ProfileAttribute, string, number]> | null;
  }>(
    `SELECT p.snapshot_id, p.members, p.value_mean AS mean, p.value_median AS median, p.value_p25 AS p25, p.value_p75 AS p75, p.value_min AS min, p.value_max AS max,
            (SELECT jsonb_agg(jsonb_build_array(b.attribute, b.bucket, b.members)) FROM snapshot_profile_buckets b WHERE b.snapshot_id = p.snapshot_id) AS buckets
     FROM snapshot_profiles p WHERE p.snapshot_id = ANY($1::text[]) AND p.profile_version = $2`,
    [snapshotIds, PROFILE_VERSION],
  );
  return new Map(
    r.rows.map((x) => {
      const buckets = Object.fromEntries(PROFILE_ATTRIBUTES.map((a) => [a, {} as Record<string, number>])) as Record<
        ProfileAttribute,
        Record<string, number>
      >;
      for (const [attribute, bucket, members] of x.buckets ?? []) buckets[attribute][bucket] = members;
      return [
        x.snapshot_id,
        {
          snapshotId: x.snapshot_id,
          members: x.members,
          buckets,
          value: { mean: x.mean, median: x.median, p25: x.p25, p75: x.p75, min: x.min, max: x.max },
        },
      ];
    }),
  );
}

async function storeProfile(db: Db, asOf: Date, profile: SnapshotProfile): Promise<void> {
  const rows = PROFILE_ATTRIBUTES.flatMap((a) =>
    Object.entries(profile.buckets[a]).map(([bucket, members]) => ({ a, bucket, members })),
  );
  const v = profile.value;
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO snapshot_profiles (snapshot_id, profile_version, as_of, members, value_measure, value_mean, value_median, value_p25, value_p75, value_min, value_max)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (snapshot_id) DO UPDATE SET profile_version = EXCLUDED.profile_version, as_of = EXCLUDED.as_of, members = EXCLUDED.members,
         value_measure = EXCLUDED.value_measure, value_mean = EXCLUDED.value_mean, value_median = EXCLUDED.value_median, value_p25 = EXCLUDED.value_p25,
         value_p75 = EXCLUDED.value_p75, value_min = EXCLUDED.value_min, value_max = EXCLUDED.value_max, computed_at = now()`,
      [
        profile.snapshotId,
        PROFILE_VERSION,
        asOf.toISOString(),
        profile.members,
        VALUE_MEASURE,
        v.mean,
        v.median,
        v.p25,
        v.p75,
        v.min,
        v.max,
      ],
    );
    await tx.query('DELETE FROM snapshot_profile_buckets WHERE snapshot_id = $1', [profile.snapshotId]);
    await tx.query(
      `INSERT INTO snapshot_profile_buckets (snapshot_id, attribute, bucket, members)
       SELECT $1, a, b, n FROM unnest($2::text[], $3::text[], $4::int[]) AS x (a, b, n)`,
      [profile.snapshotId, rows.map((r) => r.a), rows.map((r) => r.bucket), rows.map((r) => r.members)],
    );
  });
}

/**
 * The profiles of these snapshots: stored ones as they are, the others computed (one pass of
 * the measures per distinct asOf, so a run's snapshots cost one pass together) and stored.
 */
export async function profilesOf(
  db: Db,
  snapshots: Array<{ snapshotId: string; asOf: Date }>,
): Promise<Map<string, SnapshotProfile>> {
  const wanted = [...new Map(snapshots.map((s) => [s.snapshotId, s])).values()];
  const found = await storedProfiles(
    db,
    wanted.map((s) => s.snapshotId),
  );
  const missing = new Map<number, string[]>();
  for (const s of wanted.filter((w) => !found.has(w.snapshotId)))
    missing.set(s.asOf.getTime(), [...(missing.get(s.asOf.getTime()) ?? []), s.snapshotId]);
  for (const [time, ids] of missing) {
    const asOf = new Date(time);
    for (const profile of await computeProfiles(db, asOf, ids)) {
      await storeProfile(db, asOf, profile);
      found.set(profile.snapshotId, profile);
    }
  }
  return found;
}
