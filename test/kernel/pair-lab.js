// Guest-side pieces of the director-pair test (failover.test.js): the namespaces (pair.sh), echo
// reals, the traffic client, keepalived on the shipped sample, and what a director's kernel holds.
// A director's state is read from /proc/PID/net of a process in its namespace (lvsd's): a file
// read, where `ip netns exec` would cost an exec (a quarter of a second under emulation).
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ROOT, terminate, waitFor } from './lab.js';

const execFileAsync = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
export const VIP = '10.0.3.100';
export const PORT = 7000;
export const realAddr = (n) => `10.0.3.${20 + n}`;
export const SAMPLE = path.join(ROOT, 'etc/keepalived/keepalived.conf');

export const pairUp = () => execFileSync('bash', [path.join(here, 'pair.sh'), 'up'], { stdio: 'inherit' });
export const pairDown = () => execFileSync('bash', [path.join(here, 'pair.sh'), 'down'], { stdio: 'inherit' });
/** `ip ARGS` in this namespace (where the bridge and the directors' cable ends are). */
export const ip = (...args) => execFileAsync('ip', args);
/** `ip -batch` of LINES inside namespace NS. */
export const ipBatch = (ns, lines) => execFileSync('ip', ['-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
/** `ipvsadm -S -n` in namespace NS, as sorted lines. */
export async function savedIn(ns) {
  const { stdout } = await execFileAsync('ip', ['netns', 'exec', ns, 'ipvsadm', '-S', '-n']);
  return stdout.split('\n').filter(Boolean).sort();
}

const hex = (h) => [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16)).join('.');
/** Is the VIP a local address of the namespace that process PID lives in? */
export function holdsVip(pid) {
  try {
    // fib_trie lists a local address as "|-- A.B.C.D" followed by "/32 host LOCAL"
    return new RegExp(`-- ${VIP.replaceAll('.', '\\.')}\\n\\s+/32 host LOCAL`).test(fs.readFileSync(`/proc/${pid}/net/fib_trie`, 'utf8'));
  } catch {
    return false;
  }
}
/** Client ports of the IPVS connection entries to the VIP in PID's namespace, with their states. */
export function connEntries(pid) {
  const out = new Map();
  let text = '';
  try { text = fs.readFileSync(`/proc/${pid}/net/ip_vs_conn`, 'utf8'); } catch { return out; }
  for (const l of text.split('\n').slice(1)) {
    const f = l.trim().split(/\s+/); // Pro FromIP FPrt ToIP TPrt DestIP DPrt State Expires
    if (f.length >= 8 && hex(f[3]) === VIP) out.set(parseInt(f[2], 16), f[7]);
  }
  return out;
}

/** The shipped sample with its `$NAME=` definitions replaced: the test runs the file a site edits. */
export function keepalivedConfig(values) {
  let text = fs.readFileSync(SAMPLE, 'utf8');
  for (const [k, v] of Object.entries(values)) {
    const re = new RegExp(`^\\$${k}=.*$`, 'm');
    if (!re.test(text)) throw new Error(`${SAMPLE} defines no $${k}`);
    text = text.replace(re, () => `$${k}=${v}`);
  }
  return text;
}

/** keepalived, VRRP only, in a director's namespace, with pid files and config of its own. */
export class Keepalived {
  constructor(ns, dir, values) {
    this.ns = ns;
    this.cfg = path.join(dir, 'keepalived.conf');
    this.pids = [path.join(dir, 'keepalived.pid'), path.join(dir, 'vrrp.pid')];
    fs.writeFileSync(this.cfg, keepalivedConfig(values));
    this.out = '';
  }

  start() {
    this.proc = spawn('ip', ['netns', 'exec', this.ns, 'keepalived', '-P', '-n', '-l', '-D', '-G',
      '-f', this.cfg, '-p', this.pids[0], '-r', this.pids[1]], { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (d) => { this.out = (this.out + d).slice(-20_000); };
    this.proc.stdout.on('data', collect);
    this.proc.stderr.on('data', collect);
    this.exited = new Promise((r) => this.proc.once('exit', r));
    return this;
  }

  get alive() { return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null; }

  /** SIGTERM (keepalived drops the VIP, stops the sync daemon, runs notify_stop), then its exit. */
  async stop() {
    if (this.alive) await terminate(this.proc, this.exited, `keepalived in ${this.ns}`, 60_000);
  }
}

/** An echo real (echo-real.js) in its namespace; `down`: its check fails, its service answers. */
export class EchoReal {
  constructor(n, { down = false } = {}) {
    this.n = n;
    this.proc = spawn('ip', ['netns', 'exec', `ha-rs${n}`, process.execPath, path.join(here, 'echo-real.js'), `rs${n}`, ...(down ? ['down'] : [])],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    this.ready = new Promise((resolve, reject) => {
      this.proc.stdout.once('data', resolve);
      this.proc.once('exit', (c) => reject(new Error(`echo real rs${n} exited (${c})`)));
    });
  }

  stop() { this.proc.kill('SIGKILL'); }
}

/** traffic.js in the client namespace: long connections and a stream of short ones. */
export class Traffic {
  constructor(long) {
    this.proc = spawn('ip', ['netns', 'exec', 'ha-client', process.execPath, path.join(here, 'traffic.js'), VIP, String(PORT), String(long)],
      { stdio: ['pipe', 'pipe', 'inherit'] });
    this.waiting = [];
    readline.createInterface({ input: this.proc.stdout }).on('line', (l) => {
      const doc = JSON.parse(l);
      if (doc.ready) this.ports = doc.ports;
      else this.waiting.shift()?.(doc);
    });
    this.exited = new Promise((r) => this.proc.once('exit', r));
  }

  async ready(ms = 120_000) {
    await waitFor('the client\'s long connections to echo', () => {
      if (this.proc.exitCode !== null) throw new Error('the traffic client exited');
      return !!this.ports;
    }, ms);
  }

  /** What the client saw since FROM (epoch ms): see traffic.js. */
  report(from) {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin.write(`report ${from}\n`);
    });
  }

  async stop() {
    this.proc.kill('SIGTERM');
    await this.exited;
  }
}
