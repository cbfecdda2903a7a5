import crypto from 'node:crypto';
import { addCustomer } from '../support/cohort-data';
import { testApi, type TestApi } from '../support/api';
import { freshDatabase, type TestDatabase } from '../support/db';

const TOKENS = { admin: crypto.randomBytes(24).toString('hex'), approver: crypto.randomBytes(24).toString('hex') };
let test: TestDatabase;
let server: TestApi;

const erase = (body: unknown, token: string | null = TOKENS.admin) =>
  server.call('POST', '/privacy/erasures', token, body);

beforeAll(async () => {
  test = await freshDatabase('privacy_api');
  await addCustomer(test.db, 'c-77', { plan: 'pro' });
  server = await testApi(
    { db: test.db, catalogDir: '/nonexistent' },
    {
      [TOKENS.admin]: { user: 'priya', roles: ['admin'] },
      [TOKENS.approver]: { user: 'adam', roles: ['approver', 'viewer'] },
    },
  );
});

afterAll(async () => {
  await server.close();
  await test.drop();
});

describe('POST /privacy/erasures', () => {
  it('needs a token and the admin role, and erases nothing otherwise', async () => {
    expect((await erase({ customerId: 'c-77', reason: 'request #1' }, null)).status).toBe(401);
    expect(await erase({ customerId: 'c-77', reason: 'request #1' }, TOKENS.approver)).toMatchObject({
      status: 403,
      body: { message: 'adam lacks the admin role' },
    });
    expect((await test.db.query('SELECT erased_at FROM customers WHERE customer_id = $1', ['c-77'])).rows[0]).toEqual({
      erased_at: null,
    });
  });

  it('says what is wrong with a request without a reason', async () => {
    expect(await erase({ customerId: 'c-77' })).toMatchObject({
      status: 400,
      body: { issues: [{ path: 'reason', message: expect.any(String) }] },
    });
  });

  it('answers 404 for an unknown customer', async () => {
    expect(await erase({ customerId: 'c-404', reason: 'request #2' })).toMatchObject({
      status: 404,
      body: { message: 'no customer c-404; nothing was erased' },
    });
  });

  it('erases the customer as the admin who asked, and reports what it did', async () => {
    const { status, body } = await erase({ customerId: 'c-77', reason: 'request #3' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ customerId: 'c-77', alreadyErased: false, rowsDeleted: { crm_history: 1 } });
    expect((await test.db.query("SELECT requested_by FROM erasures WHERE customer_id = 'c-77'")).rows).toEqual([
      { requested_by: 'priya' },
    ]);
  });
});
