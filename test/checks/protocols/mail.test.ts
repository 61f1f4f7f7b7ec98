// service=pop / pops / imap / imaps against a real Dovecot on loopback (plain and TLS listeners).
import t from 'tap';
import { imapChecker, imapsChecker } from '../../../src/checks/protocols/imap.js';
import { popChecker, popsChecker } from '../../../src/checks/protocols/pop.js';
import type { Checker, CheckTarget } from '../../../src/checks/types.js';
import { dovecotMissing, startDovecot } from '../../helpers/daemons/dovecot.js';
import { jamnntpdMissing, startJamnntpd } from '../../helpers/daemons/jamnntpd.js';
import { never, settles, target } from '../helpers.js';
import { BOUND, carriesCert, closesItsConnections, scriptedServer, tcpFailures, tcpSockets, verdict } from './common.js';

const run = (c: Checker, over: Partial<CheckTarget>) =>
  settles(c.check(target({ negotiatetimeout: 10, ...over }), never), BOUND);

t.test('against Dovecot', { skip: dovecotMissing() ?? false }, async (t) => {
  const dv = await startDovecot();
  t.teardown(dv.stop);
  const login = { login: dv.user, passwd: dv.password };

  const cases: [string, Checker, number][] = [
    ['pop', popChecker, dv.pop3],
    ['pops', popsChecker, dv.pop3s],
    ['imap', imapChecker, dv.imap],
    ['imaps', imapsChecker, dv.imaps],
  ];
  for (const [service, checker, port] of cases) {
    t.test(`${service} is up`, async (t) => {
      const base = { service: service as CheckTarget['service'], port };
      const r = await run(checker, base);
      t.same(verdict(r), { ok: true, message: 'Success' }, 'greeting only (no login)');
      carriesCert(t, r, service.endsWith('s'));
      t.same(verdict(await run(checker, { ...base, ...login })), { ok: true, message: 'Success' }, 'good login');
    });
  }
  for (const [service, checker, port] of cases) {
    t.test(`${service} with a wrong password is down`, async (t) => {
      const r = await run(checker, { service: service as CheckTarget['service'], port, login: dv.user, passwd: 'wrong' });
      t.match(r, { ok: false, message: /^login failed: / });
    });
  }

  t.test('the plain checkers do not speak TLS to a TLS port', async (t) => {
    // Dovecot waits for a TLS ClientHello, the checker for a greeting: the timeout ends it.
    t.same(await run(popChecker, { service: 'pop', port: dv.pop3s, negotiatetimeout: 1 }), { ok: false, message: 'timeout after 1s' });
  });

  t.test('sslverify: a self-signed certificate is refused, SNI from virtualhost', async (t) => {
    const r = await run(imapsChecker, { service: 'imaps', port: dv.imaps, sslverify: true, virtualhost: 'localhost' });
    t.equal(r.ok, false);
    t.match(r.message, /self[- ]signed/);
    // Without sslverify the same server is up (ldirectord never verified).
    t.equal((await run(popsChecker, { service: 'pops', port: dv.pop3s, virtualhost: 'localhost' })).ok, true);
  });

  t.test('a password with a quote and a backslash is quoted for IMAP, and simply refused', async (t) => {
    const r = await run(imapChecker, { service: 'imap', port: dv.imap, login: dv.user, passwd: 'a"b\\c' });
    t.match(r, { ok: false, message: /^login failed: a1 NO/ });
  });

  t.test('a login with a line break never reaches the wire', async (t) => {
    const r = await run(popChecker, { service: 'pop', port: dv.pop3, login: 'alice\r\nQUIT' });
    t.same(r, { ok: false, message: 'command contains CR, LF or NUL' });
  });
});

t.test('the wrong protocol is down (an NNTP banner is no POP or IMAP greeting)', { skip: jamnntpdMissing() ?? false }, async (t) => {
  const nntp = await startJamnntpd();
  t.teardown(nntp.stop);
  t.match(await run(popChecker, { service: 'pop', port: nntp.port }), { ok: false, message: /^unexpected greeting: 200 / });
  t.match(await run(imapChecker, { service: 'imap', port: nntp.port }), { ok: false, message: /^unexpected greeting: 200 / });
});

t.test('without a login, nothing listening is down (ldirectord said up)', async (t) =>
  tcpFailures(t, popChecker, { service: 'pop' }));
t.test('pops failures', async (t) => tcpFailures(t, popsChecker, { service: 'pops' }, { tls: true }));
t.test('imap failures', async (t) => tcpFailures(t, imapChecker, { service: 'imap' }));
t.test('imaps failures', async (t) => tcpFailures(t, imapsChecker, { service: 'imaps' }, { tls: true }));

// A TLS server that completes the handshake and then never greets: the timeout covers TLS too.
t.test('imaps: TLS handshake done, no greeting, times out', async (t) => {
  const port = await scriptedServer(t, () => undefined, true);
  const before = tcpSockets();
  const p = imapsChecker.check(target({ service: 'imaps', port, negotiatetimeout: 1 }), never);
  const r = await settles(p, BOUND);
  t.same(verdict(r), { ok: false, message: 'timeout after 1s' });
  carriesCert(t, r, true);
  await closesItsConnections(t, before);
});
