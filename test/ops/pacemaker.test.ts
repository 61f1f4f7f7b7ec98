// Pacemaker's stock agent, ocf:heartbeat:ldirectord (Debian resource-agents), pointed at the real
// lvsd binary with the stand-in ipvsadm: by its own path and through a link named ldirectord (as
// /usr/sbin/ldirectord would be; no "lvsd" anywhere in its command line). A crash (kill -9) is
// "not running" and start brings it back; the agent's stop fallback (pgrep) finds the daemon;
// `start` under Pacemaker returns within half the operation's timeout. The agent passes no
// options: the config's ipvsadm= names the stand-in, and the pid file is lvsd's default under
// /var/run. lvsd's own agent (ocf/lvsd) as a promotable clone instance: promote and demote set
// lvsd's role. (ocf-tester and Pacemaker's executor, for both agents: test/kernel/pacemaker.test.js.)
import t from 'tap';
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, LVSD, RealServer, ROOT, runCli, saved, STAND_IN, waitFor } from '../helpers/lvsd.js';

const AGENT = '/usr/lib/ocf/resource.d/heartbeat/ldirectord';
const OWN_AGENT = join(ROOT, 'ocf', 'lvsd');

// Each agent action starts node at least once; a loaded 2-core machine takes minutes for all.
t.setTimeout(1_200_000);

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 300_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

function whyNot(): string | undefined {
  if (!existsSync(AGENT)) return `${AGENT} is not installed (Debian resource-agents)`;
  try {
    accessSync('/var/run', constants.W_OK);
  } catch {
    return 'the agent passes no pid file and lvsd\'s default lives in /var/run, which is not writable here';
  }
  return undefined;
}

const skip = whyNot();
if (skip) {
  t.comment(`skipping: ${skip}`);
  t.pass(`skipped: ${skip}`);
} else {
  // A directory whose path has no "lvsd" in it: neither the link nor the config name it.
  const dir = mkdtempSync(join(tmpdir(), 'ocf-'));
  const link = join(dir, 'sbin', 'ldirectord');
  const real = await new RealServer('127.0.0.1').start();
  const cfgFor = (name: string, extra = '') => {
    const cfg = join(dir, `${name}-${process.pid}.cf`);
    writeFileSync(cfg, `ipvsadm=${STAND_IN}\ncheckinterval=1\nchecktimeout=5\nlogfile="${join(dir, `${name}.log`)}"\n${extra}\nvirtual=127.0.0.100:80\n\treal=${real.addr} masq\n\tservice=http\n\treceive="OK"\n`);
    return cfg;
  };
  const state = join(dir, 'ipvs.json');
  t.teardown(async () => {
    await real.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  mkdirSync(join(dir, 'sbin'));
  symlinkSync(LVSD, link);

  const pidOf = (cfg: string): number => Number(readFileSync(`/var/run/lvsd.${cfg.split('/').pop()}.pid`, 'utf8').trim());
  const alive = (pid: number) => existsSync(`/proc/${pid}`);

  for (const [how, program] of [['by its own path', LVSD], ['linked as ldirectord', link]] as const) {
    t.test(`the stock agent with lvsd ${how}: start, crash -> monitor 7 -> start 0, pgrep fallback, stop`, async (t) => {
      const cfg = cfgFor(how.includes('linked') ? 'linked' : 'own');
      const env = cleanEnv({ OCF_ROOT: '/usr/lib/ocf', OCF_RESKEY_configfile: cfg, OCF_RESKEY_ldirectord: program, LVSD_IPVS_STATE: state });
      const agent = (action: string) => sh(AGENT, [action], env);
      t.teardown(() => agent('stop'));

      t.equal((await agent('monitor')).code, 7, 'monitor before start: 7 (not running)');
      let r = await agent('start');
      t.equal(r.code, 0, `start: 0 ${r.out}`);
      t.equal((await agent('monitor')).code, 0, 'monitor: 0 (running)');
      const pid = pidOf(cfg);
      t.ok((await saved(state)).some((l) => l.includes(real.addr)), 'the real is in the (stand-in) kernel table');

      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (program === link) t.notMatch(cmdline, /lvsd/, `no "lvsd" in the daemon's command line: ${cmdline}`);
      // The agent's stop falls back to exactly this when status gives a generic error.
      r = await sh('pgrep', ['-f', `${program} ${cfg} start`], env);
      t.same(r.out.trim().split('\n').map(Number), [pid], 'pgrep -f "$LDIRECTORD $LDIRCONF start" finds the daemon, only it');

      process.kill(pid, 'SIGKILL');
      await waitFor('the daemon gone', () => !alive(pid));
      r = await sh(program, [cfg, 'status'], env);
      t.equal(r.code, 1, 'status after the crash: 1 (stale pid file)');
      t.match(r.out, 'ldirectord stale pid file', 'the text the agent greps for');
      t.equal((await agent('monitor')).code, 7, 'monitor after the crash: 7 (not running), not 1');
      r = await agent('start');
      t.equal(r.code, 0, `start after the crash: 0 ${r.out}`);
      t.not(pidOf(cfg), pid, 'a new daemon');
      t.equal((await agent('monitor')).code, 0, 'monitor: 0');

      t.equal((await agent('stop')).code, 0, 'stop: 0');
      t.equal((await agent('monitor')).code, 7, 'monitor after stop: 7');
      t.equal((await agent('stop')).code, 0, 'stop again: 0');
    });
  }

  t.test('start under Pacemaker returns within half the operation timeout, the daemon running on', async (t) => {
    // A real that accepts and never answers: the first round lasts checktimeout (60 s).
    const sockets = new Set<import('node:net').Socket>();
    const mute: Server = createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    t.teardown(() => {
      for (const s of sockets) s.destroy();
      mute.close();
    });
    const cfg = join(dir, 'slow.cf');
    writeFileSync(cfg, `checkinterval=1\nchecktimeout=60\nlogfile="${join(dir, 'slow.log')}"\nvirtual=127.0.0.101:80\n\treal=127.0.0.1:${(mute.address() as AddressInfo).port} masq\n\tservice=http\n\treceive="OK"\n`);
    const pidFile = join(dir, 'slow.pid');
    const args = ['--ipvsadm', STAND_IN, '--pid-file', pidFile, cfg];
    t.teardown(() => runCli([...args, 'stop'], { LVSD_IPVS_STATE: state }));
    const r = await runCli([...args, 'start'], { LVSD_IPVS_STATE: state, OCF_RESKEY_CRM_meta_timeout: '8000' });
    t.equal(r.code, 0, `start: 0 ${r.stderr}`);
    t.match(r.stderr, /the first round of checks is still running after 4 s \(half the operation timeout\); the daemon runs on/);
    t.equal((await runCli([...args, 'status'], { LVSD_IPVS_STATE: state })).code, 0, 'status: running');
    await waitFor('its check to reach the real that never answers', () => sockets.size > 0, 120_000);
    t.pass('its first round is under way');
  });

  t.test('lvsd\'s own agent as a promotable clone instance: starts as backup, promote -> master (monitor 8), demote -> backup', async (t) => {
    const cfg = cfgFor('promotable');
    const pidFile = join(dir, 'promotable.pid');
    // What Pacemaker sets for a promotable clone; outside a cluster the promotion score is only warned about.
    const env = cleanEnv({
      OCF_ROOT: '/usr/lib/ocf', OCF_RESKEY_configfile: cfg, OCF_RESKEY_binary: LVSD, OCF_RESKEY_pidfile: pidFile,
      OCF_RESKEY_CRM_meta_promotable: 'true', OCF_RESOURCE_INSTANCE: 'lvsd:0', LVSD_IPVS_STATE: state,
    });
    const agent = (action: string) => sh(OWN_AGENT, [action], env);
    const role = async () => (await sh(LVSD, ['--pid-file', pidFile, cfg, 'role'], env)).out.trim();
    t.teardown(() => agent('stop'));
    t.equal((await agent('monitor')).code, 7, 'not running');
    let r = await agent('start');
    t.equal(r.code, 0, `start: ${r.out}`);
    t.equal(await role(), 'backup', 'a clone instance starts unpromoted');
    t.equal((await agent('monitor')).code, 0, 'monitor: 0 (running, unpromoted)');
    r = await agent('promote');
    t.equal(r.code, 0, `promote: ${r.out}`);
    t.equal(await role(), 'master');
    t.equal((await agent('monitor')).code, 8, 'monitor: 8 (running promoted)');
    t.equal((await agent('demote')).code, 0, 'demote');
    t.equal(await role(), 'backup');
    t.equal((await agent('monitor')).code, 0);
    t.equal((await agent('stop')).code, 0, 'stop');
    t.equal((await agent('monitor')).code, 7);
    t.equal((await agent('promote')).code, 7, 'promote with nothing running: 7');
  });
}
