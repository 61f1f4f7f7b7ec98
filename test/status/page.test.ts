// The status page in a real headless browser (Debian's chromium driven by playwright-core):
// it loads with no outside request and no CSP complaint, shows what the kernel has, and a real
// server's row turns red once the server is stopped. Screenshots go to test/status/.output/
// (LVSD_DOCS_SCREENSHOT=1 also refreshes docs/status-page.png for the README).
import t from 'tap';
import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { weightsOf, waitFor, ROOT } from '../helpers/lvsd.js';
import { TempDir } from '../helpers/lvsd.js';
import { startLvsd, configText, VIP } from './helpers.js';
import { httpsReal, makeCert, noOpenssl } from './tls-reals.js';
import { noChromium, openPage } from './browser.js';

const VIP2 = '127.0.0.101:443';
/** an https service whose real's certificate expires in 3 days (certwarndays=14: shown red). */
const VIP3 = '127.0.0.102:443';

const OUT = join(ROOT, 'test', 'status', '.output');
const RED_ROW = 'rgb(253, 226, 226)';
const RED_BADGE = 'rgb(198, 40, 40)';
const GREEN_ROW = 'rgb(231, 246, 236)';

t.test('the status page turns a stopped real server red', { skip: noChromium || noOpenssl }, async (t) => {
  const certs = new TempDir();
  t.teardown(() => certs.remove());
  const tlsReal = await httpsReal(t, '127.0.0.84', makeCert(certs, 'near', 'shop.example.test', 3));
  // two virtual services sharing a real: its rows turn red in both
  const d = await startLvsd(t, ['127.0.0.81', '127.0.0.82', '127.0.0.83'], {
    fallbackHost: '127.0.0.80',
    args: ['--status-http', '127.0.0.1:0'],
    text: (reals, fallback) =>
      configText(reals, { extra: ['quiescent=yes'], fallback }) +
      ['', `virtual=${VIP2}`, `\treal=${reals[0]!.addr} masq 5`, `\treal=${reals[1]!.addr} masq 5`, '\tchecktype=connect', '\tscheduler=rr', '',
        `virtual=${VIP3}`, `\treal=${tlsReal.addr} masq 6`, '\tservice=https', '\treceive="OK"', '\tcertwarndays=14', ''].join('\n'),
  });
  const url = (await d.status()).http!.url;
  await waitFor('all reals up', async () => (await weightsOf(d.state, VIP, d.reals.map((r) => r.addr))).join() === '2,3,4');

  const { page, requests, problems } = await openPage(t, { width: 1100, height: 720 });

  await page.goto(url);
  const row = (r: (typeof d.reals)[number], vip = VIP) => page.locator(`section[data-virtual="${vip}"] tr.real[data-real="${r.addr}"]`);
  await page.waitForFunction(() => document.querySelectorAll('tr.real.up').length === 6, null, { timeout: 20000 });
  const b = d.reals[1]!;
  t.equal(await row(b).evaluate((e) => getComputedStyle(e).backgroundColor), GREEN_ROW, 'a healthy real is green');
  t.same(
    await page.locator('tr.real td.weight').evaluateAll((tds) => tds.map((td) => td.firstChild?.textContent)),
    ['2', '3', '4', '5', '5', '6'],
    'the weights the kernel has',
  );
  // the https real's certificate: days left beside its address, red within certwarndays
  const cert = page.locator(`section[data-virtual="${VIP3}"] tr.real[data-real="${tlsReal.addr}"] span.cert`);
  await cert.waitFor({ timeout: 20000 });
  t.match(await cert.textContent(), /^TLS [23]\.\d d$/, 'days left shown');
  t.match(await cert.getAttribute('class'), /\bexpiring\b/, 'marked as expiring');
  t.equal(await cert.evaluate((e) => getComputedStyle(e).color), RED_BADGE, 'in red');
  t.match(await cert.getAttribute('title'), /shop\.example\.test, valid until \d{4}-/, 'which certificate, until when');
  t.equal(await page.locator('span.cert').count(), 1, 'only reals checked over TLS have one');

  await b.stop();
  await row(b).and(page.locator('.down')).waitFor({ timeout: 20000 });
  t.match(await row(b).getAttribute('class'), /\bdown\b/, 'the row has class down');
  t.equal(await row(b).evaluate((e) => getComputedStyle(e).backgroundColor), RED_ROW, 'its background is red');
  t.equal(await row(b).locator('.badge').evaluate((e) => getComputedStyle(e).backgroundColor), RED_BADGE, 'its badge is red');
  t.equal((await row(b).locator('.badge').textContent())?.trim(), 'down');
  t.match(await row(b).locator('td.why').textContent(), /refused/i, 'the reason is shown');
  await page.waitForFunction((w) => document.querySelector(`tr.real[data-real="${w}"] td.weight`)?.firstChild?.textContent === '0', b.addr, { timeout: 20000 });
  await row(b, VIP2).and(page.locator('.down')).waitFor({ timeout: 20000 });
  t.equal(await row(b, VIP2).evaluate((e) => getComputedStyle(e).backgroundColor), RED_ROW, 'red in the other virtual service too');
  t.equal((await weightsOf(d.state, VIP, [b.addr]))[0], 0, 'quiesced in the kernel, as the page says');
  t.match(await page.locator('.downlist').textContent(), `${b.addr} (${VIP}), ${b.addr} (${VIP2})`, 'named in the summary');
  t.match(await page.locator('ol.transitions').textContent(), new RegExp(`${b.addr} \\(${VIP}\\) +up → down`), 'the transition is listed');
  t.equal(await row(d.reals[0]!).evaluate((e) => getComputedStyle(e).backgroundColor), GREEN_ROW, 'the others stay green');
  t.match(await page.title(), /2 down/);

  mkdirSync(OUT, { recursive: true });
  const shot = join(OUT, 'status-page.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.ok(existsSync(shot), `screenshot saved: ${shot}`);
  if (process.env.LVSD_DOCS_SCREENSHOT === '1') copyFileSync(shot, join(ROOT, 'docs', 'status-page.png'));

  const origin = new URL(url).origin;
  t.same(requests.filter((r) => !r.startsWith(origin)), [], 'no request leaves the listener (no external assets)');
  t.same(problems, [], 'no console errors (the inline style and script pass the CSP)');

  // read-only: nothing the page could send changes anything
  const post = await fetch(`${url}status.json`, { method: 'POST' });
  t.equal(post.status, 405);
});
