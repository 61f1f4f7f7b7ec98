// The bounded line client under hostile servers: endless lines, floods, drip-feeding, bad
// replies. Servers here are scripted on loopback because real daemons do not misbehave on cue.
import t from 'tap';
import { LineClient, printable } from '../../../src/checks/protocols/line-client.js';
import { smtpChecker } from '../../../src/checks/protocols/smtp.js';
import { hasIpv6Loopback, never, settles, target } from '../helpers.js';
import { BOUND, closesItsConnections, scriptedServer, tcpSockets, whileOpen } from './common.js';

const smtp = (port: number, negotiatetimeout = 10) =>
  settles(smtpChecker.check(target({ service: 'smtp', port, negotiatetimeout }), never), BOUND);

t.test('an endless line is cut at the line limit, not read into memory', async (t) => {
  const port = await scriptedServer(t, (s) => whileOpen(s, 1, () => s.write('2'.repeat(4096))));
  const before = tcpSockets();
  t.same(await smtp(port), { ok: false, message: 'reply line longer than 8192 bytes' });
  await closesItsConnections(t, before);
});

t.test('a flood of lines is cut at the byte limit', async (t) => {
  const port = await scriptedServer(t, (s) => {
    s.write('220-hello\r\n');
    whileOpen(s, 1, () => s.write(`220-${'x'.repeat(1000)}\r\n`.repeat(20)));
  });
  t.same(await smtp(port), { ok: false, message: 'server sent more than 65536 bytes' });
});

t.test('a multi-line reply longer than 200 lines is refused', async (t) => {
  const port = await scriptedServer(t, (s) => s.write('220-x\r\n'.repeat(300)));
  t.same(await smtp(port), { ok: false, message: 'reply longer than 200 lines' });
});

t.test('drip-feeding one byte at a time cannot outlast negotiatetimeout', async (t) => {
  // Every byte arrives well within any per-read timeout; only a whole-exchange deadline ends it.
  const port = await scriptedServer(t, (s) => whileOpen(s, 100, () => s.write('2')));
  t.same(await smtp(port, 1), { ok: false, message: 'timeout after 1s' });
});

t.test('slow but steady replies: the timeout covers the whole exchange, not each step', async (t) => {
  // Each reply takes 400 ms (< 1 s), the exchange three of them: ldirectord's per-step
  // timeout would have passed it, lvsd's whole-exchange timeout of 1 s does not.
  const port = await scriptedServer(t, (s) => {
    const later = (line: string) => setTimeout(() => !s.destroyed && s.write(`${line}\r\n`), 400);
    later('220 slow.example ESMTP');
    s.on('data', (d) => later(d.toString().startsWith('EHLO') ? '502 no EHLO' : '250 ok'));
  });
  t.same(await smtp(port, 1), { ok: false, message: 'timeout after 1s' });
  t.same(await smtp(port, 10), { ok: true, message: 'Success' }, 'the same server is up with time to finish');
});

t.test('a reply that is not numbered is refused, and shown safely', async (t) => {
  const port = await scriptedServer(t, (s) => s.write('hello\x1b[31m there\r\n'));
  t.same(await smtp(port), { ok: false, message: 'malformed reply: hello?[31m there' });
});

t.test('a server that closes right after connecting', async (t) => {
  const port = await scriptedServer(t, (s) => s.end());
  t.same(await smtp(port), { ok: false, message: 'connection closed by server' });
});

t.test('multi-line replies and EHLO falling back to HELO', async (t) => {
  const port = await scriptedServer(t, (s) => {
    s.write('220-first\r\n220-second\r\n220 last\r\n');
    s.on('data', (d) => {
      const cmd = d.toString();
      if (cmd.startsWith('EHLO')) s.write('500 what?\r\n');
      else if (cmd.startsWith('HELO localhost.localdomain')) s.write('250 hi\r\n');
      else if (cmd.startsWith('QUIT')) s.end('221 bye\r\n');
    });
  });
  t.same(await smtp(port), { ok: true, message: 'Success' });
});

t.test('over IPv6 too (ldirectord checked smtp over IPv4 only)', async (t) => {
  if (!(await hasIpv6Loopback())) return t.skip('no IPv6 loopback (::1) on this machine');
  const port = await scriptedServer(
    t,
    (s) => {
      s.write('220 v6 ESMTP\r\n');
      s.on('data', (d) => s.write(d.toString().startsWith('QUIT') ? '221 bye\r\n' : '250 ok\r\n'));
    },
    false,
    '::1',
  );
  const r = await settles(smtpChecker.check(target({ service: 'smtp', family: 6, host: '::1', port, negotiatetimeout: 10 }), never), BOUND);
  t.same(r, { ok: true, message: 'Success' });
});

t.test('LineClient reads lines across chunks and strips CR LF', async (t) => {
  const port = await scriptedServer(t, (s) => {
    s.write('+OK one');
    setTimeout(() => s.write('\r\n+OK two\n'), 20);
  });
  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const c = await LineClient.connect({ host: '127.0.0.1', port, signal: ac.signal });
  t.equal(await c.readLine(), '+OK one');
  t.equal(await c.readLine(), '+OK two');
  t.throws(() => c.send('USER a\nPASS b'), /CR, LF or NUL/);
});

t.test('printable() keeps log lines to one safe line', async (t) => {
  t.equal(printable('a\r\nb\x00c'), 'a??b?c');
  t.equal(printable('x'.repeat(300)).length, 201);
});
