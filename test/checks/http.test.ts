// http / https / http_proxy checks against real node http(s) servers on loopback.
import t from 'tap';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BODY_CAP, MAX_REDIRECTS, httpChecker } from '../../src/checks/http.js';
import type { CheckTarget } from '../../src/checks/types.js';
import { carriesCert, verdict } from './protocols/common.js';
import { eventually, freeTcpPort, hasCommand, hasIpv6Loopback, listen, never, settles, silentTcpServer, target } from './helpers.js';

const noIpv6 = (await hasIpv6Loopback()) ? false : '::1 cannot be bound here (IPv6 disabled)';
const noOpenssl = hasCommand('openssl') ? false : 'openssl (Debian package openssl) is needed to make a test certificate';

interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  servername?: string | false | null;
}

/** An http(s) server whose handler is a route table; it records every request it gets. */
async function serve(
  t: { teardown: (fn: () => void) => void },
  routes: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  opts: { tls?: { key: Buffer; cert: Buffer }; host?: string } = {},
): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const s: Seen = { method: req.method ?? '', url: req.url ?? '', host: req.headers.host };
    if (opts.tls) s.servername = (req.socket as TLSSocket).servername;
    seen.push(s);
    routes(req, res);
  };
  const server = opts.tls ? https.createServer(opts.tls, handler) : http.createServer(handler);
  const port = await listen(server, opts.host ?? '127.0.0.1');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port, seen };
}

const page = (body: string, status = 200) => (_req: http.IncomingMessage, res: http.ServerResponse) => {
  res.writeHead(status, { 'content-type': 'text/html' });
  res.end(body);
};

const web = (over: Partial<CheckTarget>): CheckTarget => target({ service: 'http', negotiatetimeout: 2, ...over });

t.test('2xx and a matching body: up with the status line; path and Host as ldirectord', async (t) => {
  const { port, seen } = await serve(t, page('<h1>Test Page</h1>'));
  const r = await httpChecker.check(web({ port, request: '/index.html', receive: /Test Page/ }), never);
  t.same(r, { ok: true, message: '200 OK' });
  t.same(seen, [{ method: 'GET', url: '/index.html', host: '127.0.0.1' }], 'bare IP, no port, in Host');
});

t.test('virtualhost becomes the Host header; HEAD is sent as HEAD', async (t) => {
  const { port, seen } = await serve(t, page('ok'));
  const r = await httpChecker.check(web({ port, virtualhost: 'www.example.com', httpmethod: 'HEAD' }), never);
  t.equal(r.ok, true);
  t.same(seen, [{ method: 'HEAD', url: '/', host: 'www.example.com' }]);
});

t.test('a body that does not match receive: "Response mismatch"', async (t) => {
  const { port } = await serve(t, page('something else\n'));
  const r = await httpChecker.check(web({ port, receive: /Test Page/ }), never);
  t.same(r, { ok: false, message: 'Response mismatch' });
});

t.test('5xx: down with the status line', async (t) => {
  const { port } = await serve(t, page('Test Page', 503));
  const r = await httpChecker.check(web({ port, receive: /Test Page/ }), never);
  t.same(r, { ok: false, message: '503 Service Unavailable' });
});

t.test('404 without receive is still down (2xx required)', async (t) => {
  const { port } = await serve(t, page('nope', 404));
  const r = await httpChecker.check(web({ port }), never);
  t.same(r, { ok: false, message: '404 Not Found' });
});

t.test('redirects are followed; the virtualhost is kept on the same server', async (t) => {
  const { port, seen } = await serve(t, (req, res) => {
    if (req.url === '/a') res.writeHead(301, { location: '/b' }).end();
    else if (req.url === '/b') res.writeHead(302, { location: `http://127.0.0.1:${port}/c?x=1` }).end();
    else page('Test Page')(req, res);
  });
  const r = await httpChecker.check(web({ port, request: '/a', virtualhost: 'www.example.com', receive: /Test/ }), never);
  t.same(r, { ok: true, message: '200 OK' });
  t.same(
    seen.map((s) => [s.url, s.host]),
    [
      ['/a', 'www.example.com'],
      ['/b', 'www.example.com'],
      ['/c?x=1', 'www.example.com'],
    ],
  );
});

t.test('a redirect to another server is fetched there with its own Host', async (t) => {
  const other = await serve(t, page('Test Page'));
  const { port } = await serve(t, (_req, res) => {
    res.writeHead(307, { location: `http://localhost:${other.port}/there` }).end();
  });
  const r = await httpChecker.check(web({ port, virtualhost: 'www.example.com', receive: /Test/ }), never);
  t.equal(r.ok, true);
  t.same(other.seen.map((s) => [s.url, s.host]), [['/there', `localhost:${other.port}`]]);
});

t.test(`redirects are bounded (${MAX_REDIRECTS}); the last 3xx is the result`, async (t) => {
  const { port, seen } = await serve(t, (_req, res) => {
    res.writeHead(302, { location: '/again' }).end();
  });
  const r = await settles(httpChecker.check(web({ port }), never), 20);
  t.same(r, { ok: false, message: '302 Found' });
  t.equal(seen.length, MAX_REDIRECTS + 1);
});

t.test('an endless body is cut at the cap: a match early still counts, no match settles', async (t) => {
  let closedEarly = 0;
  const { port } = await serve(t, (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('needle\n');
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = (): void => {
      // Stop once the client has gone, so the server does not write into the void.
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    res.on('close', () => closedEarly++);
    pump();
    req.resume();
  });
  const hit = await settles(httpChecker.check(web({ port, receive: /needle/ }), never), 20);
  t.same(hit, { ok: true, message: '200 OK' });
  const miss = await settles(httpChecker.check(web({ port, receive: /haystack-only/ }), never), 20);
  t.same(miss, { ok: false, message: 'Response mismatch' });
  t.ok(await eventually(() => closedEarly === 2), 'the client hung up on both endless responses');
  t.ok(BODY_CAP >= 1024 * 1024);
});

t.test('refused: "Connection refused"', async (t) => {
  const r = await httpChecker.check(web({ port: await freeTcpPort() }), never);
  t.same(r, { ok: false, message: 'Connection refused' });
});

t.test('a server that accepts and never answers: timeout after negotiatetimeout', async (t) => {
  const silent = await silentTcpServer();
  t.teardown(silent.close);
  const r = await settles(httpChecker.check(web({ port: silent.port, negotiatetimeout: 1, checktimeout: 9 }), never), 10);
  t.same(r, { ok: false, message: 'timeout after 1s' });
});

t.test('a server that sends headers and then stalls the body: timeout', async (t) => {
  const { port } = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('Test');
  });
  const r = await settles(httpChecker.check(web({ port, negotiatetimeout: 1, receive: /Test Page/ }), never), 10);
  t.same(r, { ok: false, message: 'timeout after 1s' });
});

t.test('a per-real request holding :// is a full URL and goes there', async (t) => {
  const other = await serve(t, page('Test Page'));
  const { port, seen } = await serve(t, page('wrong server'));
  const request = `/http://127.0.0.1:${other.port}/health?full=1`;
  const r = await httpChecker.check(web({ port, request, receive: /Test Page/ }), never);
  t.equal(r.ok, true);
  t.same(seen, [], 'the real server itself was not asked');
  t.same(other.seen.map((s) => s.url), ['/health?full=1']);
});

t.test('IPv6: URL with brackets, Host is the bracketed address', { skip: noIpv6 }, async (t) => {
  const { port, seen } = await serve(t, page('Test Page'), { host: '::1' });
  const r = await httpChecker.check(web({ host: '::1', family: 6, port, receive: /Test/ }), never);
  t.equal(r.ok, true);
  t.same(seen.map((s) => s.host), ['[::1]']);
});

t.test('http_proxy: absolute-form request to the real as a proxy', async (t) => {
  const { port, seen } = await serve(t, page('proxied Test Page'));
  const r = await httpChecker.check(
    web({ service: 'http_proxy', port, request: '/http://www.example.net/probe.html', receive: /Test Page/ }),
    never,
  );
  t.same(r, { ok: true, message: '200 OK' });
  t.same(seen, [{ method: 'GET', url: 'http://www.example.net/probe.html', host: 'www.example.net' }]);
});

t.test('http_proxy with a plain path asks the proxy for its own URL', async (t) => {
  const { port, seen } = await serve(t, page('ok'));
  const r = await httpChecker.check(web({ service: 'http_proxy', port, request: '/status' }), never);
  t.equal(r.ok, true);
  t.same(seen.map((s) => s.url), [`http://127.0.0.1:${port}/status`]);
});

t.test('https', { skip: noOpenssl }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-https-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=www.example.com', '-addext', 'subjectAltName=DNS:www.example.com',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    { stdio: 'ignore' },
  );
  const tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  const { port, seen } = await serve(t, page('secure Test Page'), { tls });
  const secure = (over: Partial<CheckTarget>): CheckTarget => web({ service: 'https', port, receive: /Test Page/, ...over });

  t.test('self-signed is accepted when sslverify is off; SNI is the virtualhost', async (t) => {
    const r = await httpChecker.check(secure({ virtualhost: 'www.example.com' }), never);
    t.same(verdict(r), { ok: true, message: '200 OK' });
    carriesCert(t, r, true, 'www.example.com');
    t.same(seen.at(-1), { method: 'GET', url: '/', host: 'www.example.com', servername: 'www.example.com' });
  });

  t.test('no virtualhost: no SNI (the URL host is an IP)', async (t) => {
    const r = await httpChecker.check(secure({}), never);
    t.equal(r.ok, true);
    t.equal(seen.at(-1)?.servername, false);
  });

  t.test('sslverify rejects the self-signed certificate', async (t) => {
    const before = seen.length;
    const r = await httpChecker.check(secure({ virtualhost: 'www.example.com', sslverify: true }), never);
    t.equal(r.ok, false);
    t.match(r.message, /self[- ]signed/i);
    t.equal(seen.length, before, 'no request was sent over the untrusted connection');
  });

  t.test('a failed https check still carries the certificate of its handshake', async (t) => {
    const failing = await serve(t, page('gone', 503), { tls });
    const r = await httpChecker.check(secure({ port: failing.port }), never);
    t.same(verdict(r), { ok: false, message: '503 Service Unavailable' });
    carriesCert(t, r, true, 'www.example.com');
  });

  t.test('plain http carries no certificate', async (t) => {
    const plain = await serve(t, page('Test Page'));
    carriesCert(t, await httpChecker.check(web({ port: plain.port }), never), false);
  });

  t.test('https to a plain-http port fails, it does not hang', async (t) => {
    const plain = await serve(t, page('Test Page'));
    const r = await settles(httpChecker.check(secure({ port: plain.port }), never), 10);
    t.equal(r.ok, false);
  });
});

t.test('settles with "aborted" when the scheduler aborts mid-request', async (t) => {
  const silent = await silentTcpServer();
  t.teardown(silent.close);
  const ctl = new AbortController();
  const p = httpChecker.check(web({ port: silent.port, negotiatetimeout: 30 }), ctl.signal);
  setTimeout(() => ctl.abort(), 100);
  t.same(await settles(p, 10), { ok: false, message: 'aborted' });
});
