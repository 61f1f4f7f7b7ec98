// The daemons under test, each as a real process against the same farm and the same ipvsadm:
// lvsd (bin/lvsd.js -f) and, where installed, Debian's ldirectord (supervised, so it stays in the
// foreground and logs at its normal level). ldirectord always runs /sbin/ipvsadm (it takes
// ./ipvsadm only in -d debug mode, whose per-check debug output would inflate its CPU), so it is
// started in a private mount namespace where the bench's ipvsadm is bind-mounted over it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { ROOT, hostOf, now, sleep, waitFor } from './util.js';
import { cpuOf, memOf } from './proc.js';

export const LDIRECTORD = '/usr/sbin/ldirectord';
export const VIRTUAL_SIZE = 100;

/**
 * An ldirectord.cf both daemons read: ceil(n/100) virtual services on 127.250.x.y:80, reals
 * hostOf(0..n-1):port (masq, so ports are kept), one check per real.
 * opts: check ('connect'|'http'), interval, timeout (s), weight(i), quiescent, extraGlobal[],
 * receive (the http pattern; '' for none).
 */
export function configText(n, port, opts = {}) {
  const { check = 'connect', interval = 1, timeout = 2, weight = () => 1, quiescent = false, extraGlobal = [], receive = 'OK' } = opts;
  const lines = [
    `checkinterval=${interval}`,
    `checktimeout=${timeout}`,
    `negotiatetimeout=${timeout}`,
    'failurecount=1',
    `quiescent=${quiescent ? 'yes' : 'no'}`,
    'autoreload=no',
    ...extraGlobal,
    '',
  ];
  for (let v = 0; v * VIRTUAL_SIZE < n; v++) {
    lines.push(`virtual=127.250.${Math.floor(v / 250)}.${(v % 250) + 1}:80`);
    for (let i = v * VIRTUAL_SIZE; i < Math.min(n, (v + 1) * VIRTUAL_SIZE); i++) lines.push(`\treal=${hostOf(i)}:${port} masq ${weight(i)}`);
    if (check === 'http') lines.push('\tchecktype=negotiate', '\tservice=http', '\trequest="/"', ...(receive ? [`\treceive="${receive}"`] : []));
    else lines.push('\tchecktype=connect', '\tservice=http');
    lines.push('\tscheduler=wrr', '\tprotocol=tcp', '');
  }
  return lines.join('\n');
}

/** The stand-in's table: real "ip:port" -> weight (over all services). */
export function tableOf(state) {
  let st;
  try {
    st = JSON.parse(fs.readFileSync(state, 'utf8'));
  } catch {
    return new Map();
  }
  const m = new Map();
  for (const s of st.services ?? []) for (const d of s.dests ?? []) m.set(`${d.addr}:${d.port}`, d.weight);
  return m;
}

/** Reals with weight > 0 in the table. */
export function upCount(state) {
  let k = 0;
  for (const w of tableOf(state).values()) if (w > 0) k++;
  return k;
}

class DaemonProcess {
  constructor(name, dir, tag) {
    this.name = name;
    this.dir = dir;
    this.tag = tag;
    this.state = path.join(dir, `ipvs-${tag}.json`);
    // The config sits in a folder of its own: lvsd watches the config's folder, and the state,
    // log and trace files changing beside it would keep its watcher busy (a bench artefact).
    fs.mkdirSync(path.join(dir, `etc-${tag}`), { recursive: true });
    this.config = path.join(dir, `etc-${tag}`, `${tag}.cf`);
    this.output = path.join(dir, `${tag}.out`);
  }

  spawnWith(cmd, args, env, cwd) {
    const out = fs.openSync(this.output, 'a');
    this.child = spawn(cmd, args, { cwd, env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.exited = once(this.child, 'exit');
    this.startedAt = now();
  }

  get pid() {
    return this.child.pid;
  }

  alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  cpu() {
    return cpuOf(this.pid);
  }

  mem() {
    return memOf(this.pid);
  }

  tail(lines = 20) {
    try {
      return fs.readFileSync(this.output, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Stop with TERM; the exit is awaited (bounded), then KILL. */
  async stop() {
    if (!this.alive()) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 30000);
    await this.exited;
    clearTimeout(t);
  }

  /** Wait until `n` reals have weight > 0 in the table (the first pass has been applied). */
  async waitAllUp(n, ms) {
    await waitFor(`${this.name}: ${n} reals up in the table`, () => {
      if (!this.alive()) throw new Error(`${this.name} exited early:\n${this.tail()}`);
      return upCount(this.state) >= n;
    }, ms, 250);
  }
}

export class Lvsd extends DaemonProcess {
  /** opts: ipvsadm {program, env}, cpuProf (dir), nodeFlags (extra node options, for experiments), nice (run under nice -n) */
  constructor(dir, tag, configText, opts) {
    super('lvsd', dir, tag);
    this.trace = path.join(dir, `${tag}.trace`);
    fs.writeFileSync(this.config, configText);
    const env = {
      ...cleanEnv(),
      ...opts.ipvsadm.env,
      LVSD_IPVS_STATE: this.state,
      LVSD_BENCH_TRACE: this.trace,
    };
    const node = [...(opts.nodeFlags ?? []), ...(opts.cpuProf ? [`--cpu-prof`, `--cpu-prof-dir=${opts.cpuProf}`, `--cpu-prof-name=${tag}.cpuprofile`] : [])];
    const args = [...node, path.join(ROOT, 'bin', 'lvsd.js'), '-f', '--ipvsadm', opts.ipvsadm.program, '--pid-file', path.join(dir, `${tag}.pid`), this.config, 'start'];
    // nice execs node: the pid (CPU figures) stays lvsd's
    if (opts.nice !== undefined) this.spawnWith('nice', ['-n', String(opts.nice), process.execPath, ...args], env, dir);
    else this.spawnWith(process.execPath, args, env, dir);
  }

  /** Resolves when lvsd has applied its first round (trace: state running); returns the time. */
  async waitRunning(ms) {
    let at;
    await waitFor('lvsd running', () => {
      if (!this.alive()) throw new Error(`lvsd exited early:\n${this.tail()}`);
      at = this.events().find((e) => e.name === 'state' && e.detail === 'running')?.at;
      return at !== undefined;
    }, ms, 100);
    return at;
  }

  /** Trace events (E lines): [{at, name, detail}]. */
  events() {
    return this.traceLines()
      .filter((l) => l.startsWith('E '))
      .map((l) => {
        const [, at, name, detail] = l.split(' ');
        return { at: Number(at), name, detail };
      });
  }

  traceLines() {
    try {
      return fs.readFileSync(this.trace, 'utf8').split('\n');
    } catch {
      return [];
    }
  }

  /** Check lines (C) started within [from, to): [{due, started, duration, ok}]. */
  checks(from, to) {
    const out = [];
    for (const l of this.traceLines()) {
      if (!l.startsWith('C ')) continue;
      const [, due, started, duration, ok] = l.split(' ');
      const s = Number(started);
      if (s >= from && s < to) out.push({ due: Number(due), started: s, duration: Number(duration), ok: ok === '1' });
    }
    return out;
  }
}

export class Ldirectord extends DaemonProcess {
  constructor(dir, tag, configText, opts) {
    super('ldirectord', dir, tag);
    // supervised: foreground, no pid file, log to stdout (its normal level, not debug)
    fs.writeFileSync(this.config, configText.replace(/^/, 'supervised=yes\n'));
    const env = { ...cleanEnv(), ...opts.ipvsadm.env, LVSD_IPVS_STATE: this.state };
    // unshare(1) and sh exec in place, so the spawned pid is ldirectord's own.
    const script = 'mount --bind "$0" /usr/sbin/ipvsadm && exec "$1" "$2" start';
    this.spawnWith('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, opts.ipvsadm.program, LDIRECTORD, this.config], env, dir);
  }
}

/** Is ldirectord usable here (installed, and can we give it our ipvsadm)? Reason string if not. */
export async function ldirectordUnavailable() {
  if (!fs.existsSync(LDIRECTORD)) return `${LDIRECTORD} is not installed (Debian package ldirectord)`;
  const probe = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind /bin/true /usr/sbin/ipvsadm && /usr/sbin/ipvsadm'], { stdio: 'ignore' });
  const [code] = await once(probe, 'exit');
  if (code !== 0) return 'cannot bind-mount an ipvsadm for ldirectord (needs root and unshare -m)';
  return undefined;
}

function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'NODE_OPTIONS' && !k.startsWith('npm_')) env[k] = v;
  return env;
}

export { sleep };
