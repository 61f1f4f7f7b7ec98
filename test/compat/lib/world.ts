// One case's world: its directory and config file, its real servers and mail sink, and the two
// daemons' sides; CLI commands run against both and compared.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Side, type CliResult, type Which } from './daemons.js';
import { MailCatcher } from './mail.js';
import { waitUntil } from './pool.js';
import { Real, UdpReal, type Mode, type RealOptions } from './reals.js';

/** What a step can switch: an HTTP/HTTPS/proxy real or a UDP one. */
export type AnyReal = Real | UdpReal;

/**
 * The third octet of every case address, chosen per test process: on gVisor a listening port
 * with connections in TIME-WAIT from an earlier run cannot be bound again for minutes, so runs
 * in a row must not reuse addresses. LVSD_COMPAT_SUBNET picks one (to repeat a run exactly).
 */
const SUBNET = Number(process.env.LVSD_COMPAT_SUBNET ?? 1 + Math.floor(Math.random() * 250));

/** What a World needs of its case. */
export interface WorldSpec {
  name: string;
  /** the case's own addresses: 127.<net>.x.y (cases run in parallel). */
  net: number;
}

export class World {
  readonly dir: string;
  readonly cfg: string;
  readonly ld: Side;
  readonly lv: Side;
  readonly mail: MailCatcher;
  readonly reals = new Map<string, AnyReal>();
  /** mismatches found while a step acts (CLI results). */
  readonly notes: string[] = [];
  /** a step has stopped the daemons: later steps only use the CLIs. */
  stopped = false;
  /** more environment for ldirectord (e.g. SSL_CERT_FILE: the CA its HTTPS checks trust). */
  ldEnv: Record<string, string> = {};
  private cert?: { cert: string; key: string; file: string };
  private readonly cleanups: (() => unknown)[] = [];

  constructor(readonly spec: WorldSpec) {
    this.dir = mkdtempSync(join(tmpdir(), `lvsd-compat-${spec.name}-`));
    chmodSync(this.dir, 0o755);
    this.cfg = join(this.dir, `compat-${spec.name}.cf`);
    this.ld = new Side('ldirectord', this.dir, this.cfg);
    this.lv = new Side('lvsd', this.dir, this.cfg);
    this.mail = new MailCatcher(this.ip(25));
  }

  /** 127.<net>.<SUBNET>.host: the case's address `host`. */
  ip(host: number): string {
    return `127.${this.spec.net}.${SUBNET}.${host}`;
  }

  /** The mail sink's address, for smtp=. */
  get smtp(): string {
    return this.mail.host;
  }

  /**
   * A self-signed certificate for https reals: PEM texts, and `file`, the certificate's path (a
   * CA file for SSL_CERT_FILE). Made without blocking the event loop.
   */
  async tls(): Promise<{ cert: string; key: string; file: string }> {
    if (!this.cert) {
      const cert = join(this.dir, 'cert.pem');
      const key = join(this.dir, 'key.pem');
      await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-days', '2']);
      this.cert = { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8'), file: cert };
    }
    return this.cert;
  }

  async addReal(name: string, host: string, port: number, opts: RealOptions = {}): Promise<Real> {
    const r = await new Real(host, port, opts).start();
    this.reals.set(name, r);
    return r;
  }

  async addUdpReal(name: string, host: string, port: number): Promise<UdpReal> {
    const r = await new UdpReal(host, port).start();
    this.reals.set(name, r);
    return r;
  }

  real(name: string): AnyReal {
    const r = this.reals.get(name);
    if (!r) throw new Error(`no real ${name}`);
    return r;
  }

  /** Set several reals' modes at once: `{ a: 'refuse', b: 'ok' }`. */
  async set(modes: Record<string, Mode>): Promise<void> {
    await Promise.all(Object.entries(modes).map(([n, m]) => this.real(n).set(m)));
  }

  writeConfig(text: string): void {
    writeFileSync(this.cfg, text);
  }

  file(name: string, text: string, mode = 0o644): string {
    const p = join(this.dir, name);
    writeFileSync(p, text, { mode });
    return p;
  }

  onCleanup(fn: () => unknown): void {
    this.cleanups.push(fn);
  }

  side(which: Which): Side {
    return which === 'ldirectord' ? this.ld : this.lv;
  }

  /**
   * Run the same CLI command against both and compare: equal exit codes, and every line
   * ldirectord prints lvsd prints on the same stream (names, pids and pid file paths normalised).
   * `expect` replaces that comparison where a documented difference applies.
   */
  async both(args: string[], expect?: (ld: CliResult, lv: CliResult) => string[]): Promise<{ ld: CliResult; lv: CliResult }> {
    if (this.ld.running && !existsSync(this.ld.pidFile)) this.notes.push(`ldirectord's pid file ${this.ld.pidFile} is gone before "${args.join(' ')}"`);
    const [ld, lv] = await Promise.all([this.ld.cli(args), this.lv.cli(args)]);
    const label = `cli ${args.map((a) => (a === this.cfg ? 'CFG' : a)).join(' ')}`;
    const found = expect ? expect(ld, lv) : cliMismatch(ld, lv, this);
    this.notes.push(...found.map((m) => `${label}: ${m}`));
    return { ld, lv };
  }

  /** Start both daemons; ldirectord's pid file is planted once it is past its own check of it. */
  async startDaemons(): Promise<void> {
    this.ld.start(this.ldEnv);
    this.lv.start();
    // Planted before ldirectord has looked for it, the file would make it exit ("start" when running).
    const started = await waitUntil(() => this.ld.lines.some((l) => /^Starting Linux Director .* with pid: \d+/.test(l)) || !this.ld.running, 240_000);
    if (started && this.ld.running) this.ld.plantPidFile();
    else this.notes.push(`ldirectord did not start: ${this.ld.lines.slice(-5).join(' | ')}`);
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled([this.ld.kill(), this.lv.kill()]);
    await Promise.allSettled([...this.reals.values()].map((r) => r.close()));
    await this.mail.close();
    for (const fn of this.cleanups.reverse()) await fn();
    // LVSD_COMPAT_KEEP=1 keeps the case's directory (config, both tables and their ipvsadm logs).
    if (process.env.LVSD_COMPAT_KEEP) return;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Normalise a CLI output line: the daemon's name, pids and pid file paths. */
function normal(line: string, w: World): string {
  return line
    .replaceAll(w.ld.pidFile, '<pidfile>')
    .replaceAll(w.lv.pidFile, '<pidfile>')
    .replace(/\b(ldirectord|lvsd)\b(?= (for|is|stale))/g, '<daemon>')
    .replace(/\bpid: \d+/g, 'pid: <pid>');
}

export function cliMismatch(ld: CliResult, lv: CliResult, w: World): string[] {
  const out: string[] = [];
  if (ld.code !== lv.code) out.push(`exit ldirectord=${ld.code} lvsd=${lv.code}`);
  for (const stream of ['stdout', 'stderr'] as const) {
    const want = ld[stream].split('\n').filter(Boolean).map((l) => normal(l, w));
    const have = new Set(lv[stream].split('\n').filter(Boolean).map((l) => normal(l, w)));
    for (const l of want) if (!have.has(l)) out.push(`${stream}: ldirectord says "${l}", lvsd does not (lvsd: ${JSON.stringify(lv[stream].trim())})`);
  }
  return out;
}

