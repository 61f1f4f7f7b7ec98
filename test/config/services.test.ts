// getservbyname over /etc/services (or the built-in table) and the address helpers.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getservbyname, ldGetservbyname, parseServicesFile, setServicesFile } from '../../src/config/services.js';
import { canonicalIPv6, inetAtonValid, intToIpv4, ipv4ToInt, literalAddress, resolveHost } from '../../src/config/resolve.js';
import { scratch } from './helpers.js';

t.test('getservbyname semantics', (t) => {
  const dir = scratch(t);
  const file = join(dir, 'services');
  writeFileSync(file, '# comment\nhttp\t\t80/tcp\t\twww # web\nfoo 1000/udp\nfoo 1001/tcp bar\nbad line\n\n');
  t.teardown(() => setServicesFile(undefined));
  setServicesFile(file);
  t.equal(getservbyname('http', 'tcp'), 80);
  t.equal(getservbyname('www', 'tcp'), 80, 'aliases');
  t.equal(getservbyname('http', 'udp'), undefined, 'protocol must match');
  t.equal(getservbyname('foo', ''), 1000, 'any protocol: the first entry');
  t.equal(getservbyname('bar', ''), 1001);
  t.same(ldGetservbyname('0080', 'tcp'), { port: 80, text: '0080' }, 'digits are kept as written');
  t.same(ldGetservbyname('65535', 'tcp'), { port: 65535, text: '65535' });
  t.equal(ldGetservbyname('65536', 'tcp'), undefined);
  t.same(ldGetservbyname('www', 'tcp'), { port: 80, text: '80' });
  setServicesFile(join(dir, 'missing'));
  t.equal(getservbyname('https', 'tcp'), 443, 'built-in table without /etc/services');
  t.equal(getservbyname('domain', 'udp'), 53);
  t.equal(parseServicesFile('x 1/tcp\ny 2/udp z\n').length, 2);
  t.end();
});

t.test('address helpers', async (t) => {
  t.equal(canonicalIPv6('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  t.equal(canonicalIPv6('fe80::0:1%eth0'), 'fe80::1%eth0', 'the zone is kept');
  t.equal(literalAddress('::1', 4), undefined, 'family must match');
  t.equal(literalAddress('127.0.0.1', 6), undefined);
  t.equal(literalAddress('127.0.0.1', 4), '127.0.0.1');
  t.equal(await resolveHost('', 4), '127.0.0.1', 'an empty name is loopback, as with glibc');
  t.equal(await resolveHost('[::1]', 6), '::1', 'brackets are stripped');
  t.equal(await resolveHost('127.0.0.1', 6), undefined, 'no v4 answer for a v6 lookup');
  t.equal(await resolveHost('5060', 4), '0.0.19.196', 'inet_aton forms, as ldirectord resolves them');
  t.equal(await resolveHost('localhost', 4), '127.0.0.1');
  t.equal(await resolveHost('no..such', 4), undefined);
  t.equal(await resolveHost('1.2.3', 4), '1.2.0.3');
  t.equal(await resolveHost('010.1', 4), '8.0.0.1', 'octal parts');
  t.equal(await resolveHost('192.168.1.300', 4), undefined, 'no DNS query for a numeric typo');
  t.equal(await resolveHost('1.2.3.4.5', 4), undefined);
  t.equal(await resolveHost('09.1.1.1', 4), undefined);
  for (const [n, ok] of [['4294967295', true], ['4294967296', false], ['1.16777215', true], ['1.16777216', false], ['1.2.65535', true], ['1.2.65536', false], ['1..2', false]] as const) {
    t.equal(inetAtonValid(n), ok, `inet_aton ${n}`);
  }
  t.equal(ipv4ToInt('255.255.255.255'), 4294967295);
  t.equal(intToIpv4(ipv4ToInt('10.1.2.3') + 253), '10.1.3.0');
});
