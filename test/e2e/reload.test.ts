// Reloads that never flap: edit the config under a running daemon and watch the table.
import t from 'tap';
import { writeFileSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { RealServer, TempDir, daemon, saved, invocations, ipvsadmWords, waitFor, weightOf } from '../helpers/lvsd.js';

const hasService = async (state: string, vip: string) => (await saved(state)).some((l) => l.startsWith('-A') && l.includes(` ${vip} `));

function cf(opts: { reals: [RealServer, number][]; second?: RealServer[]; extra?: string[] }): string {
  return [
    'checkinterval=1', 'checktimeout=1', 'negotiatetimeout=1', 'autoreload=yes', ...(opts.extra ?? []), '',
    'virtual=127.0.0.100:80',
    ...opts.reals.map(([r, w]) => `    real=${r.addr} masq ${w}`),
    '    service=http', '    receive="OK"', '',
    ...(opts.second
      ? ['virtual=127.0.0.101:80', ...opts.second.map((r) => `    real=${r.addr} masq`), '    service=http', '    receive="OK"', '']
      : []),
  ].join('\n');
}

/** Write the new content the way many editors do: a temp file renamed over the original. */
function saveByRename(path: string, text: string): void {
  writeFileSync(`${path}.swp`, text);
  renameSync(`${path}.swp`, path);
}

/** Writes that touch a real: any -a/-d (add or removal) of it after `from`, as words. */
function churn(state: string, from: number, real: RealServer): string[] {
  return ipvsadmWords(state, from).filter((words) => words.includes(real.addr) && words.some((w) => w === '-a' || w === '-d')).map((w) => w.join(' '));
}

t.test('autoreload: add a real, change a weight, remove a virtual, break the syntax', async (t) => {
  const dir = new TempDir();
  const [a, b, c, d] = await Promise.all(['127.0.0.41', '127.0.0.42', '127.0.0.43', '127.0.0.44'].map((h) => new RealServer(h).start()));
  t.teardown(() => Promise.all([a, b, c, d].map((r) => r!.stop())));
  const { lvsd, state, cfgPath } = daemon(t, cf({ reals: [[a!, 1], [b!, 1]], second: [d!] }), { dir });
  await waitFor('initial table', async () => (await weightOf(state, '127.0.0.100:80', b!.addr)) === 1 && (await weightOf(state, '127.0.0.101:80', d!.addr)) === 1);
  let mark = invocations(state).length;

  // 1. add a real and change another's weight; drop the second virtual service.
  saveByRename(cfgPath, cf({ reals: [[a!, 1], [b!, 7], [c!, 2]] }));
  await waitFor('new real checked and added', async () => (await weightOf(state, '127.0.0.100:80', c!.addr)) === 2);
  await waitFor('weight changed in place', async () => (await weightOf(state, '127.0.0.100:80', b!.addr)) === 7);
  await waitFor('removed virtual deleted', async () => !(await hasService(state, '127.0.0.101:80')));
  t.equal(churn(state, mark, c!).length, 1, 'the new real\'s add is seen (the churn check sees -a in a batch)');
  t.same(churn(state, mark, a!), [], 'an unchanged real is not touched');
  t.same(churn(state, mark, b!), [], 'a weight change is an edit, not a remove and re-add');
  await lvsd.logged('Purged virtual server (start): 127.0.0.101:80');
  t.match(lvsd.out, 'Purged virtual server (start): 127.0.0.101:80');

  // 2. remove a real: drained to weight 0 first, then deleted.
  mark = invocations(state).length;
  saveByRename(cfgPath, cf({ reals: [[a!, 1], [b!, 7]] }));
  await waitFor('removed real deleted', async () => (await weightOf(state, '127.0.0.100:80', c!.addr)) === undefined);
  // The log line follows the kernel write: wait for it rather than read the output at once.
  const purged = `Purged real server (start): ${c!.addr} (127.0.0.100:80)`;
  await waitFor('removal logged', () => lvsd.out.includes(purged));
  const drained = lvsd.out.indexOf(`Quiescent real server: ${c!.addr} (127.0.0.100:80) (Weight set to 0)`);
  t.ok(drained > 0, 'drained to weight 0 first');
  t.ok(lvsd.out.indexOf(purged) > drained, 'then deleted (ldirectord\'s text for a real a reload removed)');
  t.same(churn(state, mark, a!), []);

  // 3. a broken config: the running one stays in force, the error names file and line.
  const before = await saved(state);
  mark = invocations(state).length;
  writeFileSync(cfgPath, cf({ reals: [[a!, 1], [b!, 7]] }).replace('service=http', 'service=htp'));
  await waitFor('reload error logged', () => lvsd.out.includes(`${cfgPath}:`));
  t.match(lvsd.out, new RegExp(`${cfgPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `), 'FILE:LINE: message');
  t.same(await saved(state), before, 'table unchanged');
  await b!.stop();
  await waitFor('health changes still applied under the old config', async () => (await weightOf(state, '127.0.0.100:80', b!.addr)) === undefined);
  await b!.start();
  await waitFor('and back', async () => (await weightOf(state, '127.0.0.100:80', b!.addr)) === 7);
  t.equal(lvsd.child.exitCode, null, 'still running');
  void mark;
});

t.test('SIGHUP reloads; a touch without a content change does not', async (t) => {
  const dir = new TempDir();
  const [a, b] = await Promise.all(['127.0.0.51', '127.0.0.52'].map((h) => new RealServer(h).start()));
  const text = cf({ reals: [[a!, 1]], extra: [] }).replace('autoreload=yes', 'autoreload=no');
  t.teardown(() => Promise.all([a, b].map((r) => r!.stop())));
  const { lvsd, state, cfgPath } = daemon(t, text, { dir });
  await waitFor('initial', async () => (await weightOf(state, '127.0.0.100:80', a!.addr)) === 1);
  writeFileSync(cfgPath, cf({ reals: [[a!, 1], [b!, 3]] }).replace('autoreload=yes', 'autoreload=no'));
  await waitFor('change noticed but ignored', () => lvsd.out.includes(' - ignore new configuration'));
  t.equal(await weightOf(state, '127.0.0.100:80', b!.addr), undefined, 'autoreload=no: not applied');
  lvsd.child.kill('SIGHUP');
  await waitFor('HUP applies it', async () => (await weightOf(state, '127.0.0.100:80', b!.addr)) === 3);
  await lvsd.logged('Reloading Linux Director Daemon config on signal');
  t.match(lvsd.out, 'Reloading Linux Director Daemon config on signal');
});

t.test('a symlinked config, deleted and re-created', async (t) => {
  const dir = new TempDir();
  const [a, b] = await Promise.all(['127.0.0.61', '127.0.0.62'].map((h) => new RealServer(h).start()));
  const state = dir.file('ipvs.json');
  const target = dir.file('real.cf', cf({ reals: [[a!, 1]] }));
  const link = dir.file('lvsd.cf');
  symlinkSync(target, link);
  t.teardown(() => Promise.all([a, b].map((r) => r!.stop())));
  const { lvsd } = daemon(t, { file: link }, { dir });
  await waitFor('initial', async () => (await weightOf(state, '127.0.0.100:80', a!.addr)) === 1);
  writeFileSync(target, cf({ reals: [[a!, 1], [b!, 2]] }));
  await waitFor('edit through the symlink target', async () => (await weightOf(state, '127.0.0.100:80', b!.addr)) === 2);
  unlinkSync(target);
  await new Promise((r) => setTimeout(r, 800));
  t.equal(await weightOf(state, '127.0.0.100:80', a!.addr), 1, 'a deleted file keeps the running config');
  writeFileSync(target, cf({ reals: [[a!, 5]] }));
  await waitFor('re-created file is read', async () => (await weightOf(state, '127.0.0.100:80', a!.addr)) === 5);
  await waitFor('and the real it dropped goes', async () => (await weightOf(state, '127.0.0.100:80', b!.addr)) === undefined);
});
