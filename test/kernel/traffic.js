#!/usr/bin/env node
// The client of the director-pair test, run in the client namespace. It holds LONG TCP connections
// to VIP:PORT, each sending a numbered line every 200 ms and reading the echo (which names the real),
// and starts a new short connection every 100 ms (connect, one line, its echo, close), whether or
// not the one before has finished, so a takeover shows as a run of failed or retried attempts.
//   node traffic.js VIP PORT LONG
// stdout: one JSON line {ready, ports} once every long connection has echoed; then, for each line
// "report FROM_MS" on stdin, one JSON line describing what happened since FROM_MS (epoch ms).
import net from 'node:net';
import readline from 'node:readline';

const [vip, portArg, longArg] = process.argv.slice(2);
const port = Number(portArg);
// A late answer is not a failure: on a busy host the guest may not run for seconds, and its timers
// then fire all at once. 20 s outlasts SYN retransmissions at 1, 3 and 7 s; a slow attempt still
// counts as hit by the takeover (failover.test.js measures the window from both).
const SHORT_TIMEOUT = 20_000;

const long = [];
for (let i = 0; i < Number(longArg); i++) {
  const c = { i, port: 0, real: undefined, arrivals: [], broken: undefined, seq: 0, wrongOrder: 0 };
  long.push(c);
  const sock = net.connect({ host: vip, port }, () => {
    c.port = sock.localPort;
    sock.setNoDelay(true);
    c.timer = setInterval(() => sock.write(`L${i} ${c.seq++}\n`), 200);
  });
  let buf = '';
  let expect = 0;
  sock.setEncoding('utf8');
  sock.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const l of lines) {
      const [real, , seq] = l.split(' ');
      if (c.real === undefined) c.real = real;
      // the same real in order, every line once: a connection that moved or lost data is broken
      if (real !== c.real || Number(seq) !== expect) c.wrongOrder++;
      expect = Number(seq) + 1;
      c.arrivals.push(Date.now());
    }
  });
  const end = (why) => {
    if (!c.broken) c.broken = { t: Date.now(), why };
    clearInterval(c.timer);
  };
  sock.on('error', (e) => end(e.code ?? e.message));
  sock.on('close', () => end('closed'));
}

const short = [];
function shortOne() {
  const a = { s: Date.now(), e: 0, ok: false, real: undefined, err: undefined };
  short.push(a);
  const sock = net.connect({ host: vip, port });
  const done = (ok, err) => {
    if (a.e) return;
    Object.assign(a, { e: Date.now(), ok, err });
    sock.destroy();
  };
  sock.setTimeout(SHORT_TIMEOUT, () => done(false, 'TIMEOUT'));
  sock.on('connect', () => sock.write('S\n'));
  sock.setEncoding('utf8');
  let buf = '';
  sock.on('data', (d) => {
    buf += d;
    if (buf.includes('\n')) { a.real = buf.split(' ')[0]; done(true); }
  });
  sock.on('error', (e) => done(false, e.code ?? e.message));
  sock.on('close', () => done(false, 'closed'));
}

const ready = setInterval(() => {
  if (long.every((c) => c.arrivals.length > 0 || c.broken)) {
    clearInterval(ready);
    process.stdout.write(`${JSON.stringify({ ready: true, ports: long.map((c) => c.port) })}\n`);
    setInterval(shortOne, 100);
  }
}, 50);

// The client's own stalls: under emulation on a busy host the guest may not run for seconds, and a
// starved client sees every answer late. Recorded so a slow figure can be told from a lost packet.
const stalls = [];
let tick = Date.now();
setInterval(() => {
  const now = Date.now();
  if (now - tick > 300) stalls.push({ t: now, ms: now - tick - 100 });
  tick = now;
}, 100);

/** Per long connection: echoes since `from`, the longest silence since then, whether it broke. */
function report(from) {
  const now = Date.now();
  return {
    now,
    long: long.map((c) => {
      let last = from;
      let maxGap = 0;
      let n = 0;
      for (const t of c.arrivals) {
        if (t < from) { last = t; continue; }
        maxGap = Math.max(maxGap, t - last);
        last = t;
        n++;
      }
      return { i: c.i, port: c.port, real: c.real, echoes: n, lastEcho: c.arrivals.at(-1), maxGap, broken: c.broken, wrongOrder: c.wrongOrder };
    }),
    short: short.filter((a) => a.s >= from),
    stalled: Math.max(0, ...stalls.filter((x) => x.t >= from).map((x) => x.ms)),
  };
}

readline.createInterface({ input: process.stdin }).on('line', (l) => {
  const m = /^report (\d+)$/.exec(l.trim());
  if (m) process.stdout.write(`${JSON.stringify(report(Number(m[1])))}\n`);
});
process.on('SIGTERM', () => process.exit(0));
