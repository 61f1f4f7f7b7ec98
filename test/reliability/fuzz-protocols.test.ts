// Property-based fuzzing (fast-check) of every parser lvsd itself writes for what servers and
// ipvsadm send it: DNS answers (UDP and TCP framing), the line splitter and the numbered-reply
// client, FTP passive replies, RADIUS replies, SIP and HTTP status lines over real loopback
// sockets, ipvsadm -S / -L output, receive patterns, hook command lines. Properties: no throw
// (or only the documented error), no hang, and the results mean what they say. Bounded in runs
// and time; LVSD_FUZZ_RUNS=N runs N per property (default 300) for a longer local session.
import t from 'tap';
import fc from 'fast-check';
import dgram from 'node:dgram';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { TcpReply, judgeReply } from '../../src/checks/dns.js';
import { LineReader, datagramLines } from '../../src/checks/lines.js';
import { LineClient } from '../../src/checks/protocols/line-client.js';
import { passivePort } from '../../src/checks/protocols/ftp.js';
import { buildAccessRequest, verifyReply } from '../../src/checks/protocols/radius.js';
import { sipCheck } from '../../src/checks/sip.js';
import { httpCheck } from '../../src/checks/http.js';
import { runCheck } from '../../src/checks/deadline.js';
import { formatSave, parseListThresholds, parseSave } from '../../src/ipvs/rules.js';
import { translatePerlRegex } from '../../src/config/perl-regex.js';
import { splitCommand } from '../../src/daemon/hooks.js';
import { ROOT } from '../helpers/lvsd.js';
import { target } from '../checks/helpers.js';

const RUNS = Number(process.env.LVSD_FUZZ_RUNS ?? 300);
/** Sync properties: RUNS runs, but never more than 10 s each. */
const opts = { numRuns: RUNS, interruptAfterTimeLimit: 10_000, markInterruptAsFailure: false };
/** Socket properties are slower: a tenth of the runs, 20 s at most. */
const netOpts = { numRuns: Math.max(20, Math.round(RUNS / 10)), interruptAfterTimeLimit: 20_000, markInterruptAsFailure: false };

/** A byte string that is `seed` with a few bytes replaced, inserted or cut (lying lengths and counts come from here). */
const mutated = (seed: Buffer): fc.Arbitrary<Buffer> =>
  fc
    .array(fc.tuple(fc.nat(Math.max(seed.length, 1)), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'cut')), { maxLength: 8 })
    .map((edits) => {
      let b = Buffer.from(seed);
      for (const [at, byte, op] of edits) {
        const i = Math.min(at, b.length);
        if (op === 'set' && i < b.length) b[i] = byte;
        else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
        else b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1 + (byte % 16))]);
      }
      return b;
    });
const bytes = fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a));

// ---- DNS --------------------------------------------------------------------------------------

const DNS_ID = 0x1234;
const dnsAnswer = dnsPacket.encode({
  type: 'response',
  id: DNS_ID,
  flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
  questions: [{ type: 'A', name: 'www.example.com', class: 'IN' }],
  answers: [
    { type: 'CNAME', name: 'www.example.com', data: 'web.example.com' },
    { type: 'A', name: 'web.example.com', ttl: 60, data: '192.0.2.1' },
    { type: 'AAAA', name: 'web.example.com', ttl: 60, data: '2001:db8::1' },
  ],
});

t.test('DNS: any answer, however it lies, gets a verdict and never a throw', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(mutated(dnsAnswer), bytes), async (reply) => {
      const v = await judgeReply(reply, DNS_ID, /^192\.0\.2\.1$/);
      if (v === undefined) return reply.length < 2 || reply.readUInt16BE(0) !== DNS_ID || (reply[2]! & 0x80) === 0;
      return typeof v.message === 'string' && v.message.length > 0 && (!v.ok || v.message === 'Success');
    }),
    opts,
  );
  t.same(await judgeReply(dnsAnswer, DNS_ID, /^192\.0\.2\.1$/), { ok: true, message: 'Success' }, 'the unmutated answer is up');
});

t.test('DNS over TCP: a reply cut anywhere is reassembled exactly; a length prefix cannot make it read past what came', async (t) => {
  const framed = Buffer.concat([Buffer.from([dnsAnswer.length >> 8, dnsAnswer.length & 0xff]), dnsAnswer]);
  fc.assert(
    fc.property(fc.array(fc.nat(framed.length), { maxLength: 10 }), (cuts) => {
      const at = [...new Set([0, ...cuts.sort((a, b) => a - b), framed.length])];
      const r = new TcpReply();
      let got: Buffer | undefined;
      for (let i = 1; i < at.length && !got; i++) got = r.take(framed.subarray(at[i - 1], at[i]));
      return got !== undefined && got.equals(dnsAnswer);
    }),
    opts,
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), bytes, (len, body) => {
      const got = new TcpReply().take(Buffer.concat([Buffer.from([len >> 8, len & 0xff]), body]));
      return got === undefined ? body.length < len : got.length === len;
    }),
    opts,
  );
  t.pass('properties held');
});

// ---- lines ------------------------------------------------------------------------------------

t.test('LineReader: any bytes in any chunks give the same lines as the whole; the cap holds', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('\r\n', '\n', '\r', 'é', '\u{1F600}')), { maxLength: 40 }), fc.array(fc.nat(400), { maxLength: 8 }), (parts, cuts) => {
      const all = Buffer.from(parts.join(''), 'utf8');
      const at = [...new Set([0, ...cuts.filter((c) => c < all.length).sort((a, b) => a - b), all.length])];
      const r = new LineReader();
      const lines: string[] = [];
      for (let i = 1; i < at.length; i++) lines.push(...r.push(all.subarray(at[i - 1], at[i])));
      lines.push(...r.end());
      return JSON.stringify(lines) === JSON.stringify(datagramLines(all));
    }),
    opts,
  );
  const capped = new LineReader(100);
  t.throws(() => capped.push(Buffer.alloc(101, 0x61)), /reply longer than 100 bytes/, 'past the cap: the documented error');
});

/** A loopback server that sends `reply` to whoever connects and closes. */
async function sender(reply: Buffer, close = true): Promise<{ port: number; stop: () => Promise<void> }> {
  const socks = new Set<net.Socket>();
  const server = net.createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    if (close) s.end(reply);
    else s.write(reply);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((r) => {
        socks.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  };
}

t.test('LineClient: numbered replies from a hostile server end in a reply or a named error', async (t) => {
  const reply = fc.oneof(
    bytes,
    fc.array(fc.oneof(fc.constantFrom('220-', '220 ', '250-', '250 ', '220', '2', '\r\n', '\n', 'x'.repeat(9000)), fc.string()), { maxLength: 30 }).map((a) => Buffer.from(a.join(''))),
  );
  await fc.assert(
    fc.asyncProperty(reply, async (text) => {
      const s = await sender(text);
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), 2000);
      try {
        const c = await LineClient.connect({ host: '127.0.0.1', port: s.port, signal: ac.signal });
        try {
          for (let i = 0; i < 50; i++) {
            const r = await c.readReply();
            if (!(r.code >= 0 && r.code <= 999 && r.lines.length >= 1)) return false;
          }
          return true;
        } catch (e) {
          return /connection closed by server|malformed reply|reply line longer than|reply longer than|server sent more than|aborted/.test((e as Error).message);
        } finally {
          c.destroy();
        }
      } finally {
        clearTimeout(timer);
        await s.stop();
      }
    }),
    netOpts,
  );
  t.pass('property held');
});

// ---- FTP, RADIUS --------------------------------------------------------------------------------

t.test('FTP passive replies: a port in 1..65535 or none', async (t) => {
  const text = fc.oneof(fc.string(), fc.tuple(fc.array(fc.integer({ min: -5, max: 99999 }), { minLength: 6, maxLength: 6 })).map(([n]) => `Entering Passive Mode (${n.join(',')})`), fc.integer({ min: -5, max: 999999 }).map((p) => `Entering Extended Passive Mode (|||${p}|)`));
  fc.assert(
    fc.property(fc.constantFrom(227, 229), text, (code, line) => {
      const p = passivePort({ code, lines: [`${code} ${line}`] });
      return p === undefined || (Number.isInteger(p) && p >= 1 && p <= 65535);
    }),
    opts,
  );
  t.equal(passivePort({ code: 227, lines: ['227 Entering Passive Mode (127,0,0,1,200,10)'] }), 200 * 256 + 10);
});

t.test('RADIUS replies: verified or refused with a reason, never a throw', async (t) => {
  const secret = Buffer.from('s3cret');
  const req = buildAccessRequest('user', 'pass', secret, '127.0.0.1', 7);
  fc.assert(
    fc.property(fc.oneof(mutated(Buffer.concat([Buffer.from([2, 7, 0, 20]), Buffer.alloc(16)])), mutated(req.packet), bytes), (reply) => {
      const v = verifyReply(reply, req, secret);
      return 'ignore' in v || ('error' in v && v.error.length > 0) || ('code' in v && Number.isInteger(v.code));
    }),
    opts,
  );
  t.pass('property held');
});

// ---- SIP and HTTP status lines, through the real checkers ----------------------------------------

t.test('SIP over UDP: any datagram is a verdict or no answer, up only for a 200', async (t) => {
  const datagram = fc.oneof(
    bytes,
    fc.tuple(fc.constantFrom('SIP/2.0 ', 'SIP/2.0', 'SIP/1.0 ', 'sip/2.0 ', ''), fc.string({ maxLength: 5 }), fc.string({ maxLength: 30 })).map(([a, b, c]) => Buffer.from(`${a}${b} ${c}\r\nVia: x\r\n\r\n`)),
  );
  await fc.assert(
    fc.asyncProperty(datagram, async (msg) => {
      const sock = dgram.createSocket('udp4');
      sock.on('message', (_m, peer) => sock.send(msg, peer.port, peer.address));
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
      try {
        const tgt = target({ service: 'sip', protocol: 'udp', port: sock.address().port, negotiatetimeout: 0.2 });
        const r = await runCheck(new AbortController().signal, 0.2, (s) => sipCheck(tgt, s));
        const first = msg.toString('utf8').split('\n')[0]!.replace(/\r$/, '');
        return r.ok ? /^SIP\/2\.0 200(?: |$)/.test(first) : r.message.length > 0;
      } finally {
        sock.close();
      }
    }),
    netOpts,
  );
  t.pass('property held');
});

t.test('HTTP status lines and heads: a verdict by the deadline, up only for 2xx with the body', async (t) => {
  const head = fc.tuple(
    fc.constantFrom('HTTP/1.1 ', 'HTTP/1.0 ', 'HTTP/2 ', 'HTTP/1.1', 'ICY '),
    fc.oneof(fc.integer({ min: 0, max: 1000 }).map(String), fc.string({ maxLength: 4 })),
    fc.string({ maxLength: 20 }),
    fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })), { maxLength: 4 }),
  );
  await fc.assert(
    fc.asyncProperty(head, async ([version, code, reason, headers]) => {
      const text = `${version}${code} ${reason}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}Content-Length: 2\r\nConnection: close\r\n\r\nOK`;
      const s = await sender(Buffer.from(text, 'latin1'));
      try {
        const tgt = target({ service: 'http', port: s.port, receive: /OK/, negotiatetimeout: 1 });
        const r = await runCheck(new AbortController().signal, 1, (sig) => httpCheck(tgt, sig));
        return r.ok ? /^2\d\d$/.test(code) && version.startsWith('HTTP/1') : r.message.length > 0;
      } finally {
        await s.stop();
      }
    }),
    netOpts,
  );
  t.pass('property held');
});

// ---- ipvsadm output -------------------------------------------------------------------------------

t.test('ipvsadm -S / -L output: any text parses without a throw; what parses survives a save round trip', async (t) => {
  const corpus = readFileSync(join(ROOT, 'test/fixtures/ipvsadm-real/transcript.txt'), 'utf8').split('\n').filter((l) => !l.startsWith('#') && !l.startsWith('$'));
  const line = fc.oneof(fc.constantFrom(...corpus), fc.string(), fc.constantFrom(...corpus).chain((l) => mutated(Buffer.from(l)).map((b) => b.toString('latin1'))));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
      const text = lines.join('\n');
      parseListThresholds(text);
      const table = parseSave(text);
      const again = parseSave(formatSave(table));
      return JSON.stringify(formatSave(again)) === JSON.stringify(formatSave(table));
    }),
    opts,
  );
  t.pass('property held');
});

// ---- config values the daemon turns into behaviour ----------------------------------------------------

t.test('receive patterns: a regex or a reason, never a throw', async (t) => {
  const atoms = fc.constantFrom('a', '(', ')', '(?', '(?>', '(?<n>', '\\', '\\1', '\\k<n>', '[', ']', '[:alpha:]', '{', '}', '{2,', '*', '+', '?', '++', '|', '^', '$', '\\Z', '(?i)', '(?x)', '#', '\n', '\\x{41}', '\\N{U+41}', '\\p{L}', '.', '(?=', '(?!', '(?<=');
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.array(atoms, { maxLength: 20 }).map((a) => a.join(''))), (src) => {
      const r = translatePerlRegex(src);
      return 'regex' in r ? r.regex instanceof RegExp : typeof r.error === 'string' && r.error.length > 0;
    }),
    opts,
  );
  t.pass('property held');
});

t.test('hook command lines: words without a shell, or refused', async (t) => {
  const piece = fc.constantFrom('/bin/echo', ' ', 'a', '"', "'", '\\', ';', '|', '&&', '$(id)', '`id`', '>', '<', '*', '#', '$HOME', '\n', '~');
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.array(piece, { maxLength: 12 }).map((a) => a.join(''))), (line) => {
      const argv = splitCommand(line);
      return argv === undefined || (argv.length > 0 && argv.every((w) => typeof w === 'string'));
    }),
    opts,
  );
  t.same(splitCommand('/bin/echo a; rm -rf /'), undefined, 'a command separator is refused');
  t.same(splitCommand('/bin/echo "a b" c'), ['/bin/echo', 'a b', 'c']);
});
