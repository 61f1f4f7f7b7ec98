// A bounded line-protocol client (greeting / command / reply) over TCP or implicit TLS, shared by
// the smtp, pop, imap, nntp and ftp checks. Every read is bounded in line length and in total
// bytes, so a hostile server can neither grow our memory nor keep a check past its signal.
import net from 'node:net';
import tls from 'node:tls';
import type { CertSink } from '../cert.js';
import type { CheckTarget } from '../types.js';

export interface LineClientOptions {
  host: string;
  port: number;
  /** implicit TLS (pops, imaps); undefined = plain TCP. */
  tls?: tls.ConnectionOptions;
  /** keeps the server's certificate once the TLS handshake is done. */
  certs?: CertSink;
  /** aborting destroys the connection and fails every pending read. */
  signal: AbortSignal;
  /** longest accepted line in bytes, terminator included (default 8 KiB). */
  maxLine?: number;
  /** most bytes accepted over the whole connection (default 64 KiB). */
  maxBytes?: number;
}

/** A numbered reply of SMTP / FTP: `250-first` … `250 last`. */
export interface NumericReply {
  code: number;
  /** the reply's lines, codes included. */
  lines: string[];
}

const MAX_REPLY_LINES = 200;

/** TLS options for a check: verification only with sslverify, SNI only from a virtualhost name. */
export function tlsOptionsFor(target: CheckTarget): tls.ConnectionOptions {
  const opts: tls.ConnectionOptions = { rejectUnauthorized: target.sslverify };
  // SNI must be a host name (RFC 6066); an IP virtualhost is used for verification only.
  if (target.virtualhost && net.isIP(target.virtualhost) === 0) opts.servername = target.virtualhost;
  if (target.sslverify && target.virtualhost) {
    const name = target.virtualhost;
    opts.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(name, cert);
  }
  return opts;
}

/** A reply or line made safe for a log line: printable, one line, at most 200 characters. */
export function printable(s: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/**
 * Until quit(), a connection follows the check's signal, which runCheck aborts as soon as the
 * check settles: an early `return down(...)` or a throw releases the socket without a finally.
 */
export class LineClient {
  private buf: Buffer = Buffer.alloc(0);
  private received = 0;
  private failure?: Error;
  private ended = false;
  private wake?: () => void;
  private readonly maxLine: number;
  private readonly maxBytes: number;
  private readonly onAbort: () => void;

  private constructor(
    private readonly sock: net.Socket,
    private readonly signal: AbortSignal,
    opts: LineClientOptions,
  ) {
    this.maxLine = opts.maxLine ?? 8192;
    this.maxBytes = opts.maxBytes ?? 65536;
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('end', () => this.finish());
    sock.on('close', () => this.finish());
    sock.on('error', (e) => this.fail(e));
    this.onAbort = () => this.fail(new Error('aborted'));
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Connect (and finish the TLS handshake); rejects with the socket error or on abort. */
  static connect(opts: LineClientOptions): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      if (opts.signal.aborted) return reject(new Error('aborted'));
      const sock = opts.tls
        ? tls.connect({ ...opts.tls, host: opts.host, port: opts.port })
        : net.connect({ host: opts.host, port: opts.port });
      if (opts.certs && sock instanceof tls.TLSSocket) opts.certs.watch(sock);
      // The client exists from the start so bytes that arrive with the handshake are kept.
      const client = new LineClient(sock, opts.signal, opts);
      const upEvent = opts.tls ? 'secureConnect' : 'connect';
      const settle = (e?: Error): void => {
        sock.off(upEvent, onUp);
        sock.off('error', settle);
        opts.signal.removeEventListener('abort', onAbort);
        if (e) {
          client.destroy();
          reject(e);
        } else resolve(client);
      };
      const onUp = (): void => settle();
      const onAbort = (): void => settle(new Error('aborted'));
      sock.once(upEvent, onUp);
      sock.once('error', settle);
      opts.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private onData(chunk: Buffer): void {
    this.received += chunk.length;
    if (this.received > this.maxBytes) {
      this.fail(new Error(`server sent more than ${this.maxBytes} bytes`));
      return;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    this.wake?.();
  }

  private finish(): void {
    this.ended = true;
    this.wake?.();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.sock.destroy();
    this.wake?.();
  }

  /** Next line without its CR LF. Rejects on an over-long line, EOF, error or abort. */
  readLine(): Promise<string> {
    return new Promise((resolve, reject) => {
      const attempt = (): void => {
        const nl = this.buf.indexOf(0x0a);
        if (nl < 0 && this.buf.length < this.maxLine && !this.failure && !this.ended) return; // wait
        this.wake = undefined; // settled: no re-entry from the events fail() itself causes
        if (nl >= 0 && nl < this.maxLine) {
          const line = this.buf.subarray(0, nl).toString('utf8').replace(/\r$/, '');
          this.buf = this.buf.subarray(nl + 1);
          resolve(line);
        } else if (nl >= 0 || this.buf.length >= this.maxLine) {
          this.fail(new Error(`reply line longer than ${this.maxLine} bytes`));
          reject(this.failure);
        } else reject(this.failure ?? new Error('connection closed by server'));
      };
      this.wake = attempt;
      attempt();
    });
  }

  /** A numbered reply, following `ddd-` continuation lines to the closing `ddd ` line. */
  async readReply(): Promise<NumericReply> {
    const first = await this.readLine();
    const m = /^(\d{3})([ -]|$)/.exec(first);
    if (!m) throw new Error(`malformed reply: ${printable(first)}`);
    const lines = [first];
    if (m[2] === '-') {
      for (;;) {
        if (lines.length >= MAX_REPLY_LINES) throw new Error(`reply longer than ${MAX_REPLY_LINES} lines`);
        const line = await this.readLine();
        lines.push(line);
        if (line.startsWith(`${m[1]} `) || line === m[1]) break;
      }
    }
    return { code: Number(m[1]), lines };
  }

  /** Send one command line. Values from the config never carry a line break onto the wire. */
  send(line: string): void {
    if (/[\r\n\0]/.test(line)) throw new Error('command contains CR, LF or NUL');
    if (this.failure) throw this.failure;
    this.sock.write(`${line}\r\n`);
  }

  async command(line: string): Promise<NumericReply> {
    this.send(line);
    return this.readReply();
  }

  /**
   * Polite goodbye: send `line`, half-close, and let the server close. The socket no longer
   * follows the check's signal (the verdict is in); it is destroyed at the latest after 2 s.
   */
  quit(line: string): void {
    this.signal.removeEventListener('abort', this.onAbort);
    if (this.failure || this.sock.destroyed) return this.destroy();
    this.buf = Buffer.alloc(0);
    this.sock.removeAllListeners('data');
    this.sock.resume();
    this.sock.end(`${line}\r\n`);
    setTimeout(() => this.sock.destroy(), 2000).unref();
  }

  destroy(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.sock.destroy();
  }
}
