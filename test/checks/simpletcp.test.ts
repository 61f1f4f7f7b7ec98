// service=simpletcp against real TCP and UDP line servers on loopback.
import t from 'tap';
import net from 'node:net';
import dgram from 'node:dgram';
import { simpletcpChecker, simpletcpPayload } from '../../src/checks/simpletcp.js';
import type { CheckTarget } from '../../src/checks/types.js';
import { freeTcpPort, freeUdpPort, listen, never, settles, silentTcpServer, silentUdpServer, target } from './helpers.js';

/** A TCP server that collects the request until the client half-closes, then replies. */
async function lineServer(
  t: { teardown: (fn: () => void) => void },
  reply: (request: string) => string,
): Promise<{ port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = net.createServer((s) => {
    let got = '';
    s.on('error', () => {});
    s.on('data', (d) => (got += d));
    // 'end' only comes after the client's shutdown(SHUT_WR): proves the half-close.
    s.on('end', () => {
      requests.push(got);
      s.end(reply(got));
    });
  });
  const port = await listen(server);
  t.teardown(() => server.close());
  return { port, requests };
}

const stcp = (over: Partial<CheckTarget>): CheckTarget => target({ service: 'simpletcp', negotiatetimeout: 2, ...over });

t.test('the request: leading "/" dropped, only a literal \\n becomes LF', async (t) => {
  t.equal(simpletcpPayload('/PING\\nSTATUS\\r').toString(), 'PING\nSTATUS\\r');
});

t.test('a line matching receive: up; the server got the request and a half-close', async (t) => {
  const { port, requests } = await lineServer(t, () => 'hello\nstatus: ready\nbye\n');
  const r = await simpletcpChecker.check(stcp({ port, request: '/STATUS\\n', receive: /^status: ready$/ }), never);
  t.same(r, { ok: true, message: 'Success' });
  t.same(requests, ['STATUS\n']);
});

t.test('the last line without a newline still counts', async (t) => {
  const { port } = await lineServer(t, () => 'a\nOK');
  const r = await simpletcpChecker.check(stcp({ port, receive: /^OK$/ }), never);
  t.equal(r.ok, true);
});

t.test('CRLF lines match with $ (the CR is not part of the line)', async (t) => {
  const { port } = await lineServer(t, () => '+PONG\r\n');
  const r = await simpletcpChecker.check(stcp({ port, receive: /^\+PONG$/ }), never);
  t.equal(r.ok, true);
});

t.test('no line matches: "Response mismatch"', async (t) => {
  const { port } = await lineServer(t, () => 'status: loading\n');
  const r = await simpletcpChecker.check(stcp({ port, receive: /ready/ }), never);
  t.same(r, { ok: false, message: 'Response mismatch' });
});

t.test('empty receive: any answer line is up (ldirectord reused the last regex)', async (t) => {
  const { port } = await lineServer(t, () => 'whatever\n');
  t.equal((await simpletcpChecker.check(stcp({ port }), never)).ok, true);
});

t.test('empty receive and no answer at all: down', async (t) => {
  const { port } = await lineServer(t, () => '');
  t.same(await simpletcpChecker.check(stcp({ port }), never), { ok: false, message: 'Response mismatch' });
});

t.test('refused: "Connection refused"', async (t) => {
  const r = await simpletcpChecker.check(stcp({ port: await freeTcpPort(), receive: /x/ }), never);
  t.same(r, { ok: false, message: 'Connection refused' });
});

t.test('a server that never answers: timeout after negotiatetimeout', async (t) => {
  const silent = await silentTcpServer();
  t.teardown(silent.close);
  const r = await settles(simpletcpChecker.check(stcp({ port: silent.port, negotiatetimeout: 1, receive: /x/ }), never), 10);
  t.same(r, { ok: false, message: 'timeout after 1s' });
});

t.test('an endless reply without a match is cut off, not read forever', async (t) => {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    const line = Buffer.from('noise '.repeat(1000) + '\n');
    const pump = (): void => {
      while (!s.destroyed && s.write(line));
      if (!s.destroyed) s.once('drain', pump);
    };
    pump();
  });
  const port = await listen(server);
  t.teardown(() => server.close());
  const r = await settles(simpletcpChecker.check(stcp({ port, negotiatetimeout: 30, receive: /ready/ }), never), 30);
  t.equal(r.ok, false);
  t.match(r.message, /longer than/);
});

t.test('UDP: one datagram out, lines of the reply datagram matched', async (t) => {
  const sock = dgram.createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (msg, from) => {
    got.push(String(msg));
    sock.send('line one\nSTATUS OK\n', from.port, from.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.teardown(() => sock.close());
  const r = await simpletcpChecker.check(stcp({ protocol: 'udp', port: sock.address().port, request: '/stat\\n', receive: /STATUS OK/ }), never);
  t.same(r, { ok: true, message: 'Success' });
  t.same(got, ['stat\n']);
});

t.test('UDP to a closed port: the ICMP error is "Connection refused"', async (t) => {
  const r = await settles(simpletcpChecker.check(stcp({ protocol: 'udp', port: await freeUdpPort(), receive: /x/ }), never), 10);
  t.same(r, { ok: false, message: 'Connection refused' });
});

t.test('UDP server that never answers: timeout', async (t) => {
  const silent = await silentUdpServer();
  t.teardown(silent.close);
  const r = await settles(simpletcpChecker.check(stcp({ protocol: 'udp', port: silent.port, negotiatetimeout: 1 }), never), 10);
  t.same(r, { ok: false, message: 'timeout after 1s' });
});
