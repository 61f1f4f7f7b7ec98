// The client libraries behind http(s), mysql, pgsql, ldap(s), dns and alert mail load when first
// used, not when the daemon starts (lazy.ts), or when loadCheckers is given a config's targets
// (the daemon does that before their first check): a child process imports the built registry
// and mailer and reports which packages its module graph reached at each step.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { protocolCheckers } from '../../src/checks/protocols/index.js';
import { ldapChecker, ldapsChecker } from '../../src/checks/protocols/ldap.js';
import { mysqlChecker } from '../../src/checks/protocols/mysql.js';
import { pgsqlChecker } from '../../src/checks/protocols/pgsql.js';
import type { LazyChecker } from '../../src/checks/lazy.js';

t.test('the lazy entries load the real checkers', async (t) => {
  const cases = { mysql: mysqlChecker, pgsql: pgsqlChecker, ldap: ldapChecker, ldaps: ldapsChecker };
  for (const [service, checker] of Object.entries(cases)) {
    t.equal(await (protocolCheckers[service as keyof typeof cases] as LazyChecker).load(), checker, service);
  }
});

t.test('libraries load on first use, not at start', async (t) => {
  const script = fileURLToPath(new URL('fixtures/modules-loaded.mjs', import.meta.url));
  const libs = ['undici', 'mysql2', 'pg', 'ldapts', 'dns-packet', 'nodemailer'];
  const out = JSON.parse(execFileSync(process.execPath, [script, ...libs], { encoding: 'utf8', timeout: 60_000 }));
  t.same(out.before, [], 'none after importing the registry and the mailer');
  t.same(out.preloaded, ['mysql2', 'dns-packet'], 'loadCheckers: those its targets negotiate with (checktype=N too; not a connect check of service http)');
  t.same(out.after, ['undici', 'mysql2', 'pg', 'ldapts', 'dns-packet'], 'each after its first check');
});
