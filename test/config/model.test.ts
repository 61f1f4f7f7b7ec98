// What the parser puts in the model: defaults, service ⇄ port, timeouts through effective(),
// ranges, IPv6, fwmark, host names, per-real options, order-dependent login defaults.
import t from 'tap';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { effective, virtualId } from '../../src/config/effective.js';
import { KNOWN_DIRECTIVES } from '../../src/config/ldirectord-cf.js';
import { SERVICES } from '../../src/config/model.js';
import { portToService, serviceToPort } from '../../src/config/services.js';
import { cf, configError, yaml } from './helpers.js';

const R = '\treal=127.0.0.2:80 gate\n';

t.test('defaults of a minimal virtual service', async (t) => {
  const c = await cf('virtual=127.0.0.1:8080\n' + R);
  t.same(c.global, {});
  const { source, reals, ...v } = c.virtuals[0]!;
  t.same(source, { file: '/test/ldirectord.cf', line: 1 });
  t.same(v, {
    family: 4, protocol: 'tcp', address: '127.0.0.1', port: 8080, service: 'none', checktype: 'negotiate',
    checkcommand: '/bin/true', request: '/', receive: '', httpmethod: 'GET', login: '', passwd: '', database: '',
    secret: '', scheduler: 'wrr', ops: false, overrides: {},
  });
  t.same(reals, [{ address: '127.0.0.2', family: 4, port: 80, forward: 'gate', weight: 1, lower: 0, upper: 0, source: { file: '/test/ldirectord.cf', line: 2 } }]);
  const e = effective(c, c.virtuals[0]!);
  t.match(e, { checktimeout: 5, negotiatetimeout: 30, checkinterval: 10, checkcount: 1, failurecount: 1, quiescent: false, cleanstop: true, emailalertfreq: 0 });
});

t.test('KNOWN_DIRECTIVES: the 49 ldirectord keywords and the 23 lvsd extensions', (t) => {
  t.equal(new Set(KNOWN_DIRECTIVES).size, 72);
  for (const d of ['checktimeout', 'virtual6', 'real6', 'fallback6', 'maintenancedir', 'load', 'comment', 'sslverify']) t.ok(KNOWN_DIRECTIVES.includes(d), d);
  t.notOk(KNOWN_DIRECTIVES.includes('timeout'), 'refused keywords are not listed');
  t.end();
});

t.test('service ⇄ port table (spec §1.4)', (t) => {
  const table: Array<[number, string]> = [
    [21, 'ftp'], [25, 'smtp'], [53, 'dns'], [80, 'http'], [110, 'pop'], [119, 'nntp'], [143, 'imap'], [389, 'ldap'],
    [443, 'https'], [587, 'submission'], [636, 'ldaps'], [993, 'imaps'], [995, 'pops'], [1521, 'oracle'],
    [1812, 'radius'], [3128, 'http_proxy'], [3306, 'mysql'], [5060, 'sip'], [5432, 'pgsql'],
  ];
  for (const [port, service] of table) {
    t.equal(portToService(port), service);
    t.equal(serviceToPort(service as never), port);
  }
  t.equal(portToService(9312), 'none');
  t.equal(portToService('080'), 'none', 'compared as text, like Perl eq');
  t.equal(serviceToPort('simpletcp'), undefined);
  t.equal(SERVICES.length, 21);
  t.end();
});

t.test('service and protocol follow the virtual port', async (t) => {
  const c = await cf(
    ['virtual=127.0.0.1:443', R, 'virtual=127.0.0.1:53', R, 'virtual=127.0.0.3:domain', R, 'virtual=127.0.0.1:http', R,
      'virtual=127.0.0.1:9312', R, 'virtual=127.0.0.1:5060', R, '\tprotocol=udp\n', 'virtual=9', '\treal=127.0.0.2 gate\n\tcheckport=80\n',
      'virtual=127.0.0.1:53', R, '\tprotocol=tcp\n'].join('\n').replace(/\n\n/g, '\n'),
  );
  t.same(c.virtuals.map((v) => [v.protocol, v.port, v.service]), [
    ['tcp', 443, 'https'], ['udp', 53, 'dns'], ['udp', 53, 'dns'], ['tcp', 80, 'http'], ['tcp', 9312, 'none'],
    ['udp', 5060, 'sip'], ['fwm', 0, 'none'], ['tcp', 53, 'dns'],
  ]);
  t.same(c.virtuals.map(virtualId), ['tcp:127.0.0.1:443', 'udp:127.0.0.1:53', 'udp:127.0.0.3:53', 'tcp:127.0.0.1:80', 'tcp:127.0.0.1:9312', 'udp:127.0.0.1:5060', 'fwm:9', 'tcp:127.0.0.1:53']);
});

t.test('duplicate detection uses the resolved id', async (t) => {
  const e = await configError(t, cf('virtual=127.0.0.1:53\n' + R + 'virtual=127.0.0.1:domain\n' + R));
  t.equal(e?.line, 4);
  t.match(e?.detail, /duplicate virtual server udp:127.0.0.1:53/);
});

t.test('timeout precedence through effective() (spec §1.5)', async (t) => {
  const c = await cf([
    'checktimeout=3',
    'virtual=127.0.0.1:80', R.trimEnd(), '\tnegotiatetimeout=10',
    'virtual=127.0.0.1:81', R.trimEnd(),
    'virtual=127.0.0.1:82', R.trimEnd(), '\tchecktimeout=7', '\tnegotiatetimeout=20', '\tfailurecount=4', '\tcheckcount=2',
  ].join('\n') + '\n');
  const e = c.virtuals.map((v) => effective(c, v));
  t.same([e[0]!.checktimeout, e[0]!.negotiatetimeout], [10, 10], 'a virtual negotiatetimeout beats the global checktimeout');
  t.same([e[1]!.checktimeout, e[1]!.negotiatetimeout], [3, 3], 'the global checktimeout is the negotiate default too');
  t.same([e[2]!.checktimeout, e[2]!.negotiatetimeout, e[2]!.failurecount, e[2]!.checkcount], [7, 20, 4, 2]);
  const g = await cf('negotiatetimeout=12\nvirtual=127.0.0.1:80\n' + R);
  t.same([effective(g, g.virtuals[0]!).checktimeout, effective(g, g.virtuals[0]!).negotiatetimeout], [12, 12]);
  t.same(g.global, { negotiatetimeout: 12 }, 'globals stay apart from the virtual overrides');
});

t.test('ranges', async (t) => {
  const c = await cf('virtual=127.0.0.1:80\n\treal=127.0.0.254->127.0.1.2:8080 masq 3\n\treal=127.0.0.9->127.0.0.9 gate\n');
  const reals = c.virtuals[0]!.reals;
  t.same(reals.map((r) => `${r.address}:${r.port}/${r.forward}/${r.weight}@${r.source.line}`), [
    '127.0.0.254:8080/masq/3@2', '127.0.0.255:8080/masq/3@2', '127.0.1.0:8080/masq/3@2', '127.0.1.1:8080/masq/3@2', '127.0.1.2:8080/masq/3@2',
    '127.0.0.9:0/gate/1@3',
  ]);
  const big = await configError(t, cf('virtual=127.0.0.1:80\n\treal=10.0.0.0->10.2.0.0:80 gate\n'));
  t.equal(big?.line, 2);
  t.match(big?.detail, /has 131073 addresses; lvsd accepts at most 65536/);
  const hosts = await cf('virtual=127.0.0.1:80\n\treal=localhost->127.0.0.3:80 gate\n');
  t.equal(hosts.virtuals[0]!.reals.length, 3, 'host names at both ends are resolved first');
});

t.test('IPv6', async (t) => {
  const c = await cf('virtual6=[2001:DB8::0:1]:80\n\treal6=[2001:db8:0:0:1:0:0:1]:8080 masq 2\n\tfallback6=[::1] gate\nfallback6=[::1]:81 masq\n');
  const v = c.virtuals[0]!;
  t.match(v, { family: 6, address: '2001:db8::1', port: 80, protocol: 'tcp', service: 'http' });
  t.match(v.reals[0], { address: '2001:db8::1:0:0:1', family: 6, port: 8080, forward: 'masq', weight: 2 });
  t.match(v.fallback, { address: '::1', family: 6, forward: 'gate' });
  t.equal(v.fallback!.port, undefined, 'no port: the virtual\'s');
  t.match(c.global.fallback6, { address: '::1', port: 81, forward: 'masq', family: 6 });
  t.equal(virtualId(v), 'tcp:[2001:db8::1]:80');
  t.same(effective(c, v).fallback, v.fallback, 'the virtual fallback wins');
  const f6 = await cf('virtual6=5\n\treal6=[::2] gate\n');
  t.match(f6.virtuals[0], { family: 6, protocol: 'fwm', fwmark: 5, port: 0, service: 'none' });
  t.equal(virtualId(f6.virtuals[0]!), 'fwm6:5');
});

t.test('fwmark', async (t) => {
  const c = await cf('fallback=127.0.0.1:80\nvirtual=100\n\treal=127.0.0.2 gate\n\treal=127.0.0.3:8080 gate\n\tservice=http\n\tcheckport=80\n');
  const v = c.virtuals[0]!;
  t.match(v, { protocol: 'fwm', fwmark: 100, port: 0, service: 'http', checkport: 80 });
  t.equal(v.address, undefined);
  t.same(v.reals.map((r) => r.port), [0, 8080]);
  t.match(effective(c, v).fallback, { address: '127.0.0.1', port: 80 });
});

t.test('host names are resolved at load time (localhost only)', async (t) => {
  const c = await cf('fallback=localhost\nvirtual=localhost:http\n\treal=localhost:http gate\n\tfallback=localhost:https gate\n');
  const v = c.virtuals[0]!;
  t.match(v, { address: '127.0.0.1', port: 80, service: 'http' });
  t.match(v.reals[0], { address: '127.0.0.1', port: 80 });
  t.match(v.fallback, { address: '127.0.0.1', port: 443 });
  t.match(c.global.fallback, { address: '127.0.0.1' });
  t.equal(c.global.fallback!.port, undefined);
  // localhost as IPv6: whatever getaddrinfo says on this machine, lvsd follows it.
  const v6 = await lookup('localhost', { family: 6 }).then((a) => a.address, () => undefined);
  const p = cf('virtual6=localhost:80\n\treal6=[::1]:80 gate\n');
  if (v6) t.equal((await p).virtuals[0]!.address, v6);
  else t.match((await configError(t, p))?.detail, /cannot resolve "localhost" to an IPv6 address/);
});

t.test('per-real options', async (t) => {
  const c = await cf([
    'virtual=127.0.0.1:80',
    '\treal=127.0.0.2:80 gate 5 "check", "Test (Page|Site)" l:10 u:200',
    '\treal=127.0.0.3:80 ipip 0 "http://127.0.0.1/x" "ok"',
    '\treal=127.0.0.4:80 masq u:7',
    '\treal=127.0.0.5:80 masq 2 "/a", ""',
  ].join('\n') + '\n');
  const [a, b, d, e] = c.virtuals[0]!.reals;
  t.match(a, { forward: 'gate', weight: 5, request: '/check', receive: 'Test (Page|Site)', lower: 10, upper: 200 });
  t.match(b, { forward: 'ipip', weight: 0, request: '/http://127.0.0.1/x', receive: 'ok' });
  t.match(d, { forward: 'masq', weight: 1, lower: 0, upper: 7 });
  t.equal(d!.request, undefined);
  t.match(e, { request: '/a', receive: '' });
});

t.test('ignored text in real options is reported', async (t) => {
  const c = await cf('virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate "/a", "b" 5\n');
  t.match(c.virtuals[0]!.reals[0], { weight: 5 });
  t.equal(c.virtuals[0]!.reals[0]!.request, undefined, 'ldirectord drops a request written before the weight');
  t.match(c.warnings, [{ line: 2, message: /"\\"\/a\\", \\"b\\"" before the weight is ignored/ }]);
});

t.test('order-dependent login defaults for ftp and sip', async (t) => {
  const host = process.env.HOSTNAME ?? hostname();
  const c = await cf([
    'virtual=127.0.0.1:2121', R.trimEnd(), '\tservice=ftp',
    'virtual=127.0.0.1:2122', R.trimEnd(), '\tlogin="me"', '\tservice=ftp',
    'virtual=127.0.0.1:2123', R.trimEnd(), '\tservice=ftp', '\tpasswd="pw"',
    'virtual=127.0.0.1:21', R.trimEnd(),
    'virtual=127.0.0.1:5061', R.trimEnd(), '\tservice=sip',
  ].join('\n') + '\n');
  t.same(c.virtuals.map((v) => [v.login, v.passwd]), [
    ['anonymous', `ldirectord@${host}`], ['me', `ldirectord@${host}`], ['anonymous', 'pw'], ['', ''], [`ldirectord@${host}`, ''],
  ]);
});

t.test('value forms', async (t) => {
  const c = await cf([
    'emailalert="a@example.org, b@example.org"', 'emailalertstatus=starting , reloading', 'execute=a.cf', 'execute=b.cf', 'execute=a.cf',
    'fallbackcommand="/usr/bin/sorry"', 'supervised=no', 'emailalertfreq=0',
    'virtual=127.0.0.1:80', R.trimEnd(), '\tchecktype=4', '\thttpmethod=head', '\tvirtualhost="www.example.org"',
    '\tload="snmp extra"', '\tcheckcommand="/bin/check"', '\tfallbackcommand="/bin/cmd arg"', '\temailalertstatus=all',
    '\temailalertstatus=none', '\tscheduler=  lblc', '\trequest="status"', '\tservicename=', '\tcomment=a # b',
  ].join('\n') + '\n');
  t.same(c.global.emailalert, ['a@example.org', 'b@example.org']);
  t.same(c.global.emailalertstatus, ['starting', 'reloading']);
  t.same(c.global.execute, ['b.cf', 'a.cf']);
  t.equal(c.global.fallbackcommand, '"/usr/bin/sorry"', 'quotes are kept at global level');
  t.equal(c.global.emailalertfreq, 0);
  const v = c.virtuals[0]!;
  t.match(v, { checktype: 'combined', negotiateEvery: 4, httpmethod: 'HEAD', virtualhost: 'www.example.org', load: 'snmp', checkcommand: '/bin/check', scheduler: 'lblc', request: '/status', servicename: '', comment: 'a ' });
  t.same(v.overrides, { fallbackcommand: '/bin/cmd arg', emailalertstatus: [] });
});

t.test('CRLF files', async (t) => {
  const c = await cf('checktimeout=4\r\nvirtual=127.0.0.1:80\r\n\treal=127.0.0.2:80 gate\r\n\tservice=http\r\n\tchecktype=negotiate\r\n\r\n');
  t.match(c.virtuals[0], { service: 'http', checktype: 'negotiate' });
  t.equal(c.global.checktimeout, 4);
});

t.test('ipvsdriver and ipvsadm: lvsd globals in both formats', async (t) => {
  t.same((await cf('ipvsdriver=auto\nipvsadm=/opt/ipvsadm\n')).global, { ipvsdriver: 'auto', ipvsadm: '/opt/ipvsadm' });
  t.same((await yaml('ipvsdriver: netlink\nipvsadm: /opt/ipvsadm\n')).global, { ipvsdriver: 'netlink', ipvsadm: '/opt/ipvsadm' });
  const e = await configError(t, yaml('checkinterval: 5\nipvsdriver: kernel\n', '/test/lvsd.yaml'));
  t.match(e?.message, /^\/test\/lvsd\.yaml:2: ipvsdriver must be one of ipvsadm, netlink, auto/);
  const inSection = await configError(t, cf('virtual=127.0.0.1:80\n' + R + '\tipvsadm=/opt/ipvsadm\n'));
  t.match(inSection?.message, /:3: ipvsadm is a global directive/);
});

t.test('sslverify is an lvsd global', async (t) => {
  t.equal((await cf('sslverify=yes\n')).global.sslverify, true);
  t.equal((await cf('sslverify=no\n')).global.sslverify, false);
  const e = await configError(t, cf('virtual=127.0.0.1:80\n' + R + '\tsslverify=yes\n'));
  t.match(e?.detail, /sslverify is a global directive/);
});
