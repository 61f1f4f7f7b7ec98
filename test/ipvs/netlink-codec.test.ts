// The IPVS generic-netlink codec of src/ipvs/netlink.ts without a kernel: the bytes of requests
// (field widths and byte orders from include/uapi/linux/ip_vs.h), and requests decoded back as the
// kernel's dump entries (which carry the same nested attributes). The driver against the real
// kernel is tested in the VM (test/kernel/netlink.test.ts).
import t from 'tap';
import { decodeDest, decodeService, encodeChange, ipvsErrorText, packAddress, parseAttrs, probeNetlink } from '../../src/ipvs/netlink.js';
import { normalizeAttrs } from '../../src/ipvs/rules.js';
import type { Change, Dest, ServiceAttrs, ServiceKey } from '../../src/ipvs/types.js';

const v4: ServiceKey = { protocol: 'tcp', family: 4, address: '10.0.0.100', port: 443 };
const v6: ServiceKey = { protocol: 'udp', family: 6, address: 'fd00::100', port: 53 };
const fwm6: ServiceKey = { protocol: 'fwm', family: 6, port: 0, fwmark: 7 };

function svcAttrs(payload: Buffer): Map<number, Buffer> {
  return parseAttrs(parseAttrs(payload).get(1)!);
}

t.test('add-service: identity and the four attributes NEW_SERVICE requires', async (t) => {
  const { cmd, payload, op } = encodeChange({ op: 'add-service', service: v4, attrs: { scheduler: 'rr', persistent: 300, netmask: '255.255.255.0', ops: false } });
  t.equal(cmd, 1);
  t.equal(op, 'add_service');
  const a = svcAttrs(payload);
  t.equal(a.get(1)!.readUInt16LE(0), 2, 'AF_INET');
  t.equal(a.get(2)!.readUInt16LE(0), 6, 'IPPROTO_TCP');
  t.same([...a.get(3)!], [10, 0, 0, 100, ...Array(12).fill(0)], 'address as a 16-byte nf_inet_addr');
  t.same([...a.get(4)!], [1, 187], 'port 443 in network order');
  t.equal(a.get(6)!.toString(), 'rr\0', 'scheduler NUL-terminated');
  t.equal(a.get(7)!.readUInt32LE(0), 0x1, 'flags: persistent');
  t.equal(a.get(7)!.readUInt32LE(4), 0xffffffff, 'flag mask: all');
  t.equal(a.get(8)!.readUInt32LE(0), 300, 'timeout');
  t.same([...a.get(9)!], [255, 255, 255, 0], 'IPv4 netmask in network order');
});

t.test('service defaults as ipvsadm sends them', async (t) => {
  const plain = svcAttrs(encodeChange({ op: 'edit-service', service: v4, attrs: { scheduler: 'wlc', ops: false } }).payload);
  t.same([...plain.get(9)!], [255, 255, 255, 255], 'netmask 0xffffffff when not persistent');
  t.equal(plain.get(8)!.readUInt32LE(0), 0);
  const six = svcAttrs(encodeChange({ op: 'add-service', service: v6, attrs: { scheduler: 'sh', ops: true, schedflags: 'sh-fallback,sh-port' } }).payload);
  t.equal(six.get(1)!.readUInt16LE(0), 10, 'AF_INET6');
  t.equal(six.get(2)!.readUInt16LE(0), 17, 'IPPROTO_UDP');
  t.equal(six.get(9)!.readUInt32LE(0), 128, 'IPv6 netmask is a prefix length');
  t.equal(six.get(7)!.readUInt32LE(0), 0x4 | 0x8 | 0x10, 'ops + sched flags 1 and 2');
  const fw = svcAttrs(encodeChange({ op: 'del-service', service: fwm6 }).payload);
  t.equal(fw.get(5)!.readUInt32LE(0), 7, 'fwmark identifies the service');
  t.notOk(fw.has(2) || fw.has(3) || fw.has(4), 'no protocol/address/port for fwmark services');
});

t.test('destinations: DR/TUN port rewrite on add and edit, not on delete', async (t) => {
  const dest: Dest = { address: '10.0.2.12', port: 8443, forward: 'gate', weight: 5, upper: 100, lower: 10 };
  const add = encodeChange({ op: 'add-dest', service: v4, dest });
  t.equal(add.cmd, 5);
  const d = parseAttrs(parseAttrs(add.payload).get(2)!);
  t.equal(d.get(2)!.readUInt16BE(0), 443, 'gate dest stored on the service port');
  t.equal(d.get(3)!.readUInt32LE(0), 3, 'IP_VS_CONN_F_DROUTE');
  t.equal(d.get(4)!.readUInt32LE(0), 5);
  t.equal(d.get(5)!.readUInt32LE(0), 100);
  t.equal(d.get(6)!.readUInt32LE(0), 10);
  const masq = parseAttrs(parseAttrs(encodeChange({ op: 'edit-dest', service: v4, dest: { ...dest, forward: 'masq' } }).payload).get(2)!);
  t.equal(masq.get(2)!.readUInt16BE(0), 8443, 'masq keeps its port');
  t.equal(masq.get(3)!.readUInt32LE(0), 0);
  const fw = parseAttrs(parseAttrs(encodeChange({ op: 'add-dest', service: fwm6, dest: { ...dest, address: 'fd00:2::12', forward: 'ipip' } }).payload).get(2)!);
  t.equal(fw.get(2)!.readUInt16BE(0), 8443, 'fwmark services keep the dest port');
  t.equal(fw.get(3)!.readUInt32LE(0), 2, 'IP_VS_CONN_F_TUNNEL');
  const del = encodeChange({ op: 'del-dest', service: v4, address: '10.0.2.12', port: 8443 });
  t.equal(del.cmd, 7);
  t.equal(parseAttrs(parseAttrs(del.payload).get(2)!).get(2)!.readUInt16BE(0), 8443, 'delete names the port as given (ipvsadm -d)');
});

t.test('requests decode back as the kernel lists them (normal form of ipvsadm)', async (t) => {
  const cases: [ServiceKey, ServiceAttrs][] = [
    [v4, { scheduler: 'wlc', ops: false }],
    [v4, { scheduler: 'rr', persistent: 300, netmask: '255.255.255.0', ops: false }],
    [v4, { scheduler: 'rr', persistent: 300, netmask: '255.255.255.255', ops: false }],
    [v6, { scheduler: 'sh', ops: true, schedflags: 'sh-port,sh-fallback' }],
    [{ ...v6, protocol: 'tcp' }, { scheduler: 'lc', persistent: 600, netmask: '64', ops: false }],
    [fwm6, { scheduler: 'mh', ops: false, schedflags: 'mh-fallback,flag-3' }],
    [{ protocol: 'fwm', family: 4, port: 0, fwmark: 4294967295 }, { scheduler: 'wrr', persistent: 360, ops: false }],
  ];
  for (const [key, attrs] of cases) {
    const s = decodeService(encodeChange({ op: 'add-service', service: key, attrs }).payload);
    t.same(s, { key, ...normalizeAttrs(key, attrs), dests: [] }, `${JSON.stringify(key)} ${JSON.stringify(attrs)}`);
  }
  const dest: Dest = { address: 'fd00:2::ffff:10.0.2.1', port: 80, forward: 'masq', weight: 0, upper: 7, lower: 2 };
  const c: Change = { op: 'add-dest', service: { ...v6, protocol: 'tcp', port: 80 }, dest };
  t.same(decodeDest(encodeChange(c).payload, 6), { ...dest, address: 'fd00:2::ffff:a00:201' }, 'IPv6 dest, printed like inet_ntop');
});

t.test('addresses pack like inet_pton', async (t) => {
  t.same([...packAddress('fd00::100')], [0xfd, 0, ...Array(12).fill(0), 1, 0]);
  t.same([...packAddress('::ffff:1.2.3.4')], [...Array(10).fill(0), 0xff, 0xff, 1, 2, 3, 4]);
  t.same([...packAddress('1:2:3:4:5:6:7:8')], [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
});

t.test('kernel errnos carry ipvsadm texts', async (t) => {
  t.equal(ipvsErrorText('add_dest', 17), 'Destination already exists');
  t.equal(ipvsErrorText('add_service', 17), 'Service already exists');
  t.equal(ipvsErrorText('del_service', 3), 'No such service');
  t.equal(ipvsErrorText('add_dest', 3), 'Service not defined');
  t.equal(ipvsErrorText('del_dest', 2), 'No such destination');
  t.equal(ipvsErrorText('add_service', 2), 'Scheduler or persistence engine not found');
  t.equal(ipvsErrorText('add_dest', 34), 'Numerical result out of range');
  t.equal(ipvsErrorText('del_dest', 1), 'Permission denied (you must be root)');
  t.match(ipvsErrorText('add_dest', 123456), /kernel error 123456/);
});

t.test('probeNetlink answers, never throws', async (t) => {
  const ok = await probeNetlink({ modprobe: false });
  t.type(ok, 'boolean', `netlink IPVS here: ${ok}`);
});
