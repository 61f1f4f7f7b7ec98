// statushttp= (lvsd extension): accepted forms in both front ends, refusals with the line,
// global only, and written back by both writers.
import t from 'tap';
import { parseListenAddress } from '../../src/config/directives.js';
import { formatConfig } from '../../src/config/load.js';
import { cf, configError, yaml, comparable } from '../config/helpers.js';

const V = 'virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate\n';

t.test('accepted forms', (t) => {
  t.same(parseListenAddress('127.0.0.1:9101'), { host: '127.0.0.1', port: 9101 });
  t.same(parseListenAddress('9101'), { host: '127.0.0.1', port: 9101 }, 'a bare port binds loopback');
  t.same(parseListenAddress('0.0.0.0:80'), { host: '0.0.0.0', port: 80 }, 'all addresses only when told');
  t.same(parseListenAddress('[::1]:9101'), { host: '::1', port: 9101 });
  t.same(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 }, 'port 0: any free port');
  t.end();
});

t.test('refused forms', (t) => {
  for (const bad of ['', 'localhost:9101', '::1:9101', '[127.0.0.1]:80', '127.0.0.1:', '127.0.0.1:65536', '127.0.0.1:80 ', 'yes', '1.2.3:80']) {
    t.type(parseListenAddress(bad), 'string', JSON.stringify(bad));
  }
  t.end();
});

t.test('ldirectord.cf: global directive, in the model', async (t) => {
  const c = await cf(`statushttp=127.0.0.1:9101\n${V}`);
  t.same(c.global.statushttp, { host: '127.0.0.1', port: 9101 });
  t.equal((await cf(V)).global.statushttp, undefined, 'off unless given');
  const e = await configError(t, cf('checktimeout=3\nstatushttp=localhost:9101\n'));
  t.equal(e?.line, 2);
  t.match(e?.detail, /statushttp needs ADDR:PORT with a literal IP address/);
  const inside = await configError(t, cf(`${V}\tstatushttp=127.0.0.1:9101\n`));
  t.match(inside?.detail, /statushttp is a global directive/);
});

t.test('YAML: same model, errors with the YAML line', async (t) => {
  const y = await yaml('statushttp: 127.0.0.1:9101\nvirtuals:\n  - virtual: 127.0.0.1:80\n    real: 127.0.0.2:80 gate\n');
  t.same(comparable(y), comparable(await cf(`statushttp=127.0.0.1:9101\n${V}`)));
  t.same((await yaml('statushttp: 9101\n')).global.statushttp, { host: '127.0.0.1', port: 9101 });
  t.same((await yaml('statushttp: "[::1]:9101"\n')).global.statushttp, { host: '::1', port: 9101 });
  const e = await configError(t, yaml('checkinterval: 2\nstatushttp: nowhere\n'));
  t.equal(e?.line, 2);
  const inside = await configError(t, yaml('virtuals:\n  - virtual: 127.0.0.1:80\n    statushttp: 9101\n'));
  t.match(inside?.detail, /statushttp is a global directive/);
});

t.test('both writers keep it; the cf writer marks it as an lvsd extension', async (t) => {
  const c = await cf(`statushttp=[::1]:9101\n${V}`);
  const text = formatConfig(c, 'cf');
  t.match(text, /# lvsd extension.*\nstatushttp=\[::1\]:9101\n/);
  t.same(comparable(await cf(text)), comparable(c), 'cf round trip');
  t.same(comparable(await yaml(formatConfig(c, 'yaml'))), comparable(c), 'yaml round trip');
});
