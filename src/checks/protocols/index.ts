// The negotiate checkers of this directory, by service name (spec §6).
import type { Service } from '../../config/model.js';
import type { Checker } from '../types.js';
import { ftpChecker } from './ftp.js';
import { imapChecker, imapsChecker } from './imap.js';
import { ldapChecker, ldapsChecker } from './ldap.js';
import { mysqlChecker } from './mysql.js';
import { nntpChecker } from './nntp.js';
import { oracleChecker } from './oracle.js';
import { pgsqlChecker } from './pgsql.js';
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
  ldap: ldapChecker,
  ldaps: ldapsChecker,
  radius: radiusChecker,
  mysql: mysqlChecker,
  pgsql: pgsqlChecker,
  oracle: oracleChecker,
} satisfies Partial<Record<Service, Checker>>;
