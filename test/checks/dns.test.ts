// service=dns against a real dnsmasq (Debian package dnsmasq) started on 127.0.0.1 with a
// throw-away config and its own port, over UDP and TCP; plus hostile hand-made servers.
import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { dnsChecker, dnsQuestion, reverseName } from '../../src/checks/dns.js';
import type { CheckTarget } from '../../src/checks/types.js';
import {
  freeTcpPort, freeUdpPort, hasCommand, listen, never, settles, silentTcpServer, silentUdpServer, target,
} from './helpers.js';

const noDnsmasq = hasCommand('dnsmasq') ? false : 'dnsmasq (Debian package dnsmasq) is not installed';

const dns = (over: Partial<CheckTarget>): CheckTarget =>
  target({ service: 'dns', protocol: 'udp', negotiatetimeout: 2, request: '/www.example.test', ...over });

t.test('questions: a name is an A query, an address a PTR query', async (t) => {
  t.same(dnsQuestion('/www.example.test'), { name: 'www.example.test', type: 'A' });
  t.same(dnsQuestion('/192.0.2.10'), { name: '10.2.0.192.in-addr.arpa', type: 'PTR' });
  t.equal(
    reverseName('2001:db8::1'),
    '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
  );
  t.equal(reverseName('::ffff:192.0.2.1'), reverseName('0:0:0:0:0:ffff:c000:201'));
});

/** Starts dnsmasq on 127.0.0.1:<free port> (retrying if the port was taken meanwhile). */
async function startDnsmasq(dir: string): Promise<{ port: number; proc: ChildProcess }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeUdpPort();
    const conf = join(dir, 'dnsmasq.conf');
    writeFileSync(
      conf,
      [
        `port=${port}`,
        'listen-address=127.0.0.1',
        'bind-interfaces',
        'no-resolv',
        'no-hosts',
        'no-poll',
        'user=root',
        'pid-file=',
        'log-facility=-',
        // authoritative for example.test: unknown names get NXDOMAIN, not REFUSED
        'local=/example.test/',
        'host-record=www.example.test,192.0.2.10',
        'ptr-record=20.2.0.192.in-addr.arpa,mail.example.test',
        '',
      ].join('\n'),
    );
    const proc = spawn('dnsmasq', ['-k', '-C', conf], { stdio: 'ignore' });
    // Ready when its TCP listener accepts (bounded: 50 × 100 ms), gone if it exited.
    let exited = false;
    proc.once('exit', () => (exited = true));
    for (let i = 0; i < 50 && !exited; i++) {
      const ok = await new Promise<boolean>((r) => {
        const s = net.connect(port, '127.0.0.1', () => r(true)).on('error', () => r(false));
        s.on('connect', () => s.destroy());
      });
      if (ok) return { port, proc };
      await new Promise((r) => setTimeout(r, 100));
    }
    proc.kill('SIGKILL');
  }
  throw new Error('dnsmasq did not start');
}

t.test('against dnsmasq', { skip: noDnsmasq }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-dns-'));
  const { port, proc } = await startDnsmasq(dir);
  t.teardown(() => {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  for (const protocol of ['udp', 'tcp'] as const) {
    t.test(`${protocol}: A record matching receive: up`, async (t) => {
      const r = await dnsChecker.check(dns({ protocol, port, receive: /^192\.0\.2\.10$/ }), never);
      t.same(r, { ok: true, message: 'Success' });
    });

    t.test(`${protocol}: PTR for an address request`, async (t) => {
      const r = await dnsChecker.check(dns({ protocol, port, request: '/192.0.2.20', receive: /mail\.example/ }), never);
      t.same(r, { ok: true, message: 'Success' });
    });

    t.test(`${protocol}: wrong answer: "Response mismatch"`, async (t) => {
      const r = await dnsChecker.check(dns({ protocol, port, receive: /^10\./ }), never);
      t.same(r, { ok: false, message: 'Response mismatch' });
    });

    t.test(`${protocol}: empty receive: any answer is up (ldirectord: always down)`, async (t) => {
      t.equal((await dnsChecker.check(dns({ protocol, port }), never)).ok, true);
    });

    t.test(`${protocol}: unknown name: NXDOMAIN is down`, async (t) => {
      const r = await dnsChecker.check(dns({ protocol, port, request: '/nope.example.test' }), never);
      t.same(r, { ok: false, message: 'DNS error NXDOMAIN' });
    });
  }
});

t.test('refused over UDP (ICMP port unreachable) and TCP', async (t) => {
  const u = await settles(dnsChecker.check(dns({ port: await freeUdpPort(), receive: /x/ }), never), 10);
  t.same(u, { ok: false, message: 'Connection refused' });
  const c = await dnsChecker.check(dns({ protocol: 'tcp', port: await freeTcpPort(), receive: /x/ }), never);
  t.same(c, { ok: false, message: 'Connection refused' });
});

t.test('no answer: timeout after negotiatetimeout (UDP and TCP)', async (t) => {
  const u = await silentUdpServer();
  const c = await silentTcpServer();
  t.teardown(u.close);
  t.teardown(c.close);
  const ru = await settles(dnsChecker.check(dns({ port: u.port, negotiatetimeout: 1 }), never), 10);
  t.same(ru, { ok: false, message: 'timeout after 1s' });
  const rc = await settles(dnsChecker.check(dns({ protocol: 'tcp', port: c.port, negotiatetimeout: 1 }), never), 10);
  t.same(rc, { ok: false, message: 'timeout after 1s' });
});

/** A UDP "server" that answers every query with `reply(query)`. */
async function udpReplier(t: { teardown: (fn: () => void) => void }, reply: (q: Buffer) => Buffer) {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, from) => sock.send(reply(msg), from.port, from.address));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.teardown(() => sock.close());
  return sock.address().port;
}

t.test('hostile answers', async (t) => {
  t.test('garbage with our id: "Malformed answer", no crash', async (t) => {
    const port = await udpReplier(t, (q) => Buffer.concat([q.subarray(0, 2), Buffer.from([0x81, 0x80, 0, 1, 0xff, 0xff, 0, 0, 0, 0, 0xc0])]));
    const r = await dnsChecker.check(dns({ port }), never);
    t.equal(r.ok, false);
    t.match(r.message, /^Malformed answer/);
  });

  t.test('a compression pointer loop is rejected, not followed forever', async (t) => {
    const port = await udpReplier(t, (q) => {
      // header: id, QR|RD|RA, 1 question, 1 answer; the answer name points at itself.
      const question = q.subarray(12);
      const head = Buffer.from([q[0]!, q[1]!, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
      const at = 12 + question.length;
      const rr = Buffer.from([0xc0 | (at >> 8), at & 0xff, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 10]);
      return Buffer.concat([head, question, rr]);
    });
    const r = await settles(dnsChecker.check(dns({ port }), never), 10);
    t.equal(r.ok, false);
    t.match(r.message, /^Malformed answer/);
  });

  t.test('an answer to another query id is ignored (spoofing), then timeout', async (t) => {
    const port = await udpReplier(t, (q) => {
      const id = (q.readUInt16BE(0) + 1) & 0xffff;
      return dnsPacket.encode({
        type: 'response', id, flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ type: 'A', name: 'www.example.test' }],
        answers: [{ type: 'A', name: 'www.example.test', data: '192.0.2.10' }],
      });
    });
    const r = await settles(dnsChecker.check(dns({ port, negotiatetimeout: 1, receive: /192/ }), never), 10);
    t.same(r, { ok: false, message: 'timeout after 1s' });
  });

  t.test('a truncated UDP answer is asked again over TCP', async (t) => {
    const answerFor = (q: Buffer, flags: number): Buffer =>
      dnsPacket.encode({
        type: 'response', id: q.readUInt16BE(0), flags,
        questions: [{ type: 'A', name: 'www.example.test' }],
        answers: flags & dnsPacket.TRUNCATED_RESPONSE ? [] : [{ type: 'A', name: 'www.example.test', data: '192.0.2.10' }],
      });
    let tcpQueries = 0;
    const server = net.createServer((s) => {
      s.on('error', () => {});
      s.once('data', (d: Buffer) => {
        tcpQueries++;
        const a = answerFor(d.subarray(2), 0);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(a.length);
        s.end(Buffer.concat([len, a]));
      });
    });
    const port = await listen(server);
    t.teardown(() => server.close());
    const udp = dgram.createSocket('udp4');
    udp.on('message', (q, from) => udp.send(answerFor(q, dnsPacket.TRUNCATED_RESPONSE), from.port, from.address));
    await new Promise<void>((r) => udp.bind(port, '127.0.0.1', r));
    t.teardown(() => udp.close());
    const r = await settles(dnsChecker.check(dns({ port, receive: /192\.0\.2\.10/ }), never), 10);
    t.same(r, { ok: true, message: 'Success' });
    t.equal(tcpQueries, 1);
  });

  /** A TCP server that answers with a length prefix of 65535 and three bytes, then ends or idles. */
  const liar = async (t: { teardown: (fn: () => void) => void }, end: boolean): Promise<number> => {
    const server = net.createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => {
        const lie = Buffer.from([0xff, 0xff, 1, 2, 3]);
        if (end) s.end(lie);
        else s.write(lie);
      });
    });
    const port = await listen(server);
    t.teardown(() => server.close());
    return port;
  };

  t.test('TCP: a length prefix promising more than is sent, then close', async (t) => {
    const port = await liar(t, true);
    const r = await settles(dnsChecker.check(dns({ protocol: 'tcp', port }), never), 10);
    t.same(r, { ok: false, message: 'Connection closed before a full answer' });
  });

  t.test('TCP: a length prefix promising more than is sent, then silence: timeout', async (t) => {
    const port = await liar(t, false);
    const r = await settles(dnsChecker.check(dns({ protocol: 'tcp', port, negotiatetimeout: 1 }), never), 10);
    t.same(r, { ok: false, message: 'timeout after 1s' });
  });
});
