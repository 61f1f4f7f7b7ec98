// Dovecot with IMAP, IMAPS, POP3 and POP3S on loopback, one user from a passwd-file and a
// self-signed certificate. It runs as root only to drop to its own users, as packaged.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeTcpPort, missingPackages, selfSignedCert, tempDir } from './env.js';
import { startDaemonIn } from './process.js';

export const dovecotMissing = (): string | undefined =>
  missingPackages({
    '/usr/sbin/dovecot': 'dovecot-core',
    '/usr/lib/dovecot/imap': 'dovecot-imapd',
    '/usr/lib/dovecot/pop3': 'dovecot-pop3d',
    '/usr/bin/openssl': 'openssl',
  });

export interface Dovecot {
  imap: number;
  imaps: number;
  pop3: number;
  pop3s: number;
  user: string;
  password: string;
  stop(): Promise<void>;
}

export async function startDovecot(): Promise<Dovecot> {
  const tmp = tempDir('dovecot');
  const d = tmp.dir;
  const { cert, key } = selfSignedCert(d);
  const home = path.join(d, 'home');
  mkdirSync(home);
  chmodSync(home, 0o1777); // mail processes run as nobody and create the user's Maildir
  const user = 'alice';
  const password = 's3cret';
  writeFileSync(path.join(d, 'passwd'), `${user}:{PLAIN}${password}\n`);
  const [imap, imaps, pop3, pop3s] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
  const listener = (name: string, port: number, ssl: boolean): string =>
    `  inet_listener ${name} {\n    port = ${port}\n${ssl ? '    ssl = yes\n' : ''}  }`;
  writeFileSync(
    path.join(d, 'dovecot.conf'),
    `base_dir = ${d}/run
state_dir = ${d}/state
log_path = /dev/stderr
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <${cert}
ssl_key = <${key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${d}/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${home}/%u
}
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
# No auth penalty (seconds of delay after a failed login from the same address, good for
# real servers, slow for tests): the auth process cannot reach anvil's penalty socket.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
${listener('imap', imap, false)}
${listener('imaps', imaps, true)}
}
service pop3-login {
${listener('pop3', pop3, false)}
${listener('pop3s', pop3s, true)}
}
`,
  );
  const stop = await startDaemonIn(tmp, {
    name: 'dovecot',
    cmd: '/usr/sbin/dovecot',
    args: ['-F', '-c', path.join(d, 'dovecot.conf')],
    tcp: [imap, imaps, pop3, pop3s].map((port) => ({ host: '127.0.0.1', port })),
  });
  return {
    imap,
    imaps,
    pop3,
    pop3s,
    user,
    password,
    stop,
  };
}
