// The lvsd suite (lvsd-suite.js) with the ipvsadm driver. One file per driver, because run.js gives
// each file a network namespace of its own: IPVS connection entries outlive `ipvsadm -C`, and the
// next driver's client, reusing the same source ports, would meet them.
const wanted = (process.env.LVSD_KERNEL_DRIVERS ?? 'ipvsadm,netlink').split(',');
process.env.LVSD_KERNEL_DRIVERS = wanted.includes('ipvsadm') ? 'ipvsadm' : '';
await import('./lvsd-suite.js');
