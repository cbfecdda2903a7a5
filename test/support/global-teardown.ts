/** Stops the throwaway PostgreSQL that global-setup.ts started (none when TEST_DATABASE_URL was given). */
export default async function globalTeardown(): Promise<void> {
  await globalThis.cohortflowTestDatabase?.stop();
}
