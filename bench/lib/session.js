// One bench run's shared setup: a temp dir, the farm, the ipvsadm(s), and starting a daemon of
// either kind on a config, waiting until its first pass is in the table.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Farm } from './farm-client.js';
import { Lvsd, Ldirectord, configText } from './daemons.js';
import { STAND_IN, startFastStandin } from './standin.js';
import { hostOf, log, now, tempDir } from './util.js';
import { cpuOf } from './proc.js';

export class Session {
  constructor(opts) {
    this.opts = opts;
    this.dir = tempDir();
    this.notes = [];
    this.daemons = new Set();
  }

  async open() {
    this.port = await freePort();
    this.farm = new Farm();
    this.plain = { name: 'stand-in (one Node process per call)', program: STAND_IN, env: {} };
    const fast = this.opts.standin === 'plain' ? { unavailable: 'plain stand-in requested (--standin plain)' } : await startFastStandin(this.dir);
    if (fast.unavailable) {
      this.note(`fast ipvsadm unavailable: ${fast.unavailable}; using the plain stand-in, scenarios that need its side log are skipped`);
      this.ipvsadm = this.plain;
    } else {
      this.fast = { ...fast, name: 'stand-in, bench server mode (C client, one Node server)' };
      this.ipvsadm = this.fast;
    }
    log(`workdir ${this.dir}, farm port ${this.port}, ipvsadm: ${this.ipvsadm.name}`);
  }

  note(s) {
    this.notes.push(s);
    log(`note: ${s}`);
  }

  /** CPU seconds of the fast stand-in's server (the driver's cost in fast mode). */
  driverCpu() {
    return this.fast ? cpuOf(this.fast.pid)?.self : undefined;
  }

  /**
   * Start `kind` ('lvsd' | 'ldirectord') on n reals with config options `cfg`; resolves once all n
   * reals are up in the table, with {daemon, startupMs}. The farm is reset to n healthy servers.
   */
  async start(kind, tag, n, cfg, extra = {}) {
    await this.farm.ensure(n, this.port);
    await this.farm.reset(n);
    const text = configText(n, this.port, cfg);
    const ipvsadm = extra.ipvsadm ?? this.ipvsadm;
    const t0 = now();
    const d = kind === 'lvsd' ? new Lvsd(this.dir, tag, text, { ipvsadm, cpuProf: extra.cpuProf, nodeFlags: extra.nodeFlags, nice: this.opts.nice }) : new Ldirectord(this.dir, tag, text, { ipvsadm });
    this.daemons.add(d);
    const bound = kind === 'lvsd' ? 60_000 + n * 10 : 120_000 + n * 400;
    try {
      // 'running': lvsd has applied its first round, whatever the checks said (steady state
      // is measured even when checks fail); otherwise every real must be up in the table.
      if (extra.ready === 'running' && kind === 'lvsd') await d.waitRunning(bound);
      else await d.waitAllUp(n, bound);
    } catch (e) {
      await this.stop(d);
      throw e;
    }
    return { daemon: d, startupMs: now() - t0 };
  }

  async stop(d) {
    await d.stop();
    this.daemons.delete(d);
  }

  async close() {
    for (const d of this.daemons) await d.stop().catch(() => {});
    await this.fast?.stop().catch(() => {});
    await this.farm?.stop().catch(() => {});
    if (!this.opts.keep) fs.rmSync(this.dir, { recursive: true, force: true });
    else log(`kept ${this.dir}`);
  }

  file(name) {
    return path.join(this.dir, name);
  }
}

/** A port free on the farm's first address (each server has its own address, same port). */
async function freePort() {
  for (let p = 18181; p < 18281; p++) {
    const ok = await new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(p, hostOf(0), () => s.close(() => resolve(true)));
    });
    if (ok) return p;
  }
  throw new Error('no free port in 18181..18280 on the farm addresses');
}
