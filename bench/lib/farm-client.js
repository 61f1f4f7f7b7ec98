// The bench driver's handle on the farm process (farm.js): start it, send it commands.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { ROOT } from './util.js';

export class Farm {
  constructor() {
    this.child = fork(path.join(ROOT, 'bench', 'lib', 'farm.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.pending = new Map();
    this.seq = 0;
    this.child.on('message', (m) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`farm: ${m.error}`));
    });
    this.child.on('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`farm exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  get pid() {
    return this.child.pid;
  }

  call(cmd, args) {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, cmd, args });
    });
  }

  ensure(n, port) {
    return this.call('ensure', { n, port });
  }
  set(ids, mode) {
    return this.call('set', { ids, mode });
  }
  plan(steps) {
    return this.call('plan', { steps });
  }
  record() {
    return this.call('record');
  }
  stats(ids) {
    return this.call('stats', { ids });
  }
  reset(n) {
    return this.call('reset', { n });
  }

  async stop() {
    if (this.child.exitCode !== null) return;
    await this.call('close').catch(() => {});
    this.child.disconnect();
    await Promise.race([once(this.child, 'exit'), new Promise((r) => setTimeout(r, 3000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
