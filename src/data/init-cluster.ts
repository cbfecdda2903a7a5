import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PostgresAccount } from './postgres-runtime';

/**
 * Creates the cluster on first start (initdb: scram-sha-256 for every connection, socket and TCP
 * alike; the superuser's password generated here and written 0600), and on later starts reads
 * that password back. Returns the password.
 */
export async function initCluster(o: {
  dir: string;
  passwordFile: string;
  initdb: string;
  account: PostgresAccount | undefined;
  user: string;
  throwaway: boolean;
}): Promise<string> {
  const readPassword = () => fs.readFileSync(o.passwordFile, 'utf8').trim();
  if (fs.existsSync(path.join(o.dir, 'PG_VERSION'))) {
    if (!fs.existsSync(o.passwordFile))
      throw new Error(
        `${o.passwordFile} is missing, and without it nothing can log in to the PostgreSQL cluster in ${o.dir}: ` +
          `restore the file, or delete ${o.dir} to start with an empty database`,
      );
    return readPassword();
  }
  if (fs.existsSync(o.dir) && fs.readdirSync(o.dir).length > 0)
    throw new Error(`${o.dir} is neither empty nor a PostgreSQL cluster: move it away, or delete it`);

  // An earlier first start that failed in initdb left its password: keep it.
  if (!fs.existsSync(o.passwordFile)) {
    const temp = `${o.passwordFile}.${process.pid}.tmp`;
    fs.writeFileSync(temp, `${crypto.randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
    fs.renameSync(temp, o.passwordFile);
  }
  const password = readPassword();
  fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  // initdb reads the password from a file; as root it runs as the account, which must read it.
  const pwfile = path.join(path.dirname(o.dir), `.initdb-${process.pid}`);
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (o.account) {
    fs.chownSync(o.dir, o.account.uid, o.account.gid);
    fs.chownSync(pwfile, o.account.uid, o.account.gid);
  }
  try {
    const args = [
      `--pgdata=${o.dir}`,
      '--auth=scram-sha-256',
      `--username=${o.user}`,
      `--pwfile=${pwfile}`,
      '--encoding=UTF8',
      '--no-locale',
      ...(o.throwaway ? ['--no-sync'] : []),
    ];
    await run(o.initdb, args, o.account);
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  return password;
}

function run(command: string, args: string[], account: PostgresAccount | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
      ...(account ? { uid: account.uid, gid: account.gid } : {}),
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `initdb failed (${signal ?? `code ${code}`}): ${output.trim().split('\n').slice(-10).join('\n')}`,
            ),
          ),
    );
  });
}
