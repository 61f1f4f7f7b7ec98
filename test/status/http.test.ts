// The HTTP listener on its own: routes, read-only methods, headers, the self-contained page,
// and the loopback-only Host check that keeps DNS-rebinding pages out.
import t from 'tap';
import { request } from 'node:http';
import { StatusHttp } from '../../src/status/http.js';
import { PAGE_HTML, PAGE_CSP } from '../../src/status/page.js';

function call(url: string, opts: { method?: string; host?: string; path?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: opts.path ?? '/', method: opts.method ?? 'GET', headers: opts.host ? { host: opts.host } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('routes, methods and headers', async (t) => {
  let scrapes = 0;
  const http = new StatusHttp({
    status: () => '{"ok":true}',
    metrics: async () => `lvsd_x ${++scrapes}\n`,
    metricsType: 'text/plain; version=0.0.4; charset=utf-8',
  });
  const url = await http.listen('127.0.0.1', 0);
  t.teardown(() => http.close());
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

  const page = await call(url);
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.equal(page.headers['content-security-policy'], PAGE_CSP);
  t.match(PAGE_CSP, /default-src 'none'.*script-src 'sha256-[A-Za-z0-9+/=]+'.*connect-src 'self'/);
  t.equal(page.headers['x-frame-options'], 'DENY');
  t.equal(page.headers['cache-control'], 'no-store');
  t.equal(page.body, PAGE_HTML);
  t.notMatch(page.body, /(src|href)=["'](?!data:)/i, 'no external assets');
  t.notMatch(page.body, /https?:\/\//, 'no absolute URLs');
  t.notMatch(page.body, /innerHTML|insertAdjacentHTML|document\.write/, 'data is inserted as text');

  const js = await call(url, { path: '/status.json?x=1' });
  t.same([js.status, js.headers['content-type'], js.body], [200, 'application/json; charset=utf-8', '{"ok":true}']);
  const m = await call(url, { path: '/metrics' });
  t.same([m.status, m.body], [200, 'lvsd_x 1\n']);
  t.equal(m.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  const head = await call(url, { path: '/status.json', method: 'HEAD' });
  t.same([head.status, head.body], [200, ''], 'HEAD: headers only');
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const r = await call(url, { path: '/status.json', method });
    t.same([r.status, r.headers.allow], [405, 'GET, HEAD'], `${method} refused`);
  }
  t.equal((await call(url, { path: '/admin' })).status, 404);
});

t.test('on loopback only loopback names are answered (DNS rebinding)', async (t) => {
  const http = new StatusHttp({ status: () => '{}', metrics: async () => '', metricsType: 'text/plain' });
  const url = await http.listen('127.0.0.1', 0);
  t.teardown(() => http.close());
  const port = new URL(url).port;
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`]) t.equal((await call(url, { path: '/status.json', host })).status, 200, host);
  for (const host of [`evil.example:${port}`, 'evil.example', `10.0.0.1:${port}`]) t.equal((await call(url, { path: '/status.json', host })).status, 421, host);
});

t.test('a port in use is an error from listen()', async (t) => {
  const a = new StatusHttp({ status: () => '{}', metrics: async () => '', metricsType: 'text/plain' });
  const url = await a.listen('127.0.0.1', 0);
  t.teardown(() => a.close());
  const b = new StatusHttp({ status: () => '{}', metrics: async () => '', metricsType: 'text/plain' });
  await t.rejects(b.listen('127.0.0.1', Number(new URL(url).port)), { code: 'EADDRINUSE' });
});
