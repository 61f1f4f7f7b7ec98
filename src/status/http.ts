// The optional HTTP listener: the status page, status.json and Prometheus /metrics. Read-only
// (GET and HEAD only), bounded (timeouts, connection cap), and on a loopback address it answers
// only requests addressed to a loopback name, so a web page cannot reach it by DNS rebinding.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostPort } from '../config/effective.js';
import { PAGE_CSP, PAGE_HTML } from './page.js';

export interface HttpHandlers {
  status(): string;
  metrics(): Promise<string>;
  metricsType: string;
}

const COMMON = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.') || host === 'localhost';
}

/** The Host header's name part, without port or brackets. */
function hostName(header: string | undefined): string {
  if (!header) return '';
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(header) ?? /^([^:]+)(?::\d+)?$/.exec(header);
  return m?.[1]?.toLowerCase() ?? '';
}

export class StatusHttp {
  private server?: Server;
  url?: string;

  constructor(private readonly handlers: HttpHandlers) {}

  /** Bind; resolves with the URL of the page (port 0 picks a free port). */
  async listen(host: string, port: number): Promise<string> {
    const loopbackOnly = isLoopback(host);
    const server = createServer((req, res) => void this.handle(req, res, loopbackOnly));
    server.maxConnections = 64;
    server.requestTimeout = 10_000;
    server.headersTimeout = 10_000;
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => {});
    server.on('clientError', (_e, sock) => sock.destroy());
    this.server = server;
    const a = server.address() as AddressInfo;
    this.url = `http://${hostPort(a.address, a.port)}/`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse, loopbackOnly: boolean): Promise<void> {
    const send = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...COMMON, 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'read-only: GET or HEAD\n', { allow: 'GET, HEAD' });
      if (loopbackOnly) {
        if (!isLoopback(hostName(req.headers.host))) return send(421, 'text/plain; charset=utf-8', 'this listener answers loopback names only\n');
      }
      const path = (req.url ?? '/').split('?')[0];
      switch (path) {
        case '/':
          return send(200, 'text/html; charset=utf-8', PAGE_HTML, { 'content-security-policy': PAGE_CSP });
        case '/status.json':
          return send(200, 'application/json; charset=utf-8', this.handlers.status());
        case '/metrics':
          return send(200, this.handlers.metricsType, await this.handlers.metrics());
        default:
          return send(404, 'text/plain; charset=utf-8', 'not found: try /, /status.json or /metrics\n');
      }
    } catch (e) {
      if (!res.headersSent) send(500, 'text/plain; charset=utf-8', `error: ${(e as Error).message}\n`);
      else res.destroy();
    }
  }
}
