// Guest-side pieces of the kernel suite: the namespaces (netns.sh), real servers (busybox httpd in
// a real server's namespace), the client (client.js in the client namespace), lvsd itself, and the
// kernel's table as `ipvsadm -S -n` shows it. Everything started here is stopped by its owner.
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
/** The compiled lvsd (bin/ and dist/): run.js's private build, else the project's own. */
export const TREE = process.env.LVSD_KERNEL_TREE || ROOT;
/** Import a compiled module, e.g. dist('ipvs/netlink.js'). */
export const dist = (m) => import(path.join(TREE, 'dist', m));
export const IPVSADM = '/usr/sbin/ipvsadm';
export const VIP = '10.0.0.100';
export const realIp = (n) => `10.0.2.${10 + n}`;

export const ipvsadm = (...args) => execFileSync(IPVSADM, args, { encoding: 'utf8' });
/** `ipvsadm -S -n` as lines, sorted. */
export const saved = () => ipvsadm('-S', '-n').split('\n').filter(Boolean).sort();

/** The weight of real N under a virtual `vip:port` (undefined when absent). */
export function weightOf(port, n, lines = saved()) {
  const l = lines.find((x) => x.startsWith(`-a -t ${VIP}:${port} -r ${realIp(n)}:`));
  return l ? Number(/ -w (\d+)/.exec(l)?.[1]) : undefined;
}

export function netUp(reals) {
  execFileSync('bash', [path.join(here, 'netns.sh'), 'up', String(reals)], { stdio: 'inherit' });
}
export function netDown() {
  execFileSync('bash', [path.join(here, 'netns.sh'), 'down'], { stdio: 'inherit' });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll until `cond` holds; a bound against hangs, not a timing assertion. */
export async function waitFor(what, cond, ms = 90_000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

function canConnect(host, port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, timeout: 1000 }, () => { sock.destroy(); resolve(true); });
    sock.on('error', () => resolve(false));
    sock.on('timeout', () => { sock.destroy(); resolve(false); });
  });
}

/** busybox httpd in real server N's namespace, answering "OK rsN" on the given ports. */
export class RealServer {
  constructor(n, ports, dir) {
    this.n = n;
    this.ports = ports;
    this.root = path.join(dir, `rs${n}`);
    fs.mkdirSync(this.root, { recursive: true });
    fs.writeFileSync(path.join(this.root, 'index.html'), `OK rs${n}\n`);
    this.procs = [];
  }

  get name() { return `rs${this.n}`; }

  async start() {
    for (const port of this.ports) {
      const p = spawn('ip', ['netns', 'exec', `lvs-rs${this.n}`, '/bin/busybox', 'httpd', '-f', '-p', `0.0.0.0:${port}`, '-h', this.root],
        { stdio: 'ignore' });
      this.procs.push(p);
    }
    // listening once a connect from the director (root namespace) succeeds
    for (const port of this.ports) {
      await waitFor(`rs${this.n}:${port} listening`, () => canConnect(realIp(this.n), port), 10_000);
    }
    return this;
  }

  async stop() {
    const procs = this.procs.splice(0);
    await Promise.all(procs.map((p) => new Promise((r) => {
      if (p.exitCode !== null || p.signalCode !== null) return r();
      p.once('exit', r);
      p.kill('SIGKILL');
    })));
  }
}

/** client.js in the client namespace; `results` grows with one entry per request. */
export class Client {
  constructor(urls, pauseMs = 100) {
    this.results = [];
    this.proc = spawn('ip', ['netns', 'exec', 'lvs-client', process.execPath, path.join(here, 'client.js'), String(pauseMs), ...urls],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    this.proc.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) if (l) this.results.push(JSON.parse(l));
    });
    this.exited = new Promise((r) => this.proc.once('exit', r));
  }

  /** Results from `from` (index) on, counted per answer ("OK rs1", ...) and failures. */
  count(from = 0, to = this.results.length) {
    const c = { total: 0, failed: 0, by: {}, errors: [] };
    for (const r of this.results.slice(from, to)) {
      c.total++;
      if (!r.ok) {
        c.failed++;
        c.errors.push(`${r.url} ${r.error ?? r.body} at ${new Date(r.t).toISOString().slice(11, 23)}`);
      }
      else c.by[r.body] = (c.by[r.body] ?? 0) + 1;
    }
    return c;
  }

  /** Wait for `n` more results than there are now. */
  async more(n, ms = 180_000) {
    const want = this.results.length + n;
    await waitFor(`${n} more client requests`, () => this.results.length >= want, ms);
  }

  async stop() {
    this.proc.kill('SIGTERM');
    await this.exited;
  }
}

/** The real lvsd binary in the foreground on a config file, with the given IPVS driver (in network
 * namespace `netns` when given: a director of a pair). */
export class Lvsd {
  constructor(dir, driver, extraArgs = [], { netns } = {}) {
    this.netns = netns;
    this.cfg = path.join(dir, 'lvsd.cf');
    this.pidFile = path.join(dir, 'lvsd.pid');
    this.driver = driver;
    this.extraArgs = extraArgs;
    this.out = '';
  }

  writeConfig(text) {
    fs.writeFileSync(this.cfg, text);
  }

  start() {
    // -d (debug detail) when the log is wanted: LVSD_KERNEL_LOG=1
    const mode = process.env.LVSD_KERNEL_LOG ? '-d' : '-f';
    const argv = [process.execPath, path.join(TREE, 'bin/lvsd.js'), mode, '--ipvs', this.driver, ...this.extraArgs,
      '--pid-file', this.pidFile, this.cfg, 'start'];
    // `ip netns exec` execs the command: the pid stays lvsd's
    if (this.netns) argv.unshift('ip', 'netns', 'exec', this.netns);
    this.proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (d) => { this.out += d; };
    this.proc.stdout.on('data', collect);
    this.proc.stderr.on('data', collect);
    this.exited = new Promise((r) => this.proc.once('exit', (code, signal) => r({ code, signal })));
    return this;
  }

  get alive() {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** waitFor that gives up at once, with lvsd's last words, when lvsd has exited. */
  until(what, cond, ms) {
    return waitFor(what, () => {
      if (!this.alive) throw new Error(`lvsd exited while waiting for ${what}:\n${this.out.slice(-3000)}`);
      return cond();
    }, ms);
  }

  reload() {
    this.proc.kill('SIGHUP');
  }

  /** `lvsd status --json` (through the daemon's control socket): the status document. */
  async statusJson() {
    // async: the client's counting must not stall while the CLI runs
    const { stdout } = await execFileAsync(process.execPath, [path.join(TREE, 'bin/lvsd.js'), '--json', '--pid-file', this.pidFile, this.cfg, 'status']);
    return JSON.parse(stdout).status;
  }

  async stop(signal = 'SIGTERM') {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited;
    return terminate(this.proc, this.exited, 'lvsd', 90_000, signal);
  }
}

/** Send SIGNAL to PROC and await EXITED; SIGKILL and throw, naming WHAT, when it has not exited in MS. */
export async function terminate(proc, exited, what, ms, signal = 'SIGTERM') {
  proc.kill(signal);
  let timer;
  const hung = new Promise((r) => { timer = setTimeout(() => r('hung'), ms); });
  const r = await Promise.race([exited, hung]);
  clearTimeout(timer);
  if (r === 'hung') {
    proc.kill('SIGKILL');
    throw new Error(`${what} did not stop within ${ms / 1000} s of ${signal}`);
  }
  return r;
}
