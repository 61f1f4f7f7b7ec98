// Real servers that misbehave on purpose, on loopback: each speaks just enough of its protocol
// to get a check going and then does what a broken or malicious server does. Every timer and
// socket belongs to its server and ends with close().
import dgram from 'node:dgram';
import net from 'node:net';
import { randomBytes } from 'node:crypto';

export interface Hostile {
  kind: string;
  host: string;
  port: number;
  /** ldirectord.cf virtual section lines (without real=) for the check this server defeats. */
  section: string[];
  protocol: 'tcp' | 'udp';
  close(): Promise<void>;
}

type Behaviour = (sock: net.Socket, request: Buffer) => void;

const HTTP = ['service=http', 'request="/"', 'receive="OK"'];
const HTTPS = ['service=https', 'request="/"', 'receive="OK"'];

/** A server on `host` (any port) whose close() also ends every connection still open. */
export async function listenTracked(host: string, onConnection: (sock: net.Socket) => void, opts: net.ServerOpts = {}): Promise<{ port: number; close(): Promise<void> }> {
  const socks = new Set<net.Socket>();
  const server = net.createServer(opts, (sock) => {
    socks.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => socks.delete(sock));
    onConnection(sock);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, host, () => ok());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        socks.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  };
}

/** A TCP server that waits for a request (up to `until`), then hands the socket to `behave`. */
async function tcpServer(kind: string, host: string, section: string[], behave: Behaviour, until: RegExp | 'connect' = /\r\n\r\n/): Promise<Hostile> {
  const { port, close } = await listenTracked(host, (sock) => {
    if (until === 'connect') return behave(sock, Buffer.alloc(0));
    let got = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]).subarray(-65536);
      if (!until.test(got.toString('latin1'))) return;
      sock.off('data', onData);
      sock.resume(); // keep draining whatever the client sends later
      behave(sock, got);
    };
    sock.on('data', onData);
  });
  return { kind, host, port, section, protocol: 'tcp', close };
}

/** Call `tick` every `ms` until the socket closes. */
function every(sock: net.Socket, ms: number, tick: () => void): void {
  const timer = setInterval(() => (sock.destroyed ? clearInterval(timer) : tick()), ms);
  sock.once('close', () => clearInterval(timer));
}

/** Write `chunk` as fast as the client reads it, forever. */
function flood(sock: net.Socket, chunk: () => Buffer): void {
  const pump = () => {
    while (!sock.destroyed && sock.write(chunk()));
  };
  sock.on('drain', pump);
  pump();
}

export const TCP_KINDS: Record<string, { section: string[]; behave: Behaviour; until?: RegExp | 'connect' }> = {
  'http-endless-body': {
    section: HTTP,
    behave: (s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n');
      const block = Buffer.from(`4000\r\n${'x'.repeat(0x4000)}\r\n`);
      flood(s, () => block);
    },
  },
  'http-byte-per-second': {
    section: HTTP,
    behave: (s) => {
      const text = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK';
      let i = 0;
      every(s, 1000, () => s.write(text[i++ % text.length]!));
    },
  },
  'http-huge-header': {
    section: HTTP,
    behave: (s) => s.end(`HTTP/1.1 200 OK\r\nX-Big: ${'h'.repeat(1024 * 1024)}\r\nContent-Length: 2\r\n\r\nOK`),
  },
  'http-endless-headers': {
    section: HTTP,
    behave: (s) => {
      s.write('HTTP/1.1 200 OK\r\n');
      let n = 0;
      flood(s, () => Buffer.from(`X-Header-${n++}: ${'v'.repeat(100)}\r\n`));
    },
  },
  'http-reset-mid-response': {
    section: HTTP,
    behave: (s) => {
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nOK${'y'.repeat(1000)}`);
      setTimeout(() => s.resetAndDestroy(), 20);
    },
  },
  'http-redirect-loop': {
    section: HTTP,
    behave: (s) => s.end('HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'),
  },
  'http-garbage': {
    section: HTTP,
    behave: (s) => s.end(randomBytes(4096)),
  },
  'tls-garbage': {
    section: HTTPS,
    until: 'connect',
    behave: (s) => s.end(randomBytes(4096)),
  },
  'tls-half-handshake': {
    section: HTTPS,
    // After the ClientHello: the start of a ServerHello record that never ends.
    until: /^\x16\x03/,
    behave: (s) => s.write(Buffer.from([0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03])),
  },
  'dns-tcp-length-lie': {
    section: ['service=dns', 'protocol=tcp', 'request="example.com"', 'receive="192.0.2.1"'],
    until: /[\s\S]{12}/,
    // Claims 65535 bytes, sends 12 of them, and then nothing.
    behave: (s, req) => s.write(Buffer.concat([Buffer.from([0xff, 0xff]), req.subarray(2, 4), Buffer.from([0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0])])),
  },
  'simpletcp-endless-line': {
    section: ['service=simpletcp', 'request="hello"', 'receive="^OK"'],
    until: 'connect',
    behave: (s) => {
      const block = Buffer.alloc(65536, 0x7a);
      flood(s, () => block);
    },
  },
  'smtp-byte-per-second': {
    section: ['service=smtp'],
    until: 'connect',
    behave: (s) => {
      const text = '220 mail.example.com ESMTP\r\n';
      let i = 0;
      every(s, 1000, () => s.write(text[i++ % text.length]!));
    },
  },
  'smtp-endless-reply': {
    section: ['service=smtp'],
    until: 'connect',
    behave: (s) => flood(s, () => Buffer.from('220-mail.example.com greets you again and again\r\n')),
  },
};

/** DNS over UDP: answers with our id but with lengths and counts that lie, in turn. */
async function dnsLiar(host: string): Promise<Hostile> {
  const sock = dgram.createSocket('udp4');
  let n = 0;
  sock.on('message', (q, peer) => {
    const id = q.subarray(0, 2);
    const header = (an: number) => Buffer.concat([id, Buffer.from([0x81, 0x80, 0, 1, an >> 8, an & 0xff, 0, 0, 0, 0])]);
    const question = q.subarray(12);
    const lies = [
      // 65535 answers announced, none there
      Buffer.concat([header(0xffff), question]),
      // one A record whose RDLENGTH runs far past the end
      Buffer.concat([header(1), question, Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0xff, 0xff, 192, 0])]),
      // a name that is a compression pointer to itself
      Buffer.concat([header(1), question, Buffer.from([0xc0, question.length + 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1])]),
      // a label length past the end of the packet
      Buffer.concat([header(1), question, Buffer.from([0x3f, 0x61, 0x62])]),
    ];
    sock.send(lies[n++ % lies.length]!, peer.port, peer.address);
  });
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  return {
    kind: 'dns-udp-lying-fields',
    host,
    port: sock.address().port,
    section: ['service=dns', 'protocol=udp', 'request="example.com"', 'receive="192.0.2.1"'],
    protocol: 'udp',
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

/**
 * An answer that sends the receive pattern (a+)+$ into catastrophic backtracking: each check
 * costs a matcher worker its whole time limit (one copy only: it keeps a core busy).
 */
const REDOS = {
  section: ['service=http', 'request="/"', 'receive="(a+)+$"'],
  behave: ((s) => s.end(`HTTP/1.1 200 OK\r\nContent-Length: 49\r\nConnection: close\r\n\r\n${'a'.repeat(48)}b`)) as Behaviour,
};

/** One server of every hostile kind (`copies` times; the ReDoS one once), on hosts 127.0.<octet>.1, .2, ... */
export async function allHostile(octet: number, copies = 1): Promise<Hostile[]> {
  const out: Hostile[] = [];
  let i = 1;
  for (let c = 0; c < copies; c++) {
    for (const [kind, k] of Object.entries(TCP_KINDS)) out.push(await tcpServer(kind, `127.0.${octet}.${i++}`, k.section, k.behave, k.until));
    out.push(await dnsLiar(`127.0.${octet}.${i++}`));
  }
  out.push(await tcpServer('http-redos-answer', `127.0.${octet}.${i++}`, REDOS.section, REDOS.behave));
  return out;
}

/**
 * A config with one virtual service per hostile server (each its own port on VIP 127.0.0.200),
 * so each check runs with exactly that server's section.
 */
export function hostileConfig(servers: Hostile[], timeout = 1): string {
  const lines = [`checkinterval=1`, `checktimeout=${timeout}`, `negotiatetimeout=${timeout}`, 'quiescent=yes', ''];
  servers.forEach((s, i) => {
    lines.push(`virtual=127.0.0.200:${10000 + i}`, `    real=${s.host}:${s.port} masq`, ...s.section.map((l) => `    ${l}`), '');
  });
  return lines.join('\n');
}
