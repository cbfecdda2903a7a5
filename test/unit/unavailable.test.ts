import { awayDependency } from '../../src/api/unavailable';
import { looksUnavailable } from '../../src/retry';

// Telling "the other side is not there" from "the other side said no": the first is waited out
// (a process starting before its database) or answered 503; the second stops or is reported.

const grpc = (code: number, details: string) =>
  Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
const pg = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('an error that says a dependency is away', () => {
  it.each([
    ['connection refused', pg('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), true],
    ['the socket not there yet', pg('ENOENT', 'connect ENOENT /run/pg/.s.PGSQL.5432'), true],
    ['PostgreSQL starting up', pg('57P03', 'the database system is starting up'), true],
    ['a connection cut', new Error('Connection terminated unexpectedly'), true],
    ['Temporal unavailable', grpc(14, 'No connection established'), true],
    ['a wrong password', pg('28P01', 'password authentication failed for user "cohortflow"'), false],
    ['a broken migration', pg('42601', 'syntax error at or near "SELCT"'), false],
    ['a namespace that does not exist', grpc(5, 'Namespace nope is not found'), false],
  ])('%s: %p is waited for: %p', (_what, err, away) => {
    expect(looksUnavailable(err)).toBe(away);
  });
});

describe('which dependency the API names in its 503', () => {
  it.each([
    ['Temporal unavailable', grpc(14, 'No connection established'), 'Temporal'],
    ['a Temporal deadline', grpc(4, 'Deadline exceeded'), 'Temporal'],
    [
      'a query failing because Temporal is down',
      Object.assign(new Error('Failed to query workflow'), { cause: grpc(14, 'unavailable') }),
      'Temporal',
    ],
    ['PostgreSQL refusing connections', pg('ECONNREFUSED', 'connect ECONNREFUSED'), 'PostgreSQL'],
    ['PostgreSQL shutting down', pg('57P01', 'terminating connection due to administrator command'), 'PostgreSQL'],
    ['a statement cut by a restart', new Error('Connection terminated unexpectedly'), 'PostgreSQL'],
    ['a bad query', pg('42P01', 'relation "nope" does not exist'), undefined],
    ['a workflow that does not exist', grpc(5, 'workflow not found'), undefined],
  ])('%s → %p', (_what, err, dependency) => {
    expect(awayDependency(err)).toBe(dependency);
  });
});
