// When the sync daemons are not lvsd's (no syncinterface=), the repair timer must not read them:
// with the ipvsadm driver that was a process every 10 s, and a hung read crowded the log with
// "cannot read the IPVS sync daemons" ahead of the table's own failures.
import t from 'tap';
import { SyncReconciler } from '../../src/table/sync.js';
import { DaemonBus } from '../../src/events/index.js';
import type { SyncDaemon, SyncDaemonControl } from '../../src/ipvs/types.js';

function counting(): SyncDaemonControl & { reads: number } {
  const running: SyncDaemon[] = [];
  return {
    reads: 0,
    async readDaemons() {
      this.reads += 1;
      return [...running];
    },
    async startDaemon(d) {
      running.push(d);
    },
    async stopDaemon(state) {
      running.splice(running.findIndex((d) => d.state === state), 1);
    },
  };
}

const WANT: SyncDaemon[] = [{ state: 'backup', ifname: 'eth1', syncid: 1 }];

t.test('the repair timer re-reads managed daemons only; unmanaged ones are read on request', async (t) => {
  const managedControl = counting();
  const unmanagedControl = counting();
  const managed = new SyncReconciler(managedControl, new DaemonBus(), () => WANT, { repairIntervalMs: 20 });
  const unmanaged = new SyncReconciler(unmanagedControl, new DaemonBus(), () => undefined, { repairIntervalMs: 20 });
  t.teardown(async () => {
    await managed.stop(false);
    await unmanaged.stop(false);
  });
  await managed.now();
  await unmanaged.now();
  t.equal(unmanagedControl.reads, 1, 'the first run reads, for status');
  t.same(unmanaged.known, [], 'and knows what runs');
  managed.startRepair();
  unmanaged.startRepair();
  // the same interval: once the managed one has re-read five times, the unmanaged one had its chances
  for (let i = 0; i < 1000 && managedControl.reads < 6; i++) await new Promise((r) => setTimeout(r, 20));
  t.ok(managedControl.reads >= 6, `the managed one re-read (${managedControl.reads} reads)`);
  t.equal(unmanagedControl.reads, 1, 'the unmanaged one was not re-read by the timer');
  await unmanaged.now(); // a reload or a role change
  t.equal(unmanagedControl.reads, 2, 'a request reads it');
});

t.test('a reload that drops syncinterface= still gets its stop from the timer', async (t) => {
  const control = counting();
  let want: SyncDaemon[] | undefined = WANT;
  const r = new SyncReconciler(control, new DaemonBus(), () => want, { repairIntervalMs: 20 });
  t.teardown(() => r.stop(false));
  await r.now();
  t.same(r.known?.map((d) => d.state), ['backup'], 'started');
  want = undefined;
  r.startRepair(); // no request: the timer alone must hand the daemon lvsd ran back
  for (let i = 0; i < 1000 && r.known?.length; i++) await new Promise((res) => setTimeout(res, 20));
  t.same(r.known, [], 'the daemon lvsd ran was stopped');
});
