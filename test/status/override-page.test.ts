// An operator override on the status page, in a real headless browser (Debian's chromium driven
// by playwright-core, as page.test.ts): a drained and a disabled real carry their badge, the
// page still loads with no outside request and no CSP complaint.
import t from 'tap';
import { weightsOf, waitFor, runCli } from '../helpers/lvsd.js';
import { startLvsd, VIP } from './helpers.js';
import { noChromium, openPage } from './browser.js';

t.test('overrides on the status page', { skip: noChromium }, async (t) => {
  const d = await startLvsd(t, ['127.0.41.11', '127.0.41.12', '127.0.41.13'], { args: ['--status-http', '127.0.0.1:0'] });
  const url = (await d.status()).http!.url;
  const [a, b, c] = d.reals;
  await waitFor('all reals up', async () => (await weightsOf(d.state, VIP, d.reals.map((r) => r.addr))).join() === '2,3,4');
  const cli = (...args: string[]) => runCli(['--pid-file', d.pid, d.cfg, ...args], { LVSD_IPVS_STATE: d.state });
  t.equal((await cli('drain', VIP, a!.addr)).code, 0);
  t.equal((await cli('disable', b!.addr)).code, 0);
  await waitFor('drained and disabled in the kernel', async () => (await weightsOf(d.state, VIP, d.reals.map((r) => r.addr))).join() === '0,,4');

  const { page, requests, problems } = await openPage(t);
  await page.goto(url);
  const row = (addr: string) => page.locator(`tr.real[data-real="${addr}"]`);
  await page.waitForFunction(() => document.querySelectorAll('tr.real.overridden').length === 2, null, { timeout: 20000 });
  t.equal(await row(a!.addr).getAttribute('data-override'), 'drain');
  t.equal((await row(a!.addr).locator('.badge.override').textContent())?.trim(), 'drained');
  t.equal((await row(b!.addr).locator('.badge.override').textContent())?.trim(), 'disabled');
  t.equal((await row(b!.addr).locator('.badge').first().textContent())?.trim(), 'up', 'the checks still say up');
  t.equal(await row(c!.addr).locator('.badge.override').count(), 0, 'no override, no badge');
  t.match(await row(b!.addr).locator('td').first().getAttribute('title'), /lvsd disable since .*lvsd enable clears it/);

  t.equal((await cli('enable', a!.addr)).code, 0);
  await page.waitForFunction(() => document.querySelectorAll('tr.real.overridden').length === 1, null, { timeout: 20000 });
  const origin = new URL(url).origin;
  t.same(requests.filter((r) => !r.startsWith(origin)), [], 'no request leaves the listener');
  t.same(problems, [], 'no console errors (the inline style and script pass the CSP)');
});
