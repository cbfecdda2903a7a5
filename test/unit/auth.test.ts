import { authenticate, hasRole } from '../../src/api/auth';
import type { TokenGrant } from '../../src/config';

const tokens: Record<string, TokenGrant> = {
  'viewer-token-000000000001': { user: 'vera', roles: ['viewer'] },
  'approver-token-0000000001': { user: 'adam', roles: ['viewer', 'approver'] },
  'analyst-token-00000000001': { user: 'ana', roles: ['viewer', 'analyst'] },
  'admin-token-0000000000001': { user: 'root', roles: ['admin'] },
};

describe('authenticating a request', () => {
  it('identifies the caller of a known bearer token', () => {
    expect(authenticate(tokens, 'Bearer approver-token-0000000001')).toEqual({
      user: 'adam',
      roles: ['viewer', 'approver'],
    });
  });

  it('accepts the scheme in any case', () => {
    expect(authenticate(tokens, 'bearer viewer-token-000000000001')?.user).toBe('vera');
  });

  it('rejects a request without an Authorization header', () => {
    expect(authenticate(tokens, undefined)).toBeUndefined();
  });

  it.each([
    ['an empty header', ''],
    ['a scheme without a token', 'Bearer'],
    ['a token without a scheme', 'viewer-token-000000000001'],
    ['another scheme', 'Basic dmVyYTpzZWNyZXQ='],
    ['two tokens', 'Bearer viewer-token-000000000001 admin-token-0000000000001'],
  ])('rejects a malformed header: %s', (_label, header) => {
    expect(authenticate(tokens, header)).toBeUndefined();
  });

  it('rejects an unknown token', () => {
    expect(authenticate(tokens, 'Bearer viewer-token-000000000002')).toBeUndefined();
  });

  it('rejects a prefix of a known token', () => {
    expect(authenticate(tokens, 'Bearer viewer-token')).toBeUndefined();
  });

  it('rejects every token when none are configured', () => {
    expect(authenticate({}, 'Bearer viewer-token-000000000001')).toBeUndefined();
  });
});

describe('checking a role', () => {
  it('grants a role the caller holds', () => {
    expect(hasRole({ user: 'adam', roles: ['viewer', 'approver'] }, 'approver')).toBe(true);
  });

  it('refuses a role the caller does not hold', () => {
    expect(hasRole({ user: 'vera', roles: ['viewer'] }, 'operator')).toBe(false);
  });

  it('does not let an approver operate', () => {
    expect(hasRole({ user: 'adam', roles: ['viewer', 'approver'] }, 'operator')).toBe(false);
  });

  it('lets an analyst change definitions but not operate or approve', () => {
    const ana = authenticate(tokens, 'Bearer analyst-token-00000000001')!;
    expect(hasRole(ana, 'analyst')).toBe(true);
    expect(hasRole(ana, 'operator')).toBe(false);
    expect(hasRole(ana, 'approver')).toBe(false);
  });

  it('does not let a viewer change definitions', () => {
    expect(hasRole({ user: 'vera', roles: ['viewer'] }, 'analyst')).toBe(false);
  });

  it.each(['viewer', 'operator', 'approver', 'analyst', 'admin'] as const)('lets an admin act as %s', (role) => {
    expect(hasRole({ user: 'root', roles: ['admin'] }, role)).toBe(true);
  });
});
