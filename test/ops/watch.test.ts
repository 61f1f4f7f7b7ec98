// Autoreload beyond plain edits, with the real daemon: a deploy tool that re-points a symlinked
// directory (`current -> releases/N`), and a burst of writes that must be one reload.
import t from 'tap';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TempDir, weightOf } from '../helpers/lvsd.js';
import { ConfigWatcher, configDigest } from '../../src/daemon/watch.js';
import { cf, daemon, servers, sleep, waitFor } from './helpers.js';

const VIP = '127.0.1.160:80';
const count = (text: string, s: string) => text.split(s).length - 1;

t.test('a config under a re-pointed symlinked directory is followed', async (t) => {
  const [a, b] = await servers(t, ['127.0.1.61', '127.0.1.62']);
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  for (const n of ['1', '2']) mkdirSync(join(dir.path, 'releases', n), { recursive: true });
  const r1 = join(dir.path, 'releases', '1', 'lvsd.cf');
  const r2 = join(dir.path, 'releases', '2', 'lvsd.cf');
  writeFileSync(r1, cf(['autoreload=yes'], [{ vip: VIP, reals: [[a!]] }]));
  symlinkSync(join(dir.path, 'releases', '1'), join(dir.path, 'current'));
  const { lvsd, state } = daemon(t, { file: join(dir.path, 'current', 'lvsd.cf') }, { dir });
  await waitFor('a in', async () => (await weightOf(state, VIP, a!.addr)) === 1);

  // the next release, switched to atomically as deploy tools do
  writeFileSync(r2, cf(['autoreload=yes'], [{ vip: VIP, reals: [[a!], [b!, 2]] }]));
  symlinkSync(join(dir.path, 'releases', '2'), join(dir.path, 'current.new'));
  renameSync(join(dir.path, 'current.new'), join(dir.path, 'current'));
  await waitFor('the new release applied', async () => (await weightOf(state, VIP, b!.addr)) === 2);
  // and an edit inside it
  writeFileSync(r2, cf(['autoreload=yes'], [{ vip: VIP, reals: [[a!], [b!, 5]] }]));
  await waitFor('an edit in the new release applied', async () => (await weightOf(state, VIP, b!.addr)) === 5);
  t.equal(await weightOf(state, VIP, a!.addr), 1, 'a stayed');
});

t.test('a burst of writes is one reload', async (t) => {
  const [a] = await servers(t, ['127.0.1.63']);
  const { lvsd, state, cfgPath } = daemon(t, cf(['autoreload=yes'], [{ vip: VIP, reals: [[a!, 1]] }]));
  await waitFor('a in', async () => (await weightOf(state, VIP, a!.addr)) === 1);
  for (let w = 2; w <= 9; w++) writeFileSync(cfgPath, cf(['autoreload=yes'], [{ vip: VIP, reals: [[a!, w]] }]));
  await waitFor('the last write applied', async () => (await weightOf(state, VIP, a!.addr)) === 9);
  // one more change, as a marker that every event of the burst has been handled
  writeFileSync(cfgPath, cf(['autoreload=yes'], [{ vip: VIP, reals: [[a!, 3]] }]));
  await waitFor('the marker applied', async () => (await weightOf(state, VIP, a!.addr)) === 3);
  t.equal(count(lvsd.out, ' - reread new configuration'), 2, 'the burst and the marker: two reloads');
});

t.test('a file truncated for a rewrite is not a config with no virtual services', async (t) => {
  const [a] = await servers(t, ['127.0.1.64']);
  const text = (w: number) => cf(['autoreload=yes'], [{ vip: VIP, reals: [[a!, w]] }]);
  const { lvsd, state, cfgPath } = daemon(t, text(1));
  await waitFor('a in', async () => (await weightOf(state, VIP, a!.addr)) === 1);
  writeFileSync(cfgPath, ''); // `cat > file`, `cp`: the truncation comes first...
  await sleep(2500); // ...and a writer on a loaded machine may stall after it (longer than the debounce and a poll)
  writeFileSync(cfgPath, text(4));
  await waitFor('the written file applied', async () => (await weightOf(state, VIP, a!.addr)) === 4);
  t.notMatch(lvsd.out, 'Purged virtual server', 'the virtual service was never purged');
  t.equal(count(lvsd.out, ' - reread new configuration'), 1, 'one reload: the complete file');
});

t.test('an edit made while the daemon was starting (before the watch) is still seen', async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const file = dir.file('lvsd.cf', 'checkinterval=1\n');
  const untouched = dir.file('untouched.cf', 'checkinterval=1\n');
  const calls = { edited: 0, untouched: 0 };
  // The daemon takes the digest, loads the file and starts; the edit lands before the watch does.
  const edited = new ConfigWatcher({ file, baseline: await configDigest(file), pollMs: 0, onChange: () => calls.edited++ });
  const quiet = new ConfigWatcher({ file: untouched, baseline: await configDigest(untouched), pollMs: 0, onChange: () => calls.untouched++ });
  writeFileSync(file, 'checkinterval=2\n');
  t.teardown(() => Promise.all([edited.close(), quiet.close()]));
  await Promise.all([edited.start(), quiet.start()]);
  await waitFor('the edit noticed', () => calls.edited === 1);
  await sleep(1000); // the debounce (300 ms) is over: an unchanged file must not have reloaded
  t.same(calls, { edited: 1, untouched: 0 });
});
