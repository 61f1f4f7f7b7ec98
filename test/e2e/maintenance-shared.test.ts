// maintenancedir by address and by name, and one check shared by two virtual services.
import t from 'tap';
import { mkdirSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { RealServer, TempDir, daemon, waitFor, weightOf } from '../helpers/lvsd.js';

t.test('maintenancedir: <ip>:<port>, <ip> and the reverse name force a real down until the file goes', async (t) => {
  const dir = new TempDir();
  const real = await new RealServer('127.0.0.1').start();
  const maint = join(dir.path, 'maint');
  mkdirSync(maint);
  t.teardown(() => real.stop());
  const { state, lvsd } = daemon(t, [
    'checkinterval=1', 'checktimeout=2', 'negotiatetimeout=2', `maintenancedir=${maint}`, '',
    'virtual=127.0.0.100:80', `    real=${real.addr} masq 3`, '    service=http', '    receive="OK"', '',
  ].join('\n'), { dir });
  const w = () => weightOf(state, '127.0.0.100:80', real.addr);
  await waitFor('real in the table', async () => (await w()) === 3, 60000);
  // /etc/hosts names 127.0.0.1 "localhost": the name lvsd finds by reverse lookup.
  for (const name of [real.addr, '127.0.0.1', `localhost:${real.port}`, 'localhost']) {
    const f = join(maint, name);
    writeFileSync(f, '');
    await waitFor(`maintenance file ${name} takes the real out`, async () => (await w()) === undefined, 60000);
    unlinkSync(f);
    await waitFor(`removing ${name} brings it back`, async () => (await w()) === 3, 60000);
  }
  await lvsd.logged(`Deleted real server: ${real.addr} (127.0.0.100:80)`);
  t.match(lvsd.out, `Deleted real server: ${real.addr} (127.0.0.100:80)`);
});

t.test('the same check in two virtual services runs once per interval and feeds both', async (t) => {
  const dir = new TempDir();
  const real = await new RealServer('127.0.0.71').start();
  let requests = 0;
  real.server!.on('request', () => requests++);
  const state = dir.file('ipvs.json');
  const block = (vip: string) => [`virtual=${vip}`, `    real=${real.addr} masq`, '    service=http', '    request="/health"', '    receive="OK"', ''];
  t.teardown(() => real.stop());
  const { lvsd } = daemon(t, ['checkinterval=1', 'negotiatetimeout=5', '', ...block('127.0.0.100:80'), ...block('127.0.0.101:80')].join('\n'), { dir, foreground: false, flags: ['-d'] });
  await waitFor('both virtuals have the real', async () => (await weightOf(state, '127.0.0.100:80', real.addr)) === 1 && (await weightOf(state, '127.0.0.101:80', real.addr)) === 1, 60000);
  await waitFor('a few checks', () => (lvsd.out.match(/^Check /gm) ?? []).length >= 4, 60000);
  await lvsd.stop();
  const checks = (lvsd.out.match(/^Check (\S+):/gm) ?? []).map((l) => l.slice(6, -1));
  t.equal(new Set(checks).size, 1, 'one check key for both virtual services');
  // Each check is one HTTP request; a check cut by the stop may have reached the server unlogged.
  t.ok(requests >= checks.length && requests <= checks.length + 1, `requests (${requests}) = checks logged (${checks.length}), not twice that`);
});
