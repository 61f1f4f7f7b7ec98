// Each read cap, measured on the wire. A hostile real floods a check (endless HTTP body, endless
// headers, endless simpletcp lines, an endless SMTP reply, a MySQL, PostgreSQL or LDAP message
// that never ends) and counts the bytes the kernel took
// from it on each connection, up to a LIMIT after which it goes quiet. lvsd must close the
// connection once its cap is reached: what the kernel took is then at most the cap plus what the
// two sockets' buffers can hold (tcp_rmem/tcp_wmem maxima), whatever the machine's speed. Without
// the cap the check reads on until its deadline and the server gets to LIMIT. Not timing-based:
// a slow machine only makes an uncapped check read less, never a capped one read more.
import t from 'tap';
import type net from 'node:net';
import { readFileSync } from 'node:fs';
import { LogWatch, startDaemon, waitFor } from './helpers.js';
import { listenTracked } from './hostile-servers.js';

const MiB = 1024 * 1024;
/** Largest a TCP socket's receive and send buffers may grow to (the third field of each). */
const maxBuf = (name: string): number => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
/** Cap + both kernel buffers + room for what the libraries read ahead: more means no cap. */
const slack = maxBuf('tcp_rmem') + maxBuf('tcp_wmem') + 8 * MiB;
const TIMEOUT = 20; // s: long enough for an uncapped check to read LIMIT even on a loaded machine

interface Kind {
  /** the cap under test, in bytes (what lvsd must read at least, and at most this plus `slack`). */
  cap: number;
  /** the reason the check must give. */
  reason: RegExp;
  section: string[];
  /** bytes the server waits for before flooding ('' = flood at once). */
  until: string;
  head: string | Buffer;
  /** one write's worth of flood. */
  block: Buffer;
}

/** `n` bytes of `line(i)` repeated, cut at a line end. */
function lines(n: number, line: (i: number) => string): Buffer {
  let s = '';
  for (let i = 0; s.length < n; i++) s += line(i);
  return Buffer.from(s);
}

const KINDS: Record<string, Kind> = {
  'http-endless-body': {
    cap: 1 * MiB, // BODY_CAP (src/checks/http.ts)
    reason: /^Response mismatch$/,
    section: ['service=http', 'request="/"', 'receive="OK"'],
    until: '\r\n\r\n',
    head: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n',
    block: Buffer.from(`10000\r\n${'x'.repeat(0x10000)}\r\n`),
  },
  'http-endless-headers': {
    cap: 16 * 1024, // HEADER_CAP (src/checks/http.ts)
    reason: /^Headers Overflow Error$/,
    section: ['service=http', 'request="/"', 'receive="OK"'],
    until: '\r\n\r\n',
    head: 'HTTP/1.1 200 OK\r\n',
    block: lines(65536, (i) => `X-Filler-${i}: ${'v'.repeat(1000)}\r\n`),
  },
  'simpletcp-endless-lines': {
    cap: 1 * MiB, // REPLY_CAP (src/checks/lines.ts)
    reason: /^reply longer than 1048576 bytes$/,
    section: ['service=simpletcp', 'request="hello"', 'receive="^OK"'],
    until: '',
    head: '',
    block: lines(65536, () => `${'z'.repeat(1023)}\n`),
  },
  'smtp-endless-reply': {
    cap: 64 * 1024, // maxBytes of the line client (src/checks/protocols/line-client.ts), before its 200 lines
    reason: /^server sent more than 65536 bytes$/,
    section: ['service=smtp'],
    until: '',
    head: '',
    block: lines(65536, () => `220-${'m'.repeat(1000)}\r\n`),
  },
  // Client libraries that own the connection (capped-socket.ts): each flood is one message that
  // never ends, so the library itself would buffer it whole.
  'mysql-endless-packet': {
    cap: 1 * MiB, // MAX_SQL_BYTES (src/checks/protocols/sql.ts)
    reason: /^server sent more than 1048576 bytes$/,
    section: ['service=mysql', 'login="u"', 'passwd="p"', 'database="d"', 'request="SELECT 1"'],
    until: '',
    head: Buffer.from([0xff, 0xff, 0xff, 0x00]), // a 16 MiB packet, continued
    block: Buffer.alloc(65536, 0x78),
  },
  'pgsql-endless-message': {
    cap: 1 * MiB, // MAX_SQL_BYTES
    reason: /^server sent more than 1048576 bytes$/,
    section: ['service=pgsql', 'login="u"', 'passwd="p"', 'database="d"', 'request="SELECT 1"'],
    until: 'user', // after the startup message
    head: Buffer.from([0x52, 0x7f, 0xff, 0xff, 0xf0]), // 'R' of 2 GiB
    block: Buffer.alloc(65536, 0),
  },
  'ldap-endless-message': {
    cap: 256 * 1024, // MAX_LDAP_BYTES (src/checks/protocols/ldap.ts)
    reason: /server sent more than 262144 bytes$/, // after ldapts's own "Bind failed: Socket error…"
    section: ['service=ldap', 'request="dc=example,dc=org"'],
    until: '0', // 0x30, the SEQUENCE that starts the bind request
    head: Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]), // a 2 GiB message
    block: Buffer.alloc(65536, 0),
  },
};

/** The bytes the kernel accepted from the server on one connection (write callbacks without error). */
interface Conn {
  accepted: number;
}

interface Flooder {
  kind: string;
  host: string;
  port: number;
  conns: Conn[];
  close(): Promise<void>;
}

async function flooder(kind: string, k: Kind, host: string, limit: number): Promise<Flooder> {
  const conns: Conn[] = [];
  const onConnection = (sock: net.Socket): void => {
    const conn: Conn = { accepted: 0 };
    conns.push(conn);
    let queued = 0;
    const send = (b: Buffer | string): boolean => {
      const n = Buffer.byteLength(b);
      queued += n;
      return sock.write(b, (e) => {
        if (!e) conn.accepted += n;
      });
    };
    // Stops at `limit`: an uncapped check then waits for more until its deadline.
    const pump = (): void => {
      while (!sock.destroyed && queued < limit) if (!send(k.block)) return;
    };
    const start = (): void => {
      if (k.head) send(k.head);
      sock.on('drain', pump);
      pump();
    };
    let got = '';
    const onData = (d: Buffer): void => {
      got = (got + d.toString('latin1')).slice(-4096);
      if (!got.includes(k.until)) return;
      sock.off('data', onData);
      sock.resume();
      start();
    };
    if (!k.until) {
      sock.resume();
      start();
    } else sock.on('data', onData);
  };
  // Half-open allowed: simpletcp half-closes after its request and must still be flooded.
  const { port, close } = await listenTracked(host, onConnection, { allowHalfOpen: true });
  return { kind, host, port, conns, close };
}

t.setTimeout(300_000);

t.test('each read cap closes a flooded connection after at most cap + socket buffers', async (t) => {
  const names = Object.keys(KINDS);
  const maxCap = Math.max(...names.map((n) => KINDS[n]!.cap));
  const limit = maxCap + slack + 16 * MiB;
  const servers = await Promise.all(names.map((n, i) => flooder(n, KINDS[n]!, `127.0.22.${i + 1}`, limit)));
  t.teardown(() => Promise.all(servers.map((s) => s.close())));
  const config = [`checkinterval=1`, `checktimeout=${TIMEOUT}`, `negotiatetimeout=${TIMEOUT}`, 'quiescent=yes', ''];
  servers.forEach((s, i) => config.push(`virtual=127.0.0.202:${10000 + i}`, `    real=${s.host}:${s.port} masq`, ...KINDS[s.kind]!.section.map((l) => `    ${l}`), ''));
  const d = startDaemon(t, config.join('\n'), { args: ['-d'] });
  const log = new LogWatch(d.lvsd);
  const verdicts = (s: Flooder) => log.matching(new RegExp(`^Check \\S+:${s.host.replace(/\./g, '\\.')}:${s.port}#\\w+: (up|down) (.*) \\(\\d+ ms\\)$`));

  // Two verdicts per server: checks of one real run one after another, so the connections of
  // the first two checks are closed and their counts final.
  const ROUNDS = 2;
  await waitFor(`${ROUNDS} verdicts per flooder`, () => servers.every((s) => verdicts(s).length >= ROUNDS), 4 * ROUNDS * TIMEOUT * 1000);
  t.comment(`socket buffers + read-ahead allowed: ${(slack / MiB).toFixed(1)} MiB; a flooder stops at ${(limit / MiB).toFixed(1)} MiB`);
  for (const s of servers) {
    const k = KINDS[s.kind]!;
    const reasons = verdicts(s).map((v) => /: (up|down) (.*) \(\d+ ms\)$/.exec(v.line)![2]!);
    const taken = s.conns.slice(0, ROUNDS).map((c) => c.accepted);
    t.comment(`${s.kind}: ${taken.map((b) => `${(b / MiB).toFixed(2)} MiB`).join(', ')} taken; ${[...new Set(reasons)].join(' | ')}`);
    t.ok(s.conns.length >= ROUNDS, `${s.kind}: one connection per check`);
    t.ok(reasons.every((r) => k.reason.test(r)), `${s.kind}: every check ends with the cap's reason`);
    t.ok(taken.every((b) => b >= k.cap), `${s.kind}: lvsd read up to its cap (${k.cap} bytes) each time`);
    t.ok(taken.every((b) => b <= k.cap + slack), `${s.kind}: and no more than cap + buffers (${k.cap + slack} bytes)`);
  }
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});
