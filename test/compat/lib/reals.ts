// Real servers for the differential suite: one server per real, shared by ldirectord and lvsd,
// whose behaviour a scenario step switches: answer correctly, refuse connections, answer the
// wrong thing, or accept and never answer. They live in the test process (see helpers/lvsd.ts:
// nothing here may block the event loop).
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { createServer as createTcp, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';

export type Mode = 'ok' | 'refuse' | 'wrong' | 'hang';

export interface RealOptions {
  /** http (default), https (needs tls), or a TCP proxy to `target` (for protocols we do not speak). */
  kind?: 'http' | 'https' | 'proxy';
  /** what an ok HTTP answer contains (the config's receive= must match it). */
  body?: string;
  tls?: { cert: string; key: string };
  target?: { host: string; port: number };
}

/** A real server on loopback whose answers a test step can change. Port 0 picks a free one at first start. */
export class Real {
  mode: Mode = 'ok';
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();

  constructor(
    readonly host: string,
    public port: number,
    private readonly opts: RealOptions = {},
  ) {}

  /** `ip:port`, or `[ip6]:port`, as ldirectord writes it. */
  get addr(): string {
    return this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  async start(): Promise<this> {
    await this.set('ok');
    return this;
  }

  /** Switch behaviour; `refuse` closes the listener, anything else (re)opens it. */
  async set(mode: Mode): Promise<void> {
    this.mode = mode;
    if (mode !== 'hang') this.release();
    if (mode === 'refuse') return this.close();
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    this.release();
    const srv = this.server;
    this.server = undefined;
    if (!srv) return;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((r) => srv.close(() => r()));
  }

  /** Let hung requests go (they would otherwise keep the server from closing). */
  private release(): void {
    for (const res of this.held) res.destroy();
    this.held.clear();
  }

  private handler = (_req: IncomingMessage, res: ServerResponse): void => {
    if (this.mode === 'hang') {
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    const body = this.mode === 'wrong' ? 'Something else entirely\n' : `${this.opts.body ?? 'OK'}\n`;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
  };

  private proxy = (sock: Socket): void => {
    sock.on('error', () => {});
    if (this.mode === 'hang') return;
    if (this.mode === 'wrong') {
      sock.end('HTTP/1.0 400 this is not the protocol you are looking for\r\n\r\n');
      return;
    }
    const t = this.opts.target!;
    const up = connect(t.port, t.host);
    up.on('error', () => sock.destroy());
    sock.on('close', () => up.destroy());
    sock.pipe(up).pipe(sock);
  };

  private async listen(): Promise<void> {
    const kind = this.opts.kind ?? 'http';
    const srv: Server =
      kind === 'proxy' ? createTcp(this.proxy) : kind === 'https' ? createHttps({ ...this.opts.tls! }, this.handler) : createHttp(this.handler);
    srv.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
    });
    await new Promise<void>((ok, fail) => {
      srv.once('error', fail);
      srv.listen({ port: this.port, host: this.host, exclusive: true }, () => ok());
    });
    this.port = (srv.address() as AddressInfo).port;
    this.server = srv;
  }
}

/** A UDP real: answers "ping" with "pong" (ok), "nope" (wrong), nothing (hang); refuse closes it. */
export class UdpReal {
  mode: Mode = 'ok';
  private socket?: UdpSocket;

  constructor(
    readonly host: string,
    public port: number,
  ) {}

  get addr(): string {
    return `${this.host}:${this.port}`;
  }

  async start(): Promise<this> {
    await this.set('ok');
    return this;
  }

  async set(mode: Mode): Promise<void> {
    this.mode = mode;
    if (mode === 'refuse') return this.close();
    if (this.socket) return;
    const s = createSocket('udp4');
    s.on('message', (msg, from) => {
      if (this.mode === 'hang' || !msg.toString().startsWith('ping')) return;
      s.send(this.mode === 'ok' ? 'pong\n' : 'nope\n', from.port, from.address);
    });
    s.on('error', () => {});
    await new Promise<void>((ok, fail) => {
      s.once('error', fail);
      s.bind(this.port, this.host, () => ok());
    });
    this.port = s.address().port;
    this.socket = s;
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
