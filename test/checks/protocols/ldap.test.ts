// service=ldap / ldaps against a real OpenLDAP slapd on loopback with a throw-away database.
import t from 'tap';
import { ldapChecker, ldapsChecker } from '../../../src/checks/protocols/ldap.js';
import type { Checker, CheckTarget } from '../../../src/checks/types.js';
import { slapdMissing, startSlapd } from '../../helpers/daemons/slapd.js';
import { never, settles, target } from '../helpers.js';
import { BOUND, carriesCert, tcpFailures, verdict } from './common.js';

t.test('against slapd', { skip: slapdMissing() ?? false }, async (t) => {
  const ld = await startSlapd();
  t.teardown(ld.stop);
  const run = (c: Checker, over: Partial<CheckTarget>) =>
    settles(c.check(target({ negotiatetimeout: 10, ...over }), never), BOUND);

  for (const [service, checker, port] of [['ldap', ldapChecker, ld.ldap], ['ldaps', ldapsChecker, ld.ldaps]] as const) {
    t.test(service, async (t) => {
      const base = { service, port } as const;
      const r = await run(checker, { ...base, request: '/' });
      t.same(verdict(r), { ok: true, message: 'Success' }, 'anonymous bind, root DSE');
      carriesCert(t, r, service === 'ldaps');
      t.same(
        verdict(await run(checker, { ...base, request: `/${ld.userDn}`, login: ld.userDn, passwd: ld.userPassword, receive: /^cn=health,/ })),
        { ok: true, message: 'Success' },
        'simple bind, an entry whose DN matches receive',
      );
      t.match(
        await run(checker, { ...base, request: `/${ld.userDn}`, login: ld.userDn, passwd: 'wrong' }),
        { ok: false, message: /^Bind failed: / },
        'wrong password',
      );
      t.match(
        await run(checker, { ...base, request: `/cn=nobody,${ld.suffix}` }),
        { ok: false, message: /^No answer received: / },
        'a base that does not exist',
      );
      t.same(
        verdict(await run(checker, { ...base, request: `/${ld.suffix}`, receive: /^ou=/ })),
        { ok: false, message: `Response mismatch: ${ld.suffix}` },
        'DN does not match receive',
      );
    });
  }

  t.test('ldaps with sslverify refuses a self-signed certificate', async (t) => {
    t.match(await run(ldapsChecker, { service: 'ldaps', port: ld.ldaps, sslverify: true, virtualhost: 'localhost' }), {
      ok: false,
      message: /^Connection failed: .*self[- ]signed/,
    });
  });
});

// ldirectord's words for an unreachable server, with the reason after them.
const refused = /^Connection failed: Connection refused$/;
// An LDAPMessage SEQUENCE announcing 2 GiB: the parser waits for it, the byte cap must act.
const flood = Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]);
t.test('ldap failures', async (t) => tcpFailures(t, ldapChecker, { service: 'ldap' }, { refused, flood }));
t.test('ldaps failures', async (t) => tcpFailures(t, ldapsChecker, { service: 'ldaps' }, { refused, flood, tls: true }));
