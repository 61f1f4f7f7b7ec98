// Pacemaker's agents with lvsd on real IPVS, in the VM (its / is an overlay: what is installed here
// never reaches the host). lvsd is installed as /usr/sbin/ldirectord (a link to bin/lvsd.js) with
// its config at /etc/ha.d/ldirectord.cf, so the stock ocf:heartbeat:ldirectord agent runs it with
// its defaults, as at a site that replaced ldirectord; lvsd's own agent is installed as
// ocf:lvsd:lvsd. Both pass ocf-tester; the stock agent recovers from a crash (kill -9: monitor 7,
// start 0) with the table in the kernel; both run through Pacemaker's own executor without a
// cluster (CIB_file=... crm_resource --force-start|--force-check|--force-stop).
// Each config picks its driver with ipvsdriver= (the agents pass no options).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT, TREE, ipvsadm, waitFor } from './lab.js';

const BIN = path.join(TREE, 'bin', 'lvsd.js');
const STOCK = '/usr/lib/ocf/resource.d/heartbeat/ldirectord';
const OWN = '/usr/lib/ocf/resource.d/lvsd/lvsd';
const SAVED = '/usr/sbin/ldirectord.saved-by-lvsd-test';
const LDCF = '/etc/ha.d/ldirectord.cf';
const OWNCF = '/etc/lvsd-ocf.cf';
// One virtual per agent: ocf-tester runs both at once.
const VIP = { ld: '10.0.0.100', lv: '10.0.0.101' };
const PORT = 8080;

const missing = ['/usr/sbin/ocf-tester', STOCK, '/usr/sbin/crm_resource', '/usr/bin/xmllint'].filter((f) => !fs.existsSync(f));
// Only in the guest: installing over /usr/sbin/ldirectord is for the VM's throw-away overlay.
const skip = !process.env.LVSD_VM_OUT ? 'not in the kernel VM' : missing.length ? `missing ${missing.join(', ')} (resource-agents, pacemaker-cli-utils, libxml2-utils)` : false;

const env = { ...process.env, OCF_ROOT: '/usr/lib/ocf' };
const t0 = Date.now();
/** Each command as it ends, with the time since the file began (the runner prints the TAP at the end of a test). */
function run(cmd, args, extra = {}) {
  const what = `${path.basename(cmd)} ${args.filter((a) => !a.startsWith('<')).join(' ').slice(0, 80)}`;
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...env, ...extra }, timeout: 600_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      process.stderr.write(`# ${((Date.now() - t0) / 1000).toFixed(0)} s: ${what} -> ${code}\n`);
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}
const config = (driver, log, vip) => `ipvsdriver=${driver}\ncheckinterval=2\nchecktimeout=10\nlogfile="${log}"\n\nvirtual=${vip}:80\n\treal=127.0.0.1:${PORT} masq\n\tservice=http\n\treceive="OK"\n`;
const inKernel = (vip) => ipvsadm('-S', '-n').includes(`-a -t ${vip}:80 -r 127.0.0.1:${PORT}`);
const daemonPid = () => Number(fs.readFileSync('/var/run/lvsd.ldirectord.cf.pid', 'utf8'));

let server;
let ldcfBefore;
before(async () => {
  if (skip) return;
  server = http.createServer((_q, s) => s.end('OK'));
  await new Promise((r) => server.listen(PORT, '127.0.0.1', r));
  // Debian's ldirectord (the host has it) is set aside, and put back after: the guest's later
  // test files see the root as it was (package.test.js looks for anything of lvsd's there)
  if (fs.existsSync('/usr/sbin/ldirectord')) fs.renameSync('/usr/sbin/ldirectord', SAVED);
  fs.symlinkSync(BIN, '/usr/sbin/ldirectord');
  fs.mkdirSync('/etc/ha.d', { recursive: true });
  ldcfBefore = fs.existsSync(LDCF) ? fs.readFileSync(LDCF) : undefined;
  fs.writeFileSync(LDCF, config('netlink', '/tmp/ldirectord-ocf.log', VIP.ld));
  fs.writeFileSync(OWNCF, config('ipvsadm', '/tmp/lvsd-ocf.log', VIP.lv));
  fs.mkdirSync(path.dirname(OWN), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'ocf', 'lvsd'), OWN);
  fs.chmodSync(OWN, 0o755);
});
after(async () => {
  if (skip) return;
  await run(STOCK, ['stop']);
  await run(OWN, ['stop'], { OCF_RESKEY_configfile: OWNCF, OCF_RESKEY_binary: BIN });
  ipvsadm('-C');
  await new Promise((r) => server.close(r));
  fs.rmSync('/usr/sbin/ldirectord', { force: true });
  if (fs.existsSync(SAVED)) fs.renameSync(SAVED, '/usr/sbin/ldirectord');
  fs.rmSync(path.dirname(OWN), { recursive: true, force: true });
  fs.rmSync(OWNCF, { force: true });
  if (ldcfBefore) fs.writeFileSync(LDCF, ldcfBefore);
  else fs.rmSync(LDCF, { force: true });
});

test('stock agent, lvsd installed as /usr/sbin/ldirectord: start, crash -> monitor 7 -> start 0, stop', { skip }, async () => {
  const agent = (a) => run(STOCK, [a]);
  assert.equal((await agent('monitor')).code, 7, 'not running at first');
  let r = await agent('start');
  assert.equal(r.code, 0, r.out);
  assert.ok(inKernel(VIP.ld), 'the first round is in the kernel when start returns');
  const pid = daemonPid();
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  assert.ok(argv.includes(`/usr/sbin/ldirectord ${LDCF} start`), `the agent's pgrep pattern matches: ${argv}`);
  process.kill(pid, 'SIGKILL');
  await waitFor('the daemon gone', () => !fs.existsSync(`/proc/${pid}`));
  assert.equal((await agent('monitor')).code, 7, 'after the crash: not running (7), not a failure (1)');
  r = await agent('start');
  assert.equal(r.code, 0, `start after the crash: ${r.out}`);
  assert.notEqual(daemonPid(), pid);
  assert.equal((await agent('monitor')).code, 0);
  assert.equal((await agent('stop')).code, 0);
  assert.equal((await agent('monitor')).code, 7);
});

test('ocf-tester passes for the stock agent (its defaults: /usr/sbin/ldirectord is lvsd) and for lvsd\'s own', { skip }, async () => {
  const [stock, own] = await Promise.all([
    run('ocf-tester', ['-n', 'ld', STOCK]),
    run('ocf-tester', ['-n', 'lv', '-o', `configfile=${OWNCF}`, '-o', `binary=${BIN}`, '-o', 'pidfile=/run/lvsd-ocf.pid', OWN]),
  ]);
  assert.equal(stock.code, 0, stock.out);
  assert.match(stock.out, /passed all tests/);
  assert.equal(own.code, 0, own.out);
  assert.match(own.out, /passed all tests/);
  if (/no role command/.test(own.out)) console.log('# this lvsd has no `role` command: promote/demote answered 3 (not supported)');
  else assert.doesNotMatch(own.out, /does not support promotable clones/, 'promote and demote were tested');
});

test('Pacemaker\'s executor without a cluster: crm_resource --force-start/--force-check/--force-stop', { skip }, async () => {
  const cib = '/tmp/pacemaker-cib.xml';
  fs.writeFileSync(cib, (await run('cibadmin', ['--empty'])).out);
  const withCib = { CIB_file: cib };
  const primitives = [
    `<primitive id="ld" class="ocf" provider="heartbeat" type="ldirectord"/>`,
    `<primitive id="lv" class="ocf" provider="lvsd" type="lvsd"><instance_attributes id="lv-ia">`
      + `<nvpair id="lv-cf" name="configfile" value="${OWNCF}"/><nvpair id="lv-bin" name="binary" value="${BIN}"/>`
      + `</instance_attributes></primitive>`,
  ];
  for (const p of primitives) assert.equal((await run('cibadmin', ['-C', '-o', 'resources', '-X', p], withCib)).code, 0);
  for (const id of ['ld', 'lv']) {
    // The executor's default is 20 s per operation; an emulated CPU on a busy host needs more.
    const op = (o) => run('crm_resource', [`--force-${o}`, '-r', id, '--timeout=300s'], withCib);
    let r = await op('check');
    assert.equal(r.code, 7, `${id}: not running: ${r.out}`);
    r = await op('start');
    assert.equal(r.code, 0, `${id} start: ${r.out}`);
    assert.ok(inKernel(VIP[id]), `${id}: the table is in the kernel`);
    r = await op('check');
    assert.equal(r.code, 0, `${id} check: ${r.out}`);
    r = await op('stop');
    assert.equal(r.code, 0, `${id} stop: ${r.out}`);
    r = await op('check');
    assert.equal(r.code, 7, `${id}: stopped: ${r.out}`);
  }
});
