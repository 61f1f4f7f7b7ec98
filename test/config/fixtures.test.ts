// The real-world corpus: stock results (spec §8), what the models contain, and the round
// trips cf → model → YAML → model and cf → model → cf → model for every config that parses
// (the fixtures and every accepted case of ./cases.ts).
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatConfig, loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/model.js';
import { CASES } from './cases.js';
import { cf, comparable, configError, scratch, yaml } from './helpers.js';

const DIR = join(import.meta.dirname, '../fixtures/configs');
const fixture = (name: string): string => join(DIR, name);

t.test('stock results', async (t) => {
  const vm = await configError(t, loadConfig(fixture('vincentmli_lvsadm_ldirectord.cf')));
  t.equal(vm?.line, 7);
  t.match(vm?.detail, /"\[vip\]": INI-style section headers/);
  t.equal(vm?.file, fixture('vincentmli_lvsadm_ldirectord.cf'));
  const hg = await configError(t, loadConfig(fixture('hggh_graylog2-ldirectord_README_ldirectord.cf')));
  t.equal(hg?.line, 1);
  t.match(hg?.detail, /virtual= must start at column 0/);
  // de-indented, the graylog2 block parses (spec §8)
  const text = readFileSync(fixture('hggh_graylog2-ldirectord_README_ldirectord.cf'), 'utf8').replace(/^ {3}/gm, '');
  const c = await cf(text);
  t.match(c.virtuals[0], { protocol: 'udp', port: 12201, checktype: 'external-perl', checkcommand: '/usr/local/bin/graylog2-ldirectord', scheduler: 'rr', service: 'none' });
});

t.test('debian sample', async (t) => {
  const c = await loadConfig(fixture('debian_ldirectord_examples_ldirectord.cf'));
  t.equal(c.file, fixture('debian_ldirectord_examples_ldirectord.cf'));
  t.equal(c.format, 'cf');
  t.same(c.global, { checktimeout: 3, checkinterval: 1, autoreload: true, quiescent: false });
  t.equal(c.virtuals.length, 1);
  const v = c.virtuals[0]!;
  t.match(v, {
    source: { line: 25 }, family: 4, protocol: 'tcp', address: '192.168.6.240', port: 80, service: 'http', scheduler: 'rr',
    checktype: 'negotiate', checkport: 80, request: '/index.html', receive: 'Test Page', virtualhost: 'www.x.y.z',
    servicename: 'Web Site', comment: 'Test load balanced web site',
    fallback: { address: '127.0.0.1', port: 80, forward: 'gate', family: 4, source: { line: 31 } },
  });
  t.same(v.reals.map((r) => `${r.address}:${r.port} ${r.forward} ${r.weight} @${r.source.line}`), [
    '192.168.6.2:80 gate 1 @28', '192.168.6.3:80 gate 1 @29', '192.168.6.6:80 gate 1 @30',
  ]);
  t.same(c.warnings, []);
});

t.test('other fixtures', async (t) => {
  const k8s = await loadConfig(fixture('ghik_kubernetes-the-harder-way_setupgateway_ldirectord.cf'));
  t.match(k8s.global, { checktimeout: 5, checkinterval: 1, autoreload: true, quiescent: true });
  t.match(k8s.virtuals[0], { port: 6443, service: 'https', request: '/healthz', receive: 'ok', servicename: 'kubernetes', scheduler: 'wrr' });
  t.equal(k8s.virtuals[0]!.reals.length, 3);

  const ld = await loadConfig(fixture('wjesus374_ldirectord_manager_ld.cf'));
  t.match(ld.global, { checktimeout: 3, checkinterval: 15, autoreload: true, quiescent: false, logfile: '/var/log/ldirectord/ldirectord.log' });
  t.same(ld.virtuals.map((v) => [v.address, v.port, v.checktype, v.checkcommand, v.overrides.negotiatetimeout, v.service]), [
    ['192.168.1.0', 22, 'external', '/opt/check.sh', 10, 'none'],
    ['192.168.2.0', 22, 'external', '/opt/check.sh', 10, 'none'],
  ]);
  t.same(ld.virtuals[0]!.reals.map((r) => [r.forward, r.weight]), [['masq', 2], ['masq', 2]]);

  const db = await loadConfig(fixture('wjesus374_ldirectord_manager_ldirectord-mariadb.cf'));
  t.match(db.virtuals[0], {
    service: 'mysql', login: 'monetiq', passwd: 'monetiq', database: 'rft', request: '/SELECT us_login FROM user_session LIMIT 1',
    netmask: '255.255.255.255', scheduler: 'wlc',
  });
  t.equal(db.virtuals[0]!.persistent, undefined, 'netmask without persistent stays as it is');
});

async function roundTrips(t: Test, name: string, c: Config): Promise<void> {
  const asYaml = formatConfig(c, 'yaml');
  const viaYaml = await yaml(asYaml, '/rt.yaml');
  t.same(comparable(viaYaml), comparable(c), `${name}: cf → model → YAML → model`);
  const asCf = formatConfig(c, 'cf');
  const viaCf = await cf(asCf, '/rt.cf');
  t.same(comparable(viaCf), comparable(c), `${name}: cf → model → cf → model`);
  t.equal(formatConfig(viaCf, 'cf').split('\n').slice(1).join('\n'), asCf.split('\n').slice(1).join('\n'), `${name}: writing is stable`);
}

t.test('round trips of every config that parses', async (t) => {
  const tmp = scratch(t);
  let n = 0;
  for (const f of ['debian_ldirectord_examples_ldirectord.cf', 'ghik_kubernetes-the-harder-way_setupgateway_ldirectord.cf', 'wjesus374_ldirectord_manager_ld.cf', 'wjesus374_ldirectord_manager_ldirectord-mariadb.cf']) {
    await roundTrips(t, f, await loadConfig(fixture(f)));
    n++;
  }
  for (const c of CASES) {
    if (c.error) continue;
    await roundTrips(t, c.name, await cf(c.text.replaceAll('{{TMP}}', tmp)));
    n++;
  }
  t.comment(`${n} configs round-tripped`);
});
