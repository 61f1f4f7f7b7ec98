// The negotiate checkers of this directory, by service name (spec §6). Those built on a client
// library load it on their first check (lazy.ts).
import { lazyChecker } from '../lazy.js';
import type { CheckService, Checker } from '../types.js';
import { ftpChecker } from './ftp.js';
import { imapChecker, imapsChecker } from './imap.js';
import { nntpChecker } from './nntp.js';
import { oracleChecker } from './oracle.js';
import { popChecker, popsChecker } from './pop.js';
import { radiusChecker } from './radius.js';
import { smtpChecker } from './smtp.js';

export const protocolCheckers = {
  smtp: smtpChecker,
  submission: smtpChecker,
  pop: popChecker,
  pops: popsChecker,
  imap: imapChecker,
  imaps: imapsChecker,
  nntp: nntpChecker,
  ftp: ftpChecker,
  ldap: lazyChecker(async () => (await import('./ldap.js')).ldapChecker),
  ldaps: lazyChecker(async () => (await import('./ldap.js')).ldapsChecker),
  radius: radiusChecker,
  mysql: lazyChecker(async () => (await import('./mysql.js')).mysqlChecker),
  pgsql: lazyChecker(async () => (await import('./pgsql.js')).pgsqlChecker),
  oracle: oracleChecker,
} satisfies Partial<Record<CheckService, Checker>>;
