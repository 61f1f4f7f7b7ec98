// The real-server farm: one process (its own event loop, so neither the bench driver nor the
// daemon under test shares it) holding N servers on loopback, server i on hostOf(i):port.
// Every server accepts plain TCP connections and answers HTTP/1.x requests with "200 OK" and
// body "OK". On command (IPC messages from farm-client.js) a server can be:
//   ok        listening and answering
//   refuse    listener closed: connects get ECONNREFUSED at once
//   blackhole accepts, reads, never answers (a hung application)
//   tarpit    accepts and trickles a valid response one byte per second (never done in time)
//   drop      SYNs go unanswered (a host gone silent): the address is handed to a small Perl
//             helper holding a listener with a full accept queue, so the kernel drops new SYNs
// It counts accepted connections per server and the gaps between them (the period at which
// the daemon actually checks each real), and reports its own CPU.
import net from 'node:net';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { hostOf, now, percentile } from './util.js';

const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK');
const HOLD_MS = 120_000; // a held (blackhole/tarpit) connection is dropped after this, as a safety net

const servers = [];
let port = 0;
let recording = false;
let gaps = [];

function makeServer(i) {
  const s = { i, host: hostOf(i), mode: 'ok', listener: undefined, held: new Set(), count: 0, last: 0 };
  servers[i] = s;
  return s;
}

function onConnection(s, sock) {
  sock.on('error', () => {});
  s.count += 1;
  const t = now();
  if (recording && s.last > 0) gaps.push(t - s.last);
  s.last = t;
  if (s.mode === 'blackhole' || s.mode === 'tarpit') {
    hold(s, sock);
    return;
  }
  let head = '';
  sock.on('data', (chunk) => {
    head += chunk.toString('latin1');
    if (head.includes('\r\n\r\n') || head.includes('\n\n')) sock.end(RESPONSE);
    else if (head.length > 16384) sock.destroy();
  });
  sock.on('end', () => sock.end());
}

function hold(s, sock) {
  s.held.add(sock);
  sock.on('data', () => {}); // read and ignore the request
  let sent = 0;
  const drip =
    s.mode === 'tarpit'
      ? setInterval(() => {
          if (sent < RESPONSE.length - 1) sock.write(RESPONSE.subarray(sent, ++sent));
        }, 1000)
      : undefined;
  const limit = setTimeout(() => sock.destroy(), HOLD_MS);
  sock.on('close', () => {
    clearInterval(drip);
    clearTimeout(limit);
    s.held.delete(sock);
  });
}

function listen(s) {
  return new Promise((resolve, reject) => {
    const l = net.createServer({ noDelay: true }, (sock) => onConnection(s, sock));
    l.once('error', reject);
    l.listen({ host: s.host, port, backlog: 1024 }, () => {
      l.removeListener('error', reject);
      l.on('error', () => {});
      s.listener = l;
      resolve();
    });
  });
}

function unlisten(s) {
  s.listener?.close();
  s.listener = undefined;
}

function releaseHeld(s) {
  for (const sock of s.held) sock.destroy();
  s.held.clear();
}

// --- drop: the Perl helper ---------------------------------------------------------------------
const SINK = `
use strict; use Socket; $| = 1; my %h;
while (my $l = <STDIN>) {
  my ($cmd, $ip, $port) = split ' ', $l;
  if ($cmd eq 'drop') {
    socket(my $ls, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
    setsockopt($ls, SOL_SOCKET, SO_REUSEADDR, 1);
    bind($ls, sockaddr_in($port, inet_aton($ip))) or die "bind $ip:$port: $!";
    listen($ls, 0) or die "listen: $!";
    socket(my $fill, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
    connect($fill, sockaddr_in($port, inet_aton($ip))) or die "connect: $!";
    $h{"$ip:$port"} = [$ls, $fill];
  } elsif ($cmd eq 'undrop') {
    my $p = delete $h{"$ip:$port"}; if ($p) { close $_ for @$p; }
  }
  print "ok $ip $port\\n";
}`;
let sink;
const sinkWaiters = [];
function sinkCommand(line) {
  if (!sink) {
    sink = spawn('perl', ['-e', SINK], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: sink.stdout }).on('line', () => sinkWaiters.shift()?.());
    sink.on('exit', (code) => {
      if (code) process.stderr.write(`farm: perl helper exited with ${code}\n`);
    });
  }
  return new Promise((resolve) => {
    sinkWaiters.push(resolve);
    sink.stdin.write(`${line}\n`);
  });
}

// --- modes -------------------------------------------------------------------------------------
/** Put server s into `mode`; resolves once the new behaviour is in force. */
async function setMode(s, mode) {
  const from = s.mode;
  if (from === mode) return;
  if (from === 'drop') await sinkCommand(`undrop ${s.host} ${port}`);
  if (mode === 'refuse' || mode === 'drop') {
    unlisten(s);
    releaseHeld(s);
  }
  if (from === 'blackhole' || from === 'tarpit') releaseHeld(s);
  s.mode = mode;
  if (mode === 'drop') await sinkCommand(`drop ${s.host} ${port}`);
  if ((mode === 'ok' || mode === 'blackhole' || mode === 'tarpit') && !s.listener) await listen(s);
}

const commands = {
  /** servers 0..n-1 exist, listen, and are in mode ok. */
  async ensure({ n, port: p }) {
    if (port && p !== port) throw new Error(`farm already uses port ${port}`);
    port = p;
    const todo = [];
    for (let i = 0; i < n; i++) todo.push(servers[i] ?? makeServer(i));
    for (let k = 0; k < todo.length; k += 500) {
      await Promise.all(
        todo.slice(k, k + 500).map(async (s) => {
          if (s.mode !== 'ok') await setMode(s, 'ok');
          if (!s.listener) await listen(s);
        }),
      );
    }
    // servers beyond n are closed so they cannot be checked by mistake
    for (const s of servers.slice(n)) if (s.listener) await setMode(s, 'refuse');
    return { n, port };
  },
  /** switch many servers at once; returns when the switch started and when all were done. */
  async set({ ids, mode }) {
    const start = now();
    for (const i of ids) await setMode(servers[i], mode);
    return { start, end: now() };
  },
  /** switch servers at planned offsets (ms from now); returns each switch's actual time. */
  async plan({ steps }) {
    const t0 = now();
    const times = await Promise.all(
      steps.map(
        (st) =>
          new Promise((resolve) => {
            setTimeout(async () => {
              await setMode(servers[st.id], st.mode);
              resolve({ id: st.id, mode: st.mode, at: now() });
            }, Math.max(0, t0 + st.offsetMs - now()));
          }),
      ),
    );
    return { times };
  },
  /** start counting: connections per server and the gaps between a server's connections. */
  record() {
    for (const s of servers) if (s) s.count = 0;
    gaps = [];
    recording = true;
    return { at: now(), cpu: process.cpuUsage() };
  },
  /** counts since record(), for servers `ids` (default all). */
  stats({ ids } = {}) {
    const list = ids ? ids.map((i) => servers[i]) : servers.filter(Boolean);
    const connections = list.reduce((a, s) => a + s.count, 0);
    const r = {
      at: now(),
      cpu: process.cpuUsage(),
      connections,
      gapP50: percentile(gaps, 50),
      gapP99: percentile(gaps, 99),
      gapMax: gaps.length ? gaps.reduce((a, b) => Math.max(a, b), 0) : undefined,
      gaps: gaps.length,
    };
    recording = false;
    return r;
  },
  /** every server back to ok, listeners for 0..n-1 open. */
  async reset({ n }) {
    for (const s of servers) if (s && s.mode !== 'ok') await setMode(s, s.i < n ? 'ok' : 'refuse');
    return {};
  },
  async close() {
    for (const s of servers) {
      if (!s) continue;
      unlisten(s);
      releaseHeld(s);
    }
    sink?.kill();
    return {};
  },
};

process.on('message', async (msg) => {
  try {
    const result = await commands[msg.cmd](msg.args ?? {});
    process.send({ id: msg.id, ok: true, result });
  } catch (e) {
    process.send({ id: msg.id, ok: false, error: String(e?.stack ?? e) });
  }
});
process.on('disconnect', () => {
  sink?.kill();
  process.exit(0);
});
