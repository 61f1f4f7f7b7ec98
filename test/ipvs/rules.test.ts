// rules.ts: rule lines for -R, and parsing what the stand-in prints (its formats are checked
// against the real binary in real-binary.test.ts), so parser and printer cannot drift apart.
import t from 'tap';
import {
  canonicalAddress,
  changeToRule,
  formatSave,
  mergeThresholds,
  normalizeAttrs,
  parseList,
  parseListThresholds,
  parseSave,
  validateChange,
} from '../../src/ipvs/rules.js';
import type { Change, ServiceKey } from '../../src/ipvs/types.js';
import { ipvsadm, sandbox } from './helpers.js';

const web: ServiceKey = { protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 };
const v6: ServiceKey = { protocol: 'tcp', family: 6, address: '2001:db8::1', port: 80 };
const fwm6: ServiceKey = { protocol: 'fwm', family: 6, port: 0, fwmark: 8 };

t.test('rule lines', async (t) => {
  const rules = ([
    { op: 'add-service', service: web, attrs: { scheduler: 'wlc', persistent: 300, netmask: '255.255.255.0', ops: false } },
    { op: 'edit-service', service: { ...web, protocol: 'udp' }, attrs: { scheduler: 'sh', ops: true, schedflags: 'sh-port' } },
    { op: 'add-service', service: fwm6, attrs: { scheduler: 'wrr', persistent: 60, netmask: '64', ops: false } },
    { op: 'del-service', service: v6 },
    { op: 'add-dest', service: web, dest: { address: '127.0.0.2', port: 8080, forward: 'masq', weight: 5, upper: 100, lower: 10 } },
    { op: 'edit-dest', service: v6, dest: { address: '2001:db8::5', port: 80, forward: 'gate', weight: 0, upper: 0, lower: 0 } },
    { op: 'del-dest', service: fwm6, address: '2001:db8::6', port: 0 },
  ] as Change[]).map(changeToRule);
  t.same(rules, [
    '-A -t 10.0.0.1:80 -s wlc -p 300 -M 255.255.255.0',
    '-E -u 10.0.0.1:80 -s sh -o -b sh-port',
    '-A -f 8 -6 -s wrr -p 60 -M 64',
    '-D -t [2001:db8::1]:80',
    '-a -t 10.0.0.1:80 -r 127.0.0.2:8080 -m -w 5 -x 100 -y 10',
    '-e -t [2001:db8::1]:80 -r [2001:db8::5]:80 -g -w 0 -x 0 -y 0',
    '-d -f 8 -6 -r [2001:db8::6]:0',
  ]);
});

t.test('what ipvsadm would refuse is refused before sending', async (t) => {
  const d = { address: '10.0.0.2', port: 80, forward: 'masq', weight: 1, upper: 0, lower: 0 } as const;
  const cases: [Change, string | undefined][] = [
    [{ op: 'add-dest', service: web, dest: d }, undefined],
    [{ op: 'add-dest', service: web, dest: { ...d, weight: 2147483648 } }, 'illegal weight specified'],
    [{ op: 'add-dest', service: web, dest: { ...d, upper: -1 } }, 'illegal u_threshold specified'],
    [{ op: 'add-dest', service: web, dest: { ...d, address: 'www.example.org' } }, 'illegal real server address[:port] specified'],
    [{ op: 'add-dest', service: web, dest: { ...d, address: '2001:db8::2', forward: 'gate' } }, 'Different address family is allowed only for tunneling servers'],
    [{ op: 'add-dest', service: web, dest: { ...d, address: '2001:db8::2', forward: 'ipip' } }, undefined],
    [{ op: 'add-service', service: { ...web, port: 0 }, attrs: { scheduler: 'rr', ops: false } }, 'Zero port specified for non-persistent service'],
    [{ op: 'add-service', service: web, attrs: { scheduler: 'rr', ops: true } }, 'One-Packet Scheduling is only for UDP virtual services'],
    [{ op: 'add-service', service: web, attrs: { scheduler: 'rr', ops: false, schedflags: 'sh-port' } }, "incompatible scheduler flag `sh-port'"],
    [{ op: 'add-service', service: web, attrs: { scheduler: 'rr', ops: false, persistent: 0 } }, "invalid timeout value `0' specified"],
    [{ op: 'add-service', service: v6, attrs: { scheduler: 'rr', ops: false, persistent: 10, netmask: '255.255.0.0' } }, 'illegal ipv6 netmask specified'],
    [{ op: 'add-service', service: web, attrs: { scheduler: 'two words', ops: false } }, "invalid scheduler name `two words'"],
    [{ op: 'del-service', service: { protocol: 'fwm', family: 4, port: 0, fwmark: 0 } }, "invalid fwmark value `0' specified"],
    [{ op: 'del-service', service: { ...web, family: 6 } }, 'illegal virtual server address[:port] specified'],
  ];
  for (const [c, want] of cases) t.equal(validateChange(c), want, changeToRule(c));
});

t.test('parsing -S, -L and --thresholds of the same table gives the same Table', async (t) => {
  const sb = sandbox(t);
  const setup = [
    '-A -t 10.0.0.1:80 -s wlc -p 300 -M 255.255.255.0',
    '-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 5 -x 100 -y 10',
    '-a -t 10.0.0.1:80 -r 10.0.0.3 -g -w 0',
    '-A -u [2001:DB8:0::1]:53 -o -s sh -b sh-port',
    '-a -u [2001:db8::1]:53 -r [2001:db8::5]:53 -i -w 2',
    '-A -f 8 -6 -s wrr -p 60 -M 64',
    '-A -f 9 -s rr',
    '-a -f 9 -r 10.0.0.9:0 -g',
    '-A -t 10.0.0.2:0 -s rr -p',
  ];
  t.equal(ipvsadm(sb, ['-R'], setup.join('\n')).code, 0);
  const save = parseSave(ipvsadm(sb, ['-S', '-n']).stdout);
  const list = parseList(ipvsadm(sb, ['-L', '-n']).stdout);
  const thresholds = parseListThresholds(ipvsadm(sb, ['-L', '-n', '--thresholds']).stdout);
  t.same(list, save, '-L -n and -S -n agree');
  const full = mergeThresholds(save, thresholds);
  t.same(full.services.map((s) => s.key), [
    { protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 },
    { protocol: 'tcp', family: 4, address: '10.0.0.2', port: 0 },
    { protocol: 'udp', family: 6, address: '2001:db8::1', port: 53 },
    { protocol: 'fwm', family: 6, port: 0, fwmark: 8 },
    { protocol: 'fwm', family: 4, port: 0, fwmark: 9 },
  ]);
  t.same(full.services[0], {
    key: full.services[0]!.key, scheduler: 'wlc', ops: false, persistent: 300, netmask: '255.255.255.0',
    dests: [
      { address: '10.0.0.2', port: 8080, forward: 'masq', weight: 5, upper: 100, lower: 10 },
      { address: '10.0.0.3', port: 80, forward: 'gate', weight: 0, upper: 0, lower: 0 },
    ],
  });
  t.same(full.services[1]!.persistent, 360);
  t.same(full.services[2], { key: full.services[2]!.key, scheduler: 'sh', ops: true, schedflags: 'sh-port', dests: [{ address: '2001:db8::5', port: 53, forward: 'ipip', weight: 2, upper: 0, lower: 0 }] });
  t.same(full.services[3], { key: full.services[3]!.key, scheduler: 'wrr', ops: false, persistent: 60, netmask: '64', dests: [] });
  // the TypeScript printer gives the stand-in's (and so ipvsadm's) -S text for the same table
  t.equal(formatSave(full), ipvsadm(sb, ['-S', '-n']).stdout);
});

t.test('normal forms', async (t) => {
  t.equal(canonicalAddress('2001:DB8:0:0::1'), '2001:db8::1');
  t.equal(canonicalAddress('::ffff:10.0.0.1'), '::ffff:10.0.0.1');
  t.equal(canonicalAddress('2001:db8:0:1:0:0:0:1'), '2001:db8:0:1::1');
  t.equal(canonicalAddress('1:0:1:0:1:0:1:0'), '1:0:1:0:1:0:1:0');
  t.equal(canonicalAddress('host.example'), undefined);
  t.same(normalizeAttrs(web, { scheduler: 'sh', ops: false, persistent: 10, netmask: '255.255.255.255', schedflags: 'sh-port,sh-fallback' }),
    { scheduler: 'sh', ops: false, persistent: 10, schedflags: 'sh-fallback,sh-port' });
  t.same(normalizeAttrs(web, { scheduler: 'rr', ops: false, netmask: '255.255.0.0' }), { scheduler: 'rr', ops: false }, 'mask without persistence is not shown');
});
