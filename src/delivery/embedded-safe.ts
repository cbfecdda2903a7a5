import type { Db } from '../data/db';

/**
 * On embedded PGlite, concurrent deliveries (one activity per cohort) break when a plain query
 * from one connection meets another connection's open transaction ("unnamed prepared statement
 * does not exist"); transactions are kept together by the socket server. So there every query
 * runs in its own short transaction (docs/architecture.md, "Two ways to run"). A server is left as it is.
 */
export function embeddedSafe(db: Db): Db {
  if (!db.embedded) return db;
  return {
    url: db.url,
    embedded: true,
    query: (text, params) => db.transaction((tx) => tx.query(text, params)),
    transaction: (fn) => db.transaction(fn),
    close: () => db.close(),
  };
}
