// Route health injection end to end with real BIRD: the real lvsd binary (stand-in ipvsadm, real
// HTTP reals on loopback) hands its include file to a "director" BIRD, which exports lvsd4 over
// BGP to a "router" BIRD; both on 127.0.18.x, on their own ports and control sockets (no kernel
// protocol: no root networking). What the router sees (`birdc show route`) is asserted: the VIP
// appears once its pool is healthy and the hold-down has passed; losing the last real withdraws
// it; restoring announces it again; a BIRD that is down is reported while checks go on, and the
// routes are there once it is back; a config BIRD refuses is reported; role backup and a reload
// without bird= withdraw; `lvsd stop` withdraws before the table is emptied.
import t, { type Test } from 'tap';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { queryControl } from '../../src/status/client.js';
import { RealServer, TempDir, daemon, runCli, waitFor } from '../helpers/lvsd.js';

const BIRD = '/usr/sbin/bird';
const BIRDC = '/usr/sbin/birdc';
const DIRECTOR = '127.0.18.1';
const ROUTER = '127.0.18.2';
const VIP = '198.51.100.18';
const ROUTE = `${VIP}/32`;
const HOLD = 2;

/** Quick BGP timers: the default retry waits are minutes. */
const TIMERS = 'connect retry time 1; connect delay time 1; start delay time 1; error wait time 1, 2; hold time 9; keepalive time 3;';

function birdConfigs(dir: TempDir, routes: string) {
  const director = [
    `router id ${DIRECTOR};`,
    'protocol device { }',
    // a pattern: BIRD starts even before lvsd has written the file
    `include "${routes.replace(/\.conf$/, '')}*.conf";`,
    'protocol bgp router1 {',
    `  local ${DIRECTOR} port 17918 as 65018; neighbor ${ROUTER} port 17919 as 65000; multihop; ${TIMERS}`,
    '  ipv4 { import none; export where proto = "lvsd4"; };',
    '}',
  ].join('\n');
  const router = [
    `router id ${ROUTER};`,
    'protocol device { }',
    'protocol bgp director1 {',
    `  local ${ROUTER} port 17919 as 65000; neighbor ${DIRECTOR} port 17918 as 65018; multihop; ${TIMERS}`,
    '  ipv4 { import all; export none; };',
    '}',
  ].join('\n');
  return { director: dir.file('director.conf', `${director}\n`), router: dir.file('router.conf', `${router}\n`) };
}

class Bird {
  child?: ChildProcess;
  out = '';
  constructor(
    readonly config: string,
    readonly socket: string,
  ) {}
  start(): void {
    this.out = '';
    const child = spawn(BIRD, ['-f', '-c', this.config, '-s', this.socket, '-P', `${this.socket}.pid`], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child = child;
  }
  async stop(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await gone;
  }
}

async function routes(socket: string): Promise<string> {
  try {
    return (await promisify(execFile)(BIRDC, ['-s', socket, 'show', 'route'])).stdout;
  } catch {
    return '';
  }
}

async function main(t: Test): Promise<void> {
  const dir = new TempDir();
  const file = dir.file('bird-routes.conf');
  const confs = birdConfigs(dir, file);
  const router = new Bird(confs.router, dir.file('router.ctl'));
  const director = new Bird(confs.director, dir.file('director.ctl'));
  const a = await new RealServer('127.0.18.11').start();
  const b = await new RealServer('127.0.18.12').start();
  // teardowns run last first: lvsd (daemon()'s own) before the reals and the BIRDs
  t.teardown(async () => {
    await Promise.all([router.stop(), director.stop(), a.stop(), b.stop()]);
  });
  router.start();
  director.start();
  await waitFor('the BGP session', async () => (await promisify(execFile)(BIRDC, ['-s', router.socket, 'show', 'protocols']).then((r) => r.stdout, () => '')).includes('Established'));

  const cfg = [
    'checkinterval=1',
    'checktimeout=1',
    'failurecount=1',
    `bird=${director.socket}`,
    `birdroutes=${file}`,
    `announceholddown=${HOLD}`,
    '',
    `virtual=${VIP}:80`,
    `\treal=${a.addr} masq`,
    `\treal=${b.addr} masq`,
    '\tservice=http',
    '\treceive="OK"',
    '',
  ].join('\n');
  const started = Date.now();
  const s = daemon(t, cfg, { dir });
  const lvsd = s.lvsd;
  const status = async () => JSON.parse(await queryControl(dir.file('lvsd.sock'), 'status')) as { bgp: { enabled: boolean; routes: { route: string; announced: boolean }[]; birdOk: boolean | null; lastError: { message: string } | null }; virtuals: { reals: { health: string; lastCheckAt: string | null }[] }[] };
  const onRouter = async () => (await routes(router.socket)).includes(ROUTE);

  await waitFor('the VIP at the router', onRouter);
  t.pass('announced');
  const added = lvsd.out.indexOf('Added real server');
  const announcing = lvsd.out.indexOf(`Announcing ${ROUTE} through BIRD`);
  t.ok(added >= 0 && announcing > added, 'announced only after the kernel held a healthy real');
  console.log(`# first announce seen at the router ${((Date.now() - started) / 1000).toFixed(1)} s after lvsd started (hold-down ${HOLD} s)`);
  t.match(readFileSync(file, 'utf8'), new RegExp(`protocol static lvsd4 \\{\\n  ipv4;\\n  route ${VIP.replace(/\./g, '\\.')}/32 blackhole;\\n\\}\\nprotocol static lvsd6 \\{\\n  ipv6;\\n\\}\\n$`), 'the include file');
  const metrics = await queryControl(dir.file('lvsd.sock'), 'metrics');
  t.match(metrics, new RegExp(`\\nlvsd_bgp_announced\\{address="${VIP.replace(/\./g, '\\.')}"\\} 1\\n`), 'metrics');
  t.match(metrics, /\nlvsd_bgp_bird_failing 0\n/, 'metrics: BIRD took it');
  const text = (await runCli(['--pid-file', s.pidFile, s.cfgPath, 'status'])).stdout;
  t.match(text, new RegExp(`\\nbgp \\(BIRD ${director.socket}\\): ${VIP.replace(/\./g, '\\.')}/32 announced\\n`), 'lvsd status');

  // one real down: the pool still serves, the VIP stays
  await a.stop();
  await waitFor('real a down', async () => (await status()).virtuals[0]!.reals[0]!.health === 'down');
  t.ok(await onRouter(), 'still announced with one real left');

  // the last real down: withdrawn
  let t0 = Date.now();
  await b.stop();
  await waitFor('the VIP withdrawn at the router', async () => !(await onRouter()));
  console.log(`# withdraw: ${((Date.now() - t0) / 1000).toFixed(1)} s from stopping the last real to the route leaving the router (checkinterval 1 s, failurecount 1)`);
  t.same((await status()).bgp.routes.map((r) => [r.route, r.announced]), [[ROUTE, false]], 'status: withdrawn');

  // restored: announced again after the hold-down
  t0 = Date.now();
  await b.start();
  await waitFor('the VIP back at the router', onRouter);
  const back = (Date.now() - t0) / 1000;
  console.log(`# re-announce: ${back.toFixed(1)} s from the real's return to the route at the router (hold-down ${HOLD} s)`);
  t.ok(back >= HOLD - 0.2, 'not before the hold-down has passed');

  // BIRD down: reported, checks go on; the withdraw waits in the file
  await director.stop();
  await b.stop();
  await waitFor('BIRD reported down', async () => {
    const st = await status();
    return st.bgp.birdOk === false && st.bgp.lastError !== null;
  });
  const st = await status();
  t.match(st.bgp.lastError!.message, /BIRD/, `status says why: ${st.bgp.lastError!.message}`);
  t.match(lvsd.out, /Cannot hand the announced routes to BIRD \(retrying\)/, 'logged');
  const seen = (await status()).virtuals[0]!.reals[1]!.lastCheckAt;
  await waitFor('checks go on', async () => (await status()).virtuals[0]!.reals[1]!.lastCheckAt !== seen);
  t.equal((lvsd.out.match(/Cannot hand the announced routes to BIRD/g) ?? []).length <= 2, true, 'logged once per distinct message, not per retry');
  t.notMatch(readFileSync(file, 'utf8'), /route /, 'the file holds the truth already: no route');
  // the real comes back while BIRD is away; BIRD returns and announces from the file and lvsd's retry
  await b.start();
  await waitFor('real b up', async () => (await status()).virtuals[0]!.reals[1]!.health === 'up');
  director.start();
  await waitFor('the VIP at the router once BIRD is back', onRouter);
  await waitFor('lvsd sees BIRD well again', async () => (await status()).bgp.birdOk === true);
  t.equal((await status()).bgp.lastError, null, 'the problem is cleared');

  // the operator's BIRD config does not parse: BIRD's error code is reported, and BIRD keeps its
  // running config (so the route stays) until the file is mended
  const good = readFileSync(confs.director, 'utf8');
  writeFileSync(confs.director, `${good}protocol static broken { ipv4; route 1.2.3/32 blackhole; }\n`);
  await b.stop();
  await waitFor('the refusal reported', async () => /syntax error/.test((await status()).bgp.lastError?.message ?? ''));
  t.match((await status()).bgp.lastError!.message, /BIRD refused configure: 8002 .*director\.conf.*syntax error/, 'the code and BIRD\'s words');
  t.ok(await onRouter(), 'BIRD kept its running config: the route is still there');
  writeFileSync(confs.director, good);
  await waitFor('withdrawn once the config parses again (the retry)', async () => !(await onRouter()));
  await waitFor('the problem cleared', async () => (await status()).bgp.lastError === null);
  await b.start();
  await waitFor('announced again', onRouter);

  // role backup (a failover engine's word) withdraws; master announces again after the hold-down
  t.equal((await runCli(['--pid-file', s.pidFile, s.cfgPath, 'role', 'backup'])).code, 0, 'role backup taken');
  await waitFor('withdrawn as backup', async () => !(await onRouter()));
  t.match(lvsd.out, `Withdrawing ${ROUTE} through BIRD (role backup)`, 'logged with the reason');
  t.equal((await runCli(['--pid-file', s.pidFile, s.cfgPath, 'role', 'master'])).code, 0, 'role master taken');
  await waitFor('announced as master', onRouter);

  // a reload without bird= withdraws what was announced; with it again, announces again
  writeFileSync(s.cfgPath, cfg.replace(`bird=${director.socket}\n`, ''));
  lvsd.child.kill('SIGHUP');
  await waitFor('withdrawn once bird= is gone', async () => !(await onRouter()));
  t.equal((await status()).bgp.enabled, false, 'status: not announcing');
  writeFileSync(s.cfgPath, cfg);
  lvsd.child.kill('SIGHUP');
  await waitFor('announced again with bird= back', onRouter);

  // stop: the route leaves first, then the table is emptied
  const mark = lvsd.out.length;
  t.equal(await lvsd.stop(), 0, 'lvsd stops cleanly');
  const tail = lvsd.out.slice(mark);
  const withdrawing = tail.indexOf(`Withdrawing ${ROUTE} through BIRD`);
  const emptied = tail.search(/(Deleted|Purged|Removed) (real|virtual)/i);
  t.ok(withdrawing >= 0, 'withdrawn at stop');
  t.ok(emptied > withdrawing, `before the table was emptied:\n${tail}`);
  t.notMatch(readFileSync(file, 'utf8'), /route /, 'the file is empty of routes');
  await waitFor('the VIP gone from the router', async () => !(await onRouter()));
}

if (!existsSync(BIRD) || !existsSync(BIRDC)) {
  t.skip('BIRD 2 is not installed (Debian package bird2, listed in .ci/apt-packages.txt)');
} else {
  t.test('BGP through BIRD: announce after hold-down, withdraw, re-announce, BIRD down, stop', main);
}
