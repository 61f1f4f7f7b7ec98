// OpenLDAP slapd with a throw-away MDB database loaded by slapadd, on ldap:// and ldaps://
// loopback URLs with a self-signed certificate.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeTcpPort, missingPackages, selfSignedCert, tempDir } from './env.js';
import { startDaemonIn } from './process.js';

export const slapdMissing = (): string | undefined =>
  missingPackages({ '/usr/sbin/slapd': 'slapd', '/usr/sbin/slapadd': 'slapd', '/usr/bin/openssl': 'openssl' });

export interface Slapd {
  ldap: number;
  ldaps: number;
  suffix: string;
  /** an entry that can bind: its DN and password. */
  userDn: string;
  userPassword: string;
  stop(): Promise<void>;
}

export async function startSlapd(): Promise<Slapd> {
  const tmp = tempDir('slapd');
  const d = tmp.dir;
  const { cert, key } = selfSignedCert(d);
  mkdirSync(path.join(d, 'db'));
  const suffix = 'dc=example,dc=test';
  const userDn = `cn=health,${suffix}`;
  const userPassword = 'hpass';
  const conf = path.join(d, 'slapd.conf');
  writeFileSync(
    conf,
    `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile ${d}/slapd.pid
TLSCertificateFile ${cert}
TLSCertificateKeyFile ${key}
database mdb
maxsize 10485760
suffix "${suffix}"
rootdn "cn=admin,${suffix}"
rootpw admin-secret
directory ${d}/db
access to * by * read
`,
  );
  const ldif = path.join(d, 'data.ldif');
  writeFileSync(
    ldif,
    `dn: ${suffix}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ${userDn}
objectClass: person
cn: health
sn: check
userPassword: ${userPassword}
`,
  );
  try {
    execFileSync('/usr/sbin/slapadd', ['-f', conf, '-l', ldif], { stdio: 'pipe' });
  } catch (e) {
    tmp.remove();
    throw e;
  }
  const [ldap, ldaps] = [await freeTcpPort(), await freeTcpPort()];
  const stop = await startDaemonIn(tmp, {
    name: 'slapd',
    cmd: '/usr/sbin/slapd',
    args: ['-f', conf, '-h', `ldap://127.0.0.1:${ldap}/ ldaps://127.0.0.1:${ldaps}/`, '-d', '0'],
    tcp: [ldap, ldaps].map((port) => ({ host: '127.0.0.1', port })),
  });
  return {
    ldap,
    ldaps,
    suffix,
    userDn,
    userPassword,
    stop,
  };
}
