// MariaDB in a throw-away datadir (mariadb-install-db), on its own loopback port and socket,
// running as the mysql user. An init file creates the check's database, user and one row.
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { freeTcpPort, missingPackages, tempDir, userIds } from './env.js';
import { startDaemonIn } from './process.js';

export const mariadbMissing = (): string | undefined =>
  missingPackages({ '/usr/sbin/mariadbd': 'mariadb-server', '/usr/bin/mariadb-install-db': 'mariadb-server' });

export interface MariaDb {
  port: number;
  user: string;
  password: string;
  database: string;
  stop(): Promise<void>;
}

/** `extraSql` runs after the default set-up (more databases, users, rows for a test). */
export async function startMariaDb(extraSql = ''): Promise<MariaDb> {
  const tmp = tempDir('mariadb');
  const d = tmp.dir;
  const data = path.join(d, 'data');
  const { uid, gid } = userIds('mysql');
  mkdirSync(data);
  chownSync(data, uid, gid);
  chownSync(d, uid, gid); // mariadbd creates its socket and pid file here
  const init = path.join(d, 'init.sql');
  writeFileSync(
    init,
    `CREATE DATABASE health;
CREATE TABLE health.beat (v INT);
INSERT INTO health.beat VALUES (1);
CREATE USER 'checker'@'127.0.0.1' IDENTIFIED BY 'cpass';
GRANT SELECT ON health.* TO 'checker'@'127.0.0.1';
${extraSql}`,
  );
  try {
    execFileSync(
      '/usr/bin/mariadb-install-db',
      ['--no-defaults', `--datadir=${data}`, '--user=mysql', '--auth-root-authentication-method=socket', '--skip-test-db'],
      { stdio: 'pipe' },
    );
  } catch (e) {
    tmp.remove();
    throw e;
  }
  const port = await freeTcpPort();
  const stop = await startDaemonIn(tmp, {
    name: 'mariadbd',
    cmd: '/usr/sbin/mariadbd',
    args: ['--no-defaults', `--datadir=${data}`, '--user=mysql', '--bind-address=127.0.0.1', `--port=${port}`,
      `--socket=${d}/mysqld.sock`, `--pid-file=${d}/mysqld.pid`, `--init-file=${init}`, '--skip-log-bin',
      '--innodb-buffer-pool-size=16M', '--skip-name-resolve'],
    tcp: [{ host: '127.0.0.1', port }],
    output: /ready for connections/,
    readySeconds: 60,
  });
  return {
    port,
    user: 'checker',
    password: 'cpass',
    database: 'health',
    stop,
  };
}
