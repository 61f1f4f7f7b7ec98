// The reconciler's view of the kernel table, which status reads: a periodic re-read must not
// blank it (a status asked while the repair's read runs showed every kernel weight as unknown).
import t from 'tap';
import { Reconciler } from '../../src/table/reconciler.js';
import { MemoryDriver } from '../../src/ipvs/memory.js';
import { DaemonBus } from '../../src/events/index.js';
import type { Table } from '../../src/ipvs/types.js';

const TABLE: Table = {
  services: [{ key: { protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 }, scheduler: 'wrr', ops: false, dests: [] }],
};

t.test('the last table read stays known while the periodic re-read runs', async (t) => {
  const driver = new MemoryDriver(TABLE);
  const read = driver.read.bind(driver);
  let release: (() => void) | undefined;
  let reads = 0;
  driver.read = async () => {
    reads += 1;
    if (reads > 1) await new Promise<void>((r) => (release = r)); // the repair's read hangs until released
    return read();
  };
  const r = new Reconciler(driver, new DaemonBus(), () => ({ services: [], forget: [] }) /* nothing managed: the kernel's service is left alone */, { repairIntervalMs: 20 });
  t.teardown(() => {
    r.stop();
    release?.();
  });
  await r.now('start');
  t.same(r.known?.services.map((s) => s.key.port), [80], 'known after the first read');
  r.startRepair();
  for (let i = 0; i < 500 && !release; i++) await new Promise((res) => setTimeout(res, 20));
  t.ok(release, 'the repair started a fresh read');
  t.same(r.known?.services.map((s) => s.key.port), [80], 'still known while that read runs');
  release?.();
});
