import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadErasureKey } from '../../src/privacy/erasure-key';
import { loadConfig } from '../../src/config';

describe('the erasure key', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-erasure-key-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is made once by npm start, readable by its owner only, and read back the same', () => {
    const file = path.join(dir, 'data', 'erasure-key');
    const made = loadErasureKey(file, { generate: true });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(made.secret.length).toBe(32);
    const again = loadErasureKey(file, { generate: true });
    expect(again.keyId).toBe(made.keyId);
    expect(again.secret.equals(made.secret)).toBe(true);
  });

  it('is never made up by a deployment process: a missing file stops it, naming the setting', () => {
    expect(() => loadErasureKey(path.join(dir, 'missing'))).toThrow(
      /cannot read the erasure key .*missing \(ERASURE_KEY_FILE\): ENOENT/,
    );
  });

  it('refuses a file that is not a key without echoing what it holds', () => {
    const file = path.join(dir, 'short');
    fs.writeFileSync(file, 'c2hvcnQtc2VjcmV0\n');
    let message = '';
    try {
      loadErasureKey(file);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/is not an erasure key: 32 or more bytes, base64/);
    expect(message).not.toContain('c2hvcnQtc2VjcmV0');
  });

  it('lives under the data folder unless ERASURE_KEY_FILE says where', () => {
    const base = { COHORTFLOW_HOME: dir, COHORTFLOW_DATA_DIR: 'state' };
    expect(loadConfig(base).privacy.erasureKeyFile).toBe(path.join(dir, 'state', 'erasure-key'));
    expect(loadConfig({ ...base, ERASURE_KEY_FILE: '/run/secrets/erasure-key' }).privacy.erasureKeyFile).toBe(
      '/run/secrets/erasure-key',
    );
  });
});
