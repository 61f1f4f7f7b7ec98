// End to end, operator overrides (README "Operating lvsd", Overrides): `lvsd disable|drain|weight|
// enable` over the control socket change the kernel (the stand-in ipvsadm's table) as documented,
// are refused for what the config does not have, show in status, metrics and the log, are mailed,
// survive a reload (one whose real went is dropped with a log line) and a restart (the state
// file), and a user who is not the socket's owner is refused. Real HTTP servers on loopback, the
// real lvsd binary, a real SMTP server.
import t, { type Test } from 'tap';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { LVSD, TempDir, cleanEnv, runCli, saved, weightOf } from '../helpers/lvsd.js';
import { queryControl } from '../../src/status/client.js';
import { startSmtp } from '../alerts/smtp.js';
import { daemon, servers, waitFor } from './helpers.js';

const A = '127.0.41.100:80'; // quiescent=no: a disabled real leaves it
const B = '127.0.41.101:80'; // quiescent=yes: a disabled real stays at weight 0

function config(smtpPort: number, r1: string, r2: string | undefined): string {
  return [
    'checkinterval=1',
    'checktimeout=10',
    'negotiatetimeout=10',
    'emailalert=ops@example.test',
    'emailalertfreq=1', // a real taken out on purpose is not "Inaccessible": no repeats
    `smtp=127.0.0.1:${smtpPort}`,
    '',
    `virtual=${A}`,
    `    real=${r1} masq 3`,
    ...(r2 ? [`    real=${r2} masq 2`] : []),
    '    service=http',
    '    receive="OK"',
    '    servicename=web',
    '    quiescent=no',
    '',
    `virtual=${B}`,
    `    real=${r1} masq 3`,
    '    service=http',
    '    receive="OK"',
    '    quiescent=yes',
    '',
  ].join('\n');
}

/** Is `real` under `vip` in the stand-in's table at all (any weight)? */
async function present(state: string, vip: string, real: string): Promise<boolean> {
  return (await saved(state)).some((l) => l.includes(` ${vip} `) && l.includes(` -r ${real} `));
}

t.test('disable, drain, weight, enable: kernel, refusals, status, mail, reload, restart, owner only', async (t: Test) => {
  const mailServer = await startSmtp();
  t.teardown(() => mailServer.close());
  const [s1, s2] = await servers(t, ['127.0.41.1', '127.0.41.2']);
  const r1 = s1!.addr;
  const r2 = s2!.addr;
  const dir = new TempDir();
  const cfg = dir.file('lvsd.cf', config(mailServer.port, r1, r2));
  const pidFile = dir.file('lvsd.pid');
  const state = dir.file('ipvs.json');
  const overrideFile = dir.file('lvsd.overrides');
  const cli = (...args: string[]) => runCli(['--pid-file', pidFile, cfg, ...args], { LVSD_IPVS_STATE: state });
  const start = () => daemon(t, { file: cfg }, { dir, pidFile, state }).lvsd;
  const kept = () => (existsSync(overrideFile) ? (JSON.parse(readFileSync(overrideFile, 'utf8')) as { overrides: { virtual: string; real: string; action: string; weight?: number }[] }).overrides : []);

  const none = await cli('disable', r1);
  t.equal(none.code, 3, 'no daemon: exit 3');
  t.match(none.stderr, /lvsd is stopped for .*no daemon to disable/);

  let lvsd = start();
  await waitFor('every real in at its weight', async () => (await weightOf(state, A, r1)) === 3 && (await weightOf(state, A, r2)) === 2 && (await weightOf(state, B, r1)) === 3);

  // REAL alone: every virtual service that has it; each follows its own quiescent= rule
  const off = await cli('disable', r1);
  t.equal(off.code, 0, off.stderr);
  t.equal(off.stdout.trim().split('\n').length, 2, 'one answer line per virtual service');
  t.match(off.stdout, `ok disable (out of the table) for real server ${r1} (tcp:${A})`);
  await waitFor('r1 out of A, at weight 0 in B', async () => !(await present(state, A, r1)) && (await weightOf(state, B, r1)) === 0);
  await lvsd.logged(`Override: disable (out of the table) for real server ${r1} (tcp:${B})`);
  t.equal(await weightOf(state, A, r2), 2, 'the other real is untouched');

  // weight N: only down to the configured weight
  t.equal((await cli('weight', A, r2, '1')).code, 0);
  await waitFor('r2 at weight 1', async () => (await weightOf(state, A, r2)) === 1);
  const high = await cli('weight', A, r2, '5');
  t.equal(high.code, 1, 'a weight above the configured one is refused');
  t.match(high.stderr, `weight 5 is above the configured weight 2 of ${r2} in tcp:${A}`);

  // enable clears; drain keeps the real at weight 0
  t.equal((await cli('enable', B, r1)).code, 0);
  await waitFor('r1 back in B at 3', async () => (await weightOf(state, B, r1)) === 3);
  t.equal((await cli('drain', `tcp:${B}`, r1)).code, 0, 'VIRTUAL with its protocol');
  await waitFor('r1 drained in B', async () => (await weightOf(state, B, r1)) === 0);
  t.notOk(await present(state, A, r1), 'still disabled in A');
  const again = await cli('drain', B, r1);
  t.match(again.stdout, /^ok already drain/, 'the same override again: no change');

  // refusals: what the config does not have, words of the wrong form
  const unknownReal = await cli('disable', A, '127.0.41.9:80');
  t.equal(unknownReal.code, 1);
  t.match(unknownReal.stderr, `no real server "127.0.41.9:80" in virtual service tcp:${A} of ${cfg} (it has: ${r1}, ${r2})`);
  const unknownAlone = await cli('drain', '127.0.41.9');
  t.equal(unknownAlone.code, 1);
  t.match(unknownAlone.stderr, 'no real server "127.0.41.9" in any virtual service');
  const unknownVirtual = await cli('disable', '127.0.41.200:80', r1);
  t.equal(unknownVirtual.code, 1);
  t.match(unknownVirtual.stderr, `no virtual service "127.0.41.200:80" in ${cfg} (it has: tcp:${A}, tcp:${B})`);
  const badWeight = await cli('weight', A, r2, 'x');
  t.equal(badWeight.code, 255);
  t.match(badWeight.stderr, 'the weight must be a whole number from 0 to 65535, got "x"');
  t.equal((await cli('disable')).code, 255, 'no REAL');
  t.same(
    kept().map((o) => `${o.action} ${o.virtual} ${o.real}`).sort(),
    [`disable tcp:${A} ${r1}`, `drain tcp:${B} ${r1}`, `weight tcp:${A} ${r2}`].sort(),
    'kept in the state file beside the pid file',
  );

  // status text, JSON and metrics
  const json = JSON.parse((await cli('status', '--json')).stdout) as { status: { virtuals: { id: string; reals: { address: string; port: number; health: string; override: unknown }[] }[] } };
  const realOf = (vid: string, addr: string) => json.status.virtuals.find((v) => v.id === vid)!.reals.find((r) => `${r.address}:${r.port}` === addr)!;
  t.match(realOf(`tcp:${A}`, r1), { health: 'up', override: { action: 'disable' } }, 'JSON: health from the checks, the override beside it');
  t.match(realOf(`tcp:${A}`, r2), { override: { action: 'weight', weight: 1 } });
  t.match(realOf(`tcp:${B}`, r1), { override: { action: 'drain' } });
  t.equal(realOf(`tcp:${A}`, r2).override && typeof (realOf(`tcp:${A}`, r2).override as { since: unknown }).since, 'string');
  const text = (await cli('status')).stdout;
  t.match(text, new RegExp(`${r1.replace(/\./g, '\\.')} masq .*disabled by lvsd disable \\S+ ago`), 'status text: the override in the reason');
  t.match(text, /weight 1 set by lvsd weight/);
  const metrics = await queryControl(dir.file('lvsd.sock'), 'metrics');
  t.match(metrics, `lvsd_real_override{virtual="tcp:${A}",real="${r1}",action="disable"} 1`);
  t.match(metrics, `lvsd_real_override{virtual="tcp:${B}",real="${r1}",action="drain"} 1`);

  // mailed through the alert machinery
  await waitFor('the override mail', () => mailServer.mails.some((m) => m.body.includes(`Log-Message: [web] Override: disable (out of the table) for real server ${r1} (tcp:${A})`)));

  // a plan of the file in force sees the overrides as the table does: nothing to change
  const planned = await cli('plan');
  t.same([planned.code, planned.stdout], [0, 'no changes\n'], 'lvsd plan with overrides in force: no changes');

  // a reload that removes r2 drops its override; the others stay in force
  writeFileSync(cfg, config(mailServer.port, r1, undefined));
  t.equal((await cli('reload')).code, 0);
  await lvsd.logged(`Override dropped, its real server is no longer in the configuration: weight 1 for real server ${r2} (tcp:${A})`);
  await waitFor('r2 gone after its drain', async () => !(await present(state, A, r2)), 120_000);
  t.notOk(await present(state, A, r1), 'after the reload: r1 still out of A');
  t.equal(await weightOf(state, B, r1), 0, 'after the reload: r1 still drained in B');
  t.equal(kept().length, 2, 'the state file lost the dropped one');

  // a restart keeps them (the state file)
  t.equal(await lvsd.stop(), 0);
  lvsd = start();
  await lvsd.logged(`Override kept from the previous run: drain (weight 0) for real server ${r1} (tcp:${B})`);
  await waitFor('restarted: r1 drained in B', async () => (await weightOf(state, B, r1)) === 0);
  t.notOk(await present(state, A, r1), 'restarted: r1 out of A');
  t.match(JSON.parse((await cli('status', '--json')).stdout).status.virtuals[0].reals[0], { override: { action: 'disable' } });

  // only the socket's owner: another user reaches the pid file and the socket, and is refused
  chmodSync(dir.path, 0o755);
  const other = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, LVSD, '--pid-file', pidFile, cfg, 'enable', r1], {
    env: cleanEnv(),
    encoding: 'utf8',
  });
  t.equal(other.status, 1, 'not the owner: refused');
  t.match(other.stderr, /EACCES.*only its owner, root, may use it/);
  t.notOk(await present(state, A, r1), 'and nothing changed');

  t.notOk(
    mailServer.mails.some((m) => m.body.includes(`Inaccessible real server: ${r1}`)),
    'minutes out of the table on purpose, and no "Inaccessible real server" repeat for it',
  );

  // enable with REAL alone clears every override of it
  const on = await cli('enable', r1);
  t.equal(on.code, 0, on.stderr);
  await waitFor('r1 back in both at 3', async () => (await weightOf(state, A, r1)) === 3 && (await weightOf(state, B, r1)) === 3);
  t.same(kept(), [], 'no overrides left in the file');
  await lvsd.logged(`Override cleared, the checks decide again: disable (out of the table) for real server ${r1} (tcp:${A})`);
  t.match((await cli('enable', r1)).stdout, 'ok no override', 'enable without an override is fine');
});
