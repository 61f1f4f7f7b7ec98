// Negotiate checks for services http, https and http_proxy (spec §6, check_http) with undici.
// URL: `<schema>://<ip>:<checkport>/<request>`, or the request itself when it holds `://`.
// Host header: the virtualhost, else the bare IP (no port), as LWP sent it. Up when the final
// response (after at most 7 redirects, as LWP) is 2xx and its body matches `receive`.
// Fixes over ldirectord: SNI from the virtualhost, optional certificate verification
// (sslverify), a size cap on the body, and the virtualhost kept on same-origin redirects.
import { buildConnector, Client } from 'undici';
import tls from 'node:tls';
import net from 'node:net';
import { hostPort } from '../address.js';
import { CertSink, withPeerCert } from './cert.js';
import { runCheck, up, down } from './deadline.js';
import { matchReceive } from './receive.js';
import type { CheckTarget, Checker, CheckResult } from './types.js';

export const MAX_REDIRECTS = 7;
export const BODY_CAP = 1024 * 1024;
/** Set here, not left to undici's default: that follows --max-http-header-size in NODE_OPTIONS. */
export const HEADER_CAP = 16 * 1024;
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
/** Handed to the per-hop client's destroy: its default is a new error (and stack) per check. */
const HOP_DONE = new Error('health check hop finished');

export function bareHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

/** The first URL of a check (ldirectord's ld_setup URL building). */
export function checkUrl(t: CheckTarget): URL {
  const path = t.request.replace(/^\//, '');
  if (path.includes('://')) return new URL(path);
  const schema = t.service === 'https' ? 'https' : 'http';
  return new URL(`${schema}://${hostPort(bareHost(t.host), t.port)}/${path}`);
}

interface Hop {
  url: URL;
  /** origin of the proxy to send an absolute-form request to (http_proxy, http URLs only). */
  proxy?: string;
  hostHeader: string;
  servername?: string;
}

function hopFor(t: CheckTarget, url: URL, first: URL): Hop {
  const proxied = t.service === 'http_proxy' && url.protocol === 'http:';
  const vhost = t.virtualhost?.trim() || undefined;
  // Redirects elsewhere are ordinary requests to that host; the virtualhost only names the target.
  const sameSite = !proxied && url.origin === first.origin;
  const hostHeader = proxied ? url.host : sameSite ? (vhost ?? url.hostname) : url.host;
  const hop: Hop = { url, hostHeader };
  if (proxied) hop.proxy = `http://${hostPort(bareHost(t.host), t.port)}`;
  if (sameSite && vhost && net.isIP(vhost) === 0) hop.servername = vhost;
  return hop;
}

interface HopResponse {
  status: number;
  statusLine: string;
  location?: string;
  body: string;
}

async function readCapped(body: AsyncIterable<Buffer>, cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const part = chunk.subarray(0, cap - size);
    chunks.push(part);
    size += part.length;
    // Leaving the loop destroys the stream: an endless body is cut here.
    if (size >= cap) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * undici's own connector (its connect timeout included), with the server's certificate taken
 * once the handshake is done: only on hops to the real server itself, not to where it redirects.
 */
function connector(t: CheckTarget, hop: Hop, certs: CertSink | undefined): buildConnector.connector {
  const connect = buildConnector({
    rejectUnauthorized: t.sslverify,
    timeout: t.negotiatetimeout * 1000,
    ...(hop.servername ? { servername: hop.servername } : {}),
  });
  if (!certs) return connect;
  return (opts, callback) =>
    connect(opts, (...args) => {
      const sock = args[1];
      if (sock instanceof tls.TLSSocket) certs.take(sock);
      callback(...args);
    });
}

async function fetchHop(t: CheckTarget, hop: Hop, wantBody: boolean, signal: AbortSignal, certs?: CertSink): Promise<HopResponse> {
  const client = new Client(hop.proxy ?? hop.url.origin, {
    maxHeaderSize: HEADER_CAP,
    connect: connector(t, hop, certs),
  });
  try {
    const res = await client.request({
      path: hop.proxy ? hop.url.href : hop.url.pathname + hop.url.search,
      method: t.httpmethod,
      headers: { host: hop.hostHeader, 'user-agent': 'lvsd-healthcheck', connection: 'close' },
      signal,
      ...(hop.servername ? { servername: hop.servername } : {}),
    });
    // Destroying an unfinished body makes undici emit 'error' on it; unheard, that would be
    // an uncaught exception in the daemon.
    res.body.on('error', () => {});
    const location = res.headers.location;
    const isRedirect = REDIRECT_CODES.has(res.statusCode) && location !== undefined;
    const body = wantBody && !isRedirect ? await readCapped(res.body, BODY_CAP) : '';
    if (!res.body.destroyed) res.body.destroy();
    return {
      status: res.statusCode,
      statusLine: `${res.statusCode} ${res.statusText ?? ''}`.trim(),
      ...(isRedirect ? { location: Array.isArray(location) ? location[0] : location } : {}),
      body,
    };
  } finally {
    client.destroy(HOP_DONE).catch(() => {});
  }
}

export async function httpCheck(t: CheckTarget, signal: AbortSignal, certs?: CertSink): Promise<CheckResult> {
  const first = checkUrl(t);
  const real = bareHost(t.host);
  let url = first;
  for (let redirects = 0; ; redirects++) {
    const toReal = url.protocol === 'https:' && bareHost(url.hostname) === real;
    const res = await fetchHop(t, hopFor(t, url, first), t.httpmethod === 'GET', signal, toReal ? certs : undefined);
    const next = res.location !== undefined ? safeUrl(res.location, url) : undefined;
    if (next && redirects < MAX_REDIRECTS) {
      url = next;
      continue;
    }
    if (res.status < 200 || res.status > 299) return down(res.statusLine);
    if (t.receive && !(await matchReceive(t.receive, res.body, signal))) return down('Response mismatch');
    return up(res.statusLine);
  }
}

/** A redirect target we follow: http(s) only, resolved against the current URL. */
function safeUrl(location: string, base: URL): URL | undefined {
  try {
    const u = new URL(location, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}

export const httpChecker: Checker = {
  check: (target, signal) => withPeerCert((certs) => runCheck(signal, target.negotiatetimeout, (s) => httpCheck(target, s, certs))),
};
