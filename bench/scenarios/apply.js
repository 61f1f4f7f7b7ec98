// Scenario 6: what one IPVS change set costs through each driver. For each set size k: k
// destinations added to one service in one apply, then the same k deleted in one apply; wall
// time per set, and the marginal cost per change (slope between the smallest and largest set).
// Runs wherever the drivers do: on the host (memory, the stand-in both ways) and, with --kernel,
// inside the test VM against a real kernel (netlink, the real ipvsadm) via bench/kernel-apply.js.
import { now, spread } from '../lib/util.js';

const SERVICE = { protocol: 'tcp', family: 4, address: '10.99.0.1', port: 80 };

function dest(i) {
  return { address: `10.98.${Math.floor(i / 250)}.${(i % 250) + 1}`, port: 8080, forward: 'masq', weight: 1, upper: 0, lower: 0 };
}

/** drivers: [{name, driver}]; returns {name: {sets: {k: {add: spread, del: spread}}, perChangeUs}}. */
export async function applyCost(drivers, { sizes, repeats }) {
  const out = {};
  for (const { name, driver } of drivers) {
    const setup = await driver.apply([{ op: 'add-service', service: SERVICE, attrs: { scheduler: 'wrr', ops: false } }]);
    if (setup.failed.length) throw new Error(`${name}: ${setup.failed[0].error}`);
    const sets = {};
    for (const k of sizes) {
      const add = [];
      const del = [];
      for (let r = 0; r < repeats; r++) {
        const adds = Array.from({ length: k }, (_, i) => ({ op: 'add-dest', service: SERVICE, dest: dest(i) }));
        const dels = Array.from({ length: k }, (_, i) => ({ op: 'del-dest', service: SERVICE, address: dest(i).address, port: 8080 }));
        let t = now();
        const a = await driver.apply(adds);
        add.push(now() - t);
        t = now();
        const d = await driver.apply(dels);
        del.push(now() - t);
        if (a.failed.length || d.failed.length) throw new Error(`${name}: ${(a.failed[0] ?? d.failed[0]).error}`);
      }
      sets[k] = { addMs: spread(add), delMs: spread(del) };
    }
    await driver.apply([{ op: 'del-service', service: SERVICE }]);
    const lo = Math.min(...sizes);
    const hi = Math.max(...sizes);
    const perChangeUs = hi > lo ? ((sets[hi].addMs.median - sets[lo].addMs.median) / (hi - lo)) * 1000 : undefined;
    out[name] = { sets, perChangeUs, perSetMs: sets[lo].addMs.median };
    await driver.close?.();
  }
  return out;
}
