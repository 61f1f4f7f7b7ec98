// service=sip against a tiny SIP responder written here (UDP and TCP) on loopback.
import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import { sipChecker } from '../../src/checks/sip.js';
import type { CheckTarget } from '../../src/checks/types.js';
import { freeUdpPort, listen, never, settles, silentUdpServer, target } from './helpers.js';

/** The reply a UA sends to OPTIONS: status line plus the request's Via/From/To/Call-ID/CSeq. */
function respond(request: string, status: string): string {
  const keep = request.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
  return [`SIP/2.0 ${status}`, ...keep, 'Allow: INVITE, ACK, OPTIONS, BYE', 'Content-Length: 0', '', ''].join('\r\n');
}

/** A UDP SIP responder: answers each request with `statuses` in order (several datagrams). */
async function udpSip(t: { teardown: (fn: () => void) => void }, statuses: string[]) {
  const requests: { text: string; port: number }[] = [];
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, from) => {
    requests.push({ text: String(msg), port: from.port });
    for (const s of statuses) sock.send(respond(String(msg), s), from.port, from.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.teardown(() => sock.close());
  return { port: sock.address().port, requests };
}

const sip = (over: Partial<CheckTarget>): CheckTarget =>
  target({ service: 'sip', protocol: 'udp', login: 'ldirectord@lb1', negotiatetimeout: 2, ...over });

t.test('200 OK over UDP: up; the request is a proper OPTIONS', async (t) => {
  const { port, requests } = await udpSip(t, ['200 OK']);
  const r = await sipChecker.check(sip({ port }), never);
  t.same(r, { ok: true, message: 'SIP/2.0 200 OK' });
  t.equal(requests.length, 1);
  const [first, ...headers] = requests[0]!.text.split('\r\n');
  t.equal(first, 'OPTIONS sip:ldirectord@lb1 SIP/2.0');
  const via = headers.find((h) => h.startsWith('Via: '));
  t.match(via, new RegExp(`^Via: SIP/2\\.0/UDP 127\\.0\\.0\\.1:${requests[0]!.port};branch=z9hG4bK[0-9a-f]+$`), 'Via names our socket');
  for (const h of ['Max-Forwards: 70', 'To: <sip:ldirectord@lb1>', 'CSeq: 63104 OPTIONS', 'Content-Length: 0']) {
    t.ok(headers.includes(h), h);
  }
  t.ok(requests[0]!.text.endsWith('\r\n\r\n'), 'ends with an empty line');
});

t.test('a provisional 100 is skipped, the final 200 counts', async (t) => {
  const { port } = await udpSip(t, ['100 Trying', '200 OK']);
  t.equal((await sipChecker.check(sip({ port }), never)).ok, true);
});

t.test('a final error status is down with the status line', async (t) => {
  const { port } = await udpSip(t, ['404 Not Found']);
  t.same(await sipChecker.check(sip({ port }), never), { ok: false, message: 'SIP/2.0 404 Not Found' });
});

t.test('an empty login falls back to lvsd@<hostname>, not "sip:"', async (t) => {
  const { port, requests } = await udpSip(t, ['200 OK']);
  await sipChecker.check(sip({ port, login: '' }), never);
  t.match(requests[0]!.text, /^OPTIONS sip:lvsd@\S+ SIP\/2\.0\r\n/);
});

t.test('UDP to a closed port: "Connection refused"', async (t) => {
  const r = await settles(sipChecker.check(sip({ port: await freeUdpPort() }), never), 10);
  t.same(r, { ok: false, message: 'Connection refused' });
});

t.test('no answer: timeout after negotiatetimeout', async (t) => {
  const silent = await silentUdpServer();
  t.teardown(silent.close);
  const r = await settles(sipChecker.check(sip({ port: silent.port, negotiatetimeout: 1 }), never), 10);
  t.same(r, { ok: false, message: 'timeout after 1s' });
});

t.test('garbage reply: not a SIP status, so it keeps waiting and times out', async (t) => {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (_m, from) => sock.send('HTTP/1.1 200 OK\r\n\r\n', from.port, from.address));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.teardown(() => sock.close());
  const r = await settles(sipChecker.check(sip({ port: sock.address().port, negotiatetimeout: 1 }), never), 10);
  t.same(r, { ok: false, message: 'timeout after 1s' });
});

t.test('over TCP (protocol tcp): Via says TCP, reply read from the stream', async (t) => {
  let seen = '';
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.on('data', (d) => {
      seen += d;
      if (seen.endsWith('\r\n\r\n')) s.write(respond(seen, '200 OK'));
    });
  });
  const port = await listen(server);
  t.teardown(() => server.close());
  const r = await sipChecker.check(sip({ protocol: 'tcp', port }), never);
  t.same(r, { ok: true, message: 'SIP/2.0 200 OK' });
  t.match(seen, /\r\nVia: SIP\/2\.0\/TCP 127\.0\.0\.1:\d+;branch=/);
});

t.test('TCP server that closes without a status: down', async (t) => {
  const server = net.createServer((s) => s.end('hello\r\n'));
  const port = await listen(server);
  t.teardown(() => server.close());
  t.same(await sipChecker.check(sip({ protocol: 'tcp', port }), never), { ok: false, message: 'No SIP final response' });
});
