// FreeRADIUS with a minimal configuration written from scratch (no copy of /etc/freeradius):
// one loopback client with a shared secret, one user in the `files` module, PAP.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeUdpPort, missingPackages, tempDir } from './env.js';
import { startDaemonIn } from './process.js';

export const freeradiusMissing = (): string | undefined =>
  missingPackages({ '/usr/sbin/freeradius': 'freeradius', '/usr/share/freeradius/dictionary': 'freeradius-common' });

export interface FreeRadius {
  port: number;
  secret: string;
  user: string;
  password: string;
  stop(): Promise<void>;
}

export async function startFreeRadius(): Promise<FreeRadius> {
  const tmp = tempDir('radius');
  const d = tmp.dir;
  const port = await freeUdpPort();
  const secret = 'testing123';
  const user = 'health';
  const password = 'hpass';
  writeFileSync(path.join(d, 'users'), `${user} Cleartext-Password := "${password}"\n`);
  writeFileSync(
    path.join(d, 'radiusd.conf'),
    `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = ${d}
raddbdir = ${d}
radacctdir = ${d}
name = freeradius
confdir = ${d}
modconfdir = ${d}
run_dir = ${d}
db_dir = ${d}
libdir = /usr/lib/freeradius
pidfile = ${d}/radiusd.pid
security {
  allow_core_dumps = no
  reject_delay = 0
}
client loopback {
  ipaddr = 127.0.0.1
  secret = ${secret}
}
modules {
  files {
    filename = ${d}/users
  }
  pap {
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${port}
  }
  authorize {
    files
    pap
  }
  authenticate {
    pap
  }
}
`,
  );
  // UDP has no "accepts": readiness is the server's own announcement.
  const stop = await startDaemonIn(tmp, {
    name: 'freeradius',
    cmd: '/usr/sbin/freeradius',
    args: ['-f', '-d', d, '-l', 'stdout'],
    output: /Ready to process requests/,
  });
  return {
    port,
    secret,
    user,
    password,
    stop,
  };
}
