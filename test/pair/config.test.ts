// The director-pair directives (lvsd extensions): syncinterface, syncid, syncstate, syncgroup,
// syncport, syncttl, syncmaxlen and trackfile. Accepted in both front ends with the same model,
// refused with the file and line, global only, and written back by both writers.
import t from 'tap';
import { formatConfig } from '../../src/config/load.js';
import { cf, configError, yaml, comparable } from '../config/helpers.js';

const V = 'virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate\n';
const ALL = 'syncinterface=eth1\nsyncid=7\nsyncstate=both\nsyncgroup=239.1.2.3\nsyncport=8849\nsyncttl=2\nsyncmaxlen=1400\ntrackfile=/run/lvsd.pool\n';

t.test('ldirectord.cf: all of them, in the model', async (t) => {
  const c = await cf(`${ALL}${V}`);
  t.same(
    { ...c.global },
    { syncinterface: 'eth1', syncid: 7, syncstate: 'both', syncgroup: '239.1.2.3', syncport: 8849, syncttl: 2, syncmaxlen: 1400, trackfile: '/run/lvsd.pool' },
  );
  t.same(c.warnings, []);
  const none = await cf(V);
  t.equal(none.global.syncinterface, undefined, 'sync daemons left alone unless asked');
  t.same((await cf(`syncgroup=ff02::1:2\nsyncinterface=eth1\n${V}`)).global.syncgroup, 'ff02::1:2', 'an IPv6 group');
  t.same((await cf(`syncstate=role\nsyncid=0\nsyncid=255\nsyncinterface=e\n${V}`)).global.syncid, 255, 'bounds, the last one wins');
});

t.test('refusals name the line', async (t) => {
  const cases: [string, RegExp][] = [
    ['syncid=256', /syncid must be from 0 to 255, got 256/],
    ['syncid=-1', /syncid needs a whole number from 0 to 255/],
    ['syncid=7 ', /syncid needs a whole number.*trailing whitespace/],
    ['syncid=7\r', /carriage return/],
    ['syncport=0', /syncport must be from 1 to 65535/],
    ['syncport=65536', /syncport must be from 1 to 65535/],
    ['syncttl=0', /syncttl must be from 1 to 255/],
    ['syncttl=256', /syncttl must be from 1 to 255/],
    ['syncmaxlen=0', /syncmaxlen must be from 1 to 65507/],
    ['syncmaxlen=70000', /syncmaxlen must be from 1 to 65507/],
    ['syncstate=primary', /syncstate must be role, master, backup or both, got "primary"/],
    ['syncstate=Master', /values are case-sensitive/],
    ['syncgroup=10.0.0.1', /syncgroup needs a multicast address/],
    ['syncgroup=fd00::1', /syncgroup needs a multicast address/],
    ['syncgroup=224.0.0', /syncgroup needs a multicast address/],
    ['syncinterface=', /syncinterface needs a network interface name/],
    ['syncinterface=a/b', /syncinterface needs a network interface name/],
    ['syncinterface=eth0:1', /syncinterface needs a network interface name/],
    ['syncinterface=-eth0', /syncinterface needs a network interface name/],
    ['syncinterface=averyveryverylongname', /syncinterface needs a network interface name/],
    ['syncinterface=eth 0', /syncinterface needs a network interface name/],
    ['trackfile=pool', /trackfile needs an absolute path/],
    ['trackfile=', /trackfile needs an absolute path/],
    ['trackfile=/run/pool\r', /trackfile=.*control character/],
  ];
  for (const [line, re] of cases) {
    const e = await configError(t, cf(`checktimeout=3\n${line}\n${V}`));
    t.equal(e?.line, 2, `${JSON.stringify(line)}: line`);
    t.match(e?.message, re, JSON.stringify(line));
    t.match(e?.message, /^\/test\/ldirectord\.cf:2: /, 'FILE:LINE:');
  }
  const inside = await configError(t, cf(`${V}\tsyncinterface=eth0\n`));
  t.match(inside?.detail, /syncinterface is a global directive/);
  const insideTrack = await configError(t, cf(`${V}\ttrackfile="/run/x"\n`));
  t.match(insideTrack?.detail, /trackfile is a global directive/);
});

t.test('sync options without syncinterface: a warning at their line', async (t) => {
  const c = await cf(`syncid=3\nsyncstate=master\n${V}`);
  t.same(c.warnings.map((w) => [w.line, w.message]), [
    [1, 'syncid has no effect without syncinterface (lvsd leaves the sync daemons alone)'],
    [2, 'syncstate has no effect without syncinterface (lvsd leaves the sync daemons alone)'],
  ]);
});

t.test('YAML: same model, errors with the YAML line', async (t) => {
  const y = await yaml([
    'syncinterface: eth1', 'syncid: 7', 'syncstate: both', 'syncgroup: 239.1.2.3', 'syncport: 8849', 'syncttl: 2',
    'syncmaxlen: 1400', 'trackfile: /run/lvsd.pool', 'virtuals:', '  - virtual: 127.0.0.1:80', '    real: 127.0.0.2:80 gate', '',
  ].join('\n'));
  t.same(comparable(y), comparable(await cf(`${ALL}${V}`)));
  const e = await configError(t, yaml('checkinterval: 2\nsyncid: 300\n'));
  t.equal(e?.line, 2);
  t.match(e?.detail, /syncid must be from 0 to 255/);
  const inside = await configError(t, yaml('virtuals:\n  - virtual: 127.0.0.1:80\n    syncid: 1\n'));
  t.match(inside?.detail, /syncid is a global directive/);
});

t.test('both writers keep them (lvsd convert round trip)', async (t) => {
  const c = await cf(`${ALL}${V}`);
  const text = formatConfig(c, 'cf');
  t.match(text, /# lvsd extensions.*director pair.*\nsyncinterface=eth1\nsyncid=7\nsyncstate=both\n/);
  t.same(comparable(await cf(text)), comparable(c), 'cf round trip');
  const y = formatConfig(c, 'yaml');
  t.same(comparable(await yaml(y)), comparable(c), 'yaml round trip');
  t.same(comparable(await cf(formatConfig(await yaml(y), 'cf'))), comparable(c), 'cf → yaml → cf');
});
