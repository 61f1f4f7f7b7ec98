// PostgreSQL from Debian's package (binaries under /usr/lib/postgresql/<major>/bin), initdb'd
// into a throw-away directory and run as the postgres user on its own loopback port.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeTcpPort, missingPackages, tempDir, userIds } from './env.js';
import { startDaemonIn } from './process.js';

/** The newest installed major's bin directory, or undefined. */
function pgBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? undefined : path.join(root, majors[0], 'bin');
}

export const postgresMissing = (): string | undefined => {
  const bin = pgBin();
  if (!bin) return 'Debian package(s) not installed: postgresql (no /usr/lib/postgresql/*/bin/postgres)';
  return missingPackages({ [path.join(bin, 'initdb')]: 'postgresql' });
};

export interface Postgres {
  port: number;
  user: string;
  password: string;
  database: string;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<Postgres> {
  const bin = pgBin();
  if (!bin) throw new Error('postgresql is not installed');
  const tmp = tempDir('pg');
  const d = tmp.dir;
  const { uid, gid } = userIds('postgres');
  const data = path.join(d, 'data');
  mkdirSync(data, { mode: 0o700 });
  chownSync(data, uid, gid);
  chownSync(d, uid, gid); // the socket directory
  const pwfile = path.join(d, 'pw');
  const password = 'supw';
  writeFileSync(pwfile, `${password}\n`);
  chownSync(pwfile, uid, gid);
  try {
    execFileSync(
      path.join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', `--pwfile=${pwfile}`, '-A', 'scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C'],
      { uid, gid, stdio: 'pipe', cwd: d },
    );
  } catch (e) {
    tmp.remove();
    throw e;
  }
  const port = await freeTcpPort();
  const stop = await startDaemonIn(tmp, {
    name: 'postgres',
    cmd: path.join(bin, 'postgres'),
    args: ['-D', data, '-p', String(port), '-k', d, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    uid,
    gid,
    cwd: d,
    tcp: [{ host: '127.0.0.1', port }],
    output: /ready to accept connections/,
    stopSignal: 'SIGINT', // "fast" shutdown: does not wait for sessions to end
    readySeconds: 60,
  });
  return {
    port,
    user: 'postgres',
    password,
    database: 'postgres',
    stop,
  };
}
