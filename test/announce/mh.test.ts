// The README's recipe for several active directors (scheduler=mh, schedflags=mh-fallback,mh-port)
// reaches both drivers: ipvsadm's arguments and the netlink request's flag bits.
import t from 'tap';
import { cf } from '../config/helpers.js';
import { serviceAttrsOf, serviceKeyOf } from '../../src/table/desired.js';
import { changeToArgs, validateChange } from '../../src/ipvs/rules.js';
import { encodeChange, parseAttrs } from '../../src/ipvs/netlink.js';
import type { Change } from '../../src/ipvs/types.js';

t.test('scheduler=mh with mh-fallback,mh-port: accepted and applied by both drivers', async (t) => {
  const c = await cf('virtual=192.0.2.10:80\n\treal=10.0.0.2:80 gate\n\tscheduler=mh\n\tschedflags=mh-fallback,mh-port\n');
  const v = c.virtuals[0]!;
  const change: Change = { op: 'add-service', service: serviceKeyOf(v), attrs: serviceAttrsOf(v) };
  t.equal(validateChange(change), undefined, 'the flags belong to the scheduler');
  t.same(changeToArgs(change), ['-A', '-t', '192.0.2.10:80', '-s', 'mh', '-b', 'mh-fallback,mh-port'], 'ipvsadm');
  const svc = parseAttrs(parseAttrs(encodeChange(change).payload).get(1)!);
  t.equal(svc.get(6)!.toString(), 'mh\0', 'netlink: the scheduler');
  t.equal(svc.get(7)!.readUInt32LE(0), 0x8 | 0x10, 'netlink: IP_VS_SVC_F_SCHED1 (fallback) | SCHED2 (port)');
  const wrong: Change = { ...change, attrs: { ...change.attrs, schedflags: 'sh-port' } } as Change;
  t.match(validateChange(wrong), /incompatible scheduler flag/, 'another scheduler\'s flags are refused');
});
