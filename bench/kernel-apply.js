// Scenario 6 inside the test VM (real IPVS): netlink driver, ipvsadm driver over the real
// /usr/sbin/ipvsadm, memory driver. Run by `node bench/run.js --kernel` through test/kernel/vm.js;
// prints one JSON line. Under QEMU's software emulation every figure is many times the host's:
// compare the drivers with each other, not with the host's numbers.
import { applyCost } from './scenarios/apply.js';
import { NetlinkDriver } from '../dist/ipvs/netlink.js';
import { IpvsadmDriver } from '../dist/ipvs/ipvsadm.js';
import { MemoryDriver } from '../dist/ipvs/memory.js';

const sizes = JSON.parse(process.argv[2] ?? '[1,100,1000]');
const repeats = Number(process.argv[3] ?? 3);
const drivers = [
  { name: 'netlink (kernel VM)', driver: new NetlinkDriver() },
  { name: 'ipvsadm 1.31 binary (kernel VM)', driver: new IpvsadmDriver({ path: '/usr/sbin/ipvsadm' }) },
  { name: 'memory (kernel VM)', driver: new MemoryDriver() },
];
const result = await applyCost(drivers, { sizes, repeats });
process.stdout.write(`KERNEL-APPLY ${JSON.stringify(result)}\n`);
