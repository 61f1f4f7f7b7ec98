// End to end: real HTTP servers, the real lvsd process, the stand-in ipvsadm playing the kernel.
import t, { type Test } from 'tap';
import { RealServer, TempDir, daemon, ipvsadm, runCli, saved, invocations, ipvsadmWords, waitFor, weightOf as weightOfIn, weightsOf } from '../helpers/lvsd.js';

const VIP = '127.0.0.100:80';

const weightOf = (state: string, real: string, vip = VIP) => weightOfIn(state, vip, real);
const allIn = async (state: string, reals: RealServer[]) => (await weightsOf(state, VIP, reals.map((r) => r.addr))).every((w) => w !== undefined);

function config(reals: RealServer[], extra: string[] = [], fallback?: RealServer): string {
  return [
    'checkinterval=1',
    'checktimeout=1',
    'negotiatetimeout=1',
    ...extra,
    '',
    `virtual=${VIP}`,
    ...reals.map((r, i) => `    real=${r.addr} masq ${i + 2}`),
    ...(fallback ? [`    fallback=${fallback.addr} masq`] : []),
    '    service=http',
    '    request="/"',
    '    receive="OK"',
    '    scheduler=wrr',
    '',
  ].join('\n');
}

async function setup(t: Test, extra: string[] = [], withFallback = true) {
  const reals = await Promise.all(['127.0.0.11', '127.0.0.12', '127.0.0.13'].map((h) => new RealServer(h).start()));
  const fb = withFallback ? await new RealServer('127.0.0.10').start() : undefined;
  // teardowns run last first: the daemon stops before its reals do
  t.teardown(() => Promise.all([...reals, ...(fb ? [fb] : [])].map((r) => r.stop())));
  const { dir, state, cfgPath: cfg, lvsd } = daemon(t, config(reals, extra, fb), { flags: ['--ipvs', 'ipvsadm'] });
  return { dir, reals, fb, state, cfg, lvsd };
}

t.test('quiescent=no: a dead real is removed, all dead promotes the fallback, one back demotes it', async (t) => {
  const { reals, fb, state, lvsd } = await setup(t, ['quiescent=no']);
  await waitFor('all reals in the table', () => allIn(state, reals));
  t.same(await weightsOf(state, VIP, reals.map((r) => r.addr)), [2, 3, 4], 'configured weights');
  t.equal(await weightOf(state, fb!.addr), undefined, 'no fallback while reals are up');

  await reals[1]!.stop();
  await waitFor('dead real removed', async () => await weightOf(state, reals[1]!.addr) === undefined);
  t.equal(await weightOf(state, reals[0]!.addr), 2, 'healthy reals untouched');
  await lvsd.logged(`Deleted real server: ${reals[1]!.addr} (${VIP})`);
  t.match(lvsd.out, `Deleted real server: ${reals[1]!.addr} (${VIP})`, 'ldirectord log text');

  await reals[0]!.stop();
  await reals[2]!.stop();
  await waitFor('fallback promoted', async () => await weightOf(state, fb!.addr) === 1);
  t.equal((await saved(state)).filter((l) => l.startsWith('-a')).length, 1, 'only the fallback is left');
  await lvsd.logged(`Added fallback server: ${fb!.addr} (${VIP}) (Weight set to 1)`);
  t.match(lvsd.out, `Added fallback server: ${fb!.addr} (${VIP}) (Weight set to 1)`);

  await reals[0]!.start();
  await waitFor('real back', async () => await weightOf(state, reals[0]!.addr) === 2);
  await waitFor('fallback gone', async () => await weightOf(state, fb!.addr) === undefined);
  await lvsd.logged(`Deleted fallback server: ${fb!.addr} (${VIP})`);
  t.match(lvsd.out, `Deleted fallback server: ${fb!.addr} (${VIP})`);
});

t.test('quiescent=yes: a dead real stays at weight 0 and gets its weight back', async (t) => {
  const { reals, state, lvsd } = await setup(t, ['quiescent=yes'], false);
  await waitFor('all reals in the table', () => allIn(state, reals));
  await reals[2]!.stop();
  await waitFor('quiesced', async () => await weightOf(state, reals[2]!.addr) === 0);
  await lvsd.logged(`Quiescent real server: ${reals[2]!.addr} (${VIP}) (Weight set to 0)`);
  t.match(lvsd.out, `Quiescent real server: ${reals[2]!.addr} (${VIP}) (Weight set to 0)`);
  await reals[2]!.start();
  await waitFor('restored', async () => await weightOf(state, reals[2]!.addr) === 4);
  await lvsd.logged(`Restored real server: ${reals[2]!.addr} (${VIP}) (Weight set to 4)`);
  t.match(lvsd.out, `Restored real server: ${reals[2]!.addr} (${VIP}) (Weight set to 4)`);
});

t.test('a wrong answer takes a real down like a dead one', async (t) => {
  const { reals, state } = await setup(t, ['quiescent=no'], false);
  await waitFor('all reals in the table', () => allIn(state, reals));
  reals[0]!.body = 'maintenance';
  await waitFor('mismatch removes', async () => await weightOf(state, reals[0]!.addr) === undefined);
  reals[0]!.body = 'OK';
  reals[1]!.status = 503;
  await waitFor('5xx removes, fixed body restores', async () => await weightOf(state, reals[1]!.addr) === undefined && await weightOf(state, reals[0]!.addr) === 2);
});

t.test('start adopts the kernel table: no healthy real removed or re-added, strangers purged, others untouched', async (t) => {
  const dir = new TempDir();
  const reals = await Promise.all(['127.0.0.21', '127.0.0.22'].map((h) => new RealServer(h).start()));
  const state = dir.file('ipvs.json');
  // What a previous run (or ldirectord) left: our virtual with one healthy real at an old weight,
  // a stranger under it, and a virtual service lvsd does not manage.
  ipvsadm(state, ['-R'], [
    `-A -t ${VIP} -s wrr`,
    `-a -t ${VIP} -r ${reals[0]!.addr} -m -w 2`,
    `-a -t ${VIP} -r 127.0.0.29:80 -m -w 1`,
    '-A -t 127.0.0.200:443 -s rr',
    '-a -t 127.0.0.200:443 -r 127.0.0.201:443 -m -w 1',
  ].join('\n') + '\n');
  const before = invocations(state).length;
  t.teardown(() => Promise.all(reals.map((r) => r.stop())));
  const { lvsd } = daemon(t, config(reals, ['quiescent=no']), { dir });
  await waitFor('second real added', async () => await weightOf(state, reals[1]!.addr) === 3);
  const lines = ipvsadmWords(state, before);
  t.notOk(lines.some((w) => w[0] === '-d' && reals.some((r) => w.includes(r.addr))), 'no delete of a configured real');
  t.ok(lines.some((w) => w[0] === '-d' && w.includes('127.0.0.29:80')), 'the stranger\'s delete is seen (the check above can see one)');
  t.equal(await weightOf(state, reals[0]!.addr), 2, 'adopted real keeps its place and its (configured) weight');
  t.equal(await weightOf(state, '127.0.0.29:80'), undefined, 'a real the config does not name is purged');
  t.equal(await weightOf(state, '127.0.0.201:443', '127.0.0.200:443'), 1, 'an unmanaged virtual service is left alone');
  await lvsd.logged(`Purged real server (start): 127.0.0.29:80 (${VIP})`);
  t.match(lvsd.out, `Purged real server (start): 127.0.0.29:80 (${VIP})`);

  await lvsd.stop();
  t.notOk((await saved(state)).some((l) => l.includes(VIP)), 'cleanstop removes the managed service');
  t.ok((await saved(state)).some((l) => l.includes('127.0.0.200:443')), 'and leaves the unmanaged one');
});

t.test('cleanstop=no leaves the table as it is', async (t) => {
  const { reals, state, lvsd } = await setup(t, ['cleanstop=no'], false);
  await waitFor('all reals in the table', () => allIn(state, reals));
  const before = await saved(state);
  t.equal(await lvsd.stop(), 0, 'clean exit on SIGTERM');
  t.same(await saved(state), before);
  await lvsd.logged('Linux Director Daemon terminated on signal: TERM');
  t.match(lvsd.out, 'Linux Director Daemon terminated on signal: TERM');
});

t.test('DR real on another port: ipvsadm maps it to the virtual port; removal finds the mapped entry', async (t) => {
  const real = await new RealServer('127.0.0.31').start();
  t.teardown(() => real.stop());
  // checktimeout=5: a check that times out on a loaded machine is a real write, not churn
  const { state, lvsd, pidFile, cfgPath } = daemon(t, [
    'checkinterval=1', 'checktimeout=5', 'negotiatetimeout=5', 'quiescent=no', '',
    `virtual=${VIP}`, `    real=${real.addr} gate 5`, '    service=http', '    receive="OK"', '',
  ].join('\n'));
  const mapped = `${real.host}:80`;
  await waitFor('real added on the virtual port', async () => await weightOf(state, mapped) === 5);
  const n = invocations(state).length;
  // three more passing checks of the real, each a chance for churn
  const checks = new Set<string>();
  await waitFor('three more checks', async () => {
    const st = JSON.parse((await runCli(['--pid-file', pidFile, cfgPath, 'status', '--json'])).stdout).status;
    const r = st.virtuals[0].reals[0];
    if (r.health === 'up' && r.lastCheckAt) checks.add(r.lastCheckAt);
    return checks.size >= 4;
  });
  // reads (-L: the table, the sync daemons; -S: a save) are no churn
  const writes = invocations(state).slice(n).filter((l) => !(JSON.parse(l) as { argv: string[] }).argv.some((a) => a === '-L' || a === '-S'));
  t.same(writes, [], 'a steady DR real causes no writes (no add/edit churn)');
  await real.stop();
  await waitFor('mapped real removed', async () => await weightOf(state, mapped) === undefined);
  await lvsd.logged(`Deleted real server: ${mapped} mapped from ${real.addr} (${VIP})`);
  t.match(lvsd.out, `Deleted real server: ${mapped} mapped from ${real.addr} (${VIP})`);
});
