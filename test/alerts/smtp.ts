// A real SMTP server on loopback (smtp-server), keeping every message it accepts, and a
// minimal RFC 5322 reader for what the tests look at (headers, body).
import { SMTPServer } from 'smtp-server';
import net from 'node:net';

export interface Received {
  mailFrom: string;
  rcptTo: string[];
  raw: string;
  headers: Map<string, string[]>;
  /** unfolded header lines as sent (to look for injected ones). */
  headerLines: string[];
  subject: string;
  body: string;
}

export interface Smtp {
  port: number;
  mails: Received[];
  close(): Promise<void>;
}

/** A TCP port nobody listens on now. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function decodeQP(s: string): string {
  const bytes = Buffer.from(s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  return bytes.toString('utf8');
}

export function parse(raw: string, mailFrom: string, rcptTo: string[]): Received {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split);
  let body = raw.slice(split + 4);
  const headerLines = head.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
  const headers = new Map<string, string[]>();
  for (const l of headerLines) {
    const i = l.indexOf(':');
    const k = l.slice(0, i).trim().toLowerCase();
    headers.set(k, [...(headers.get(k) ?? []), l.slice(i + 1).trim()]);
  }
  const cte = headers.get('content-transfer-encoding')?.[0]?.toLowerCase();
  if (cte === 'quoted-printable') body = decodeQP(body);
  if (cte === 'base64') body = Buffer.from(body, 'base64').toString('utf8');
  return { mailFrom, rcptTo, raw, headers, headerLines, subject: headers.get('subject')?.[0] ?? '', body: body.replace(/\r\n/g, '\n') };
}

export async function startSmtp(opts: { port?: number; reject?: (rcpt: string) => boolean } = {}): Promise<Smtp> {
  const mails: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    logger: false,
    onRcptTo(address, _session, cb) {
      if (opts.reject?.(address.address)) {
        const err = Object.assign(new Error('no such user here'), { responseCode: 550 });
        cb(err);
        return;
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const env = session.envelope;
        mails.push(parse(Buffer.concat(chunks).toString('latin1'), env.mailFrom ? env.mailFrom.address : '', env.rcptTo.map((r) => r.address)));
        cb();
      });
    },
  });
  server.on('error', () => {});
  const port = opts.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.server.address() as net.AddressInfo).port;
  return {
    port: actual,
    mails,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
