// The pure parts of operator overrides: the command's words, the reals they name in a config,
// the state with its weight stage and forced health, pruning after a reload, and the state file.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { parseConfigText } from '../../src/config/load.js';
import { bindingsOf } from '../../src/health/targets.js';
import { desiredTable } from '../../src/table/desired.js';
import { Overrides } from '../../src/table/override.js';
import { parseOverride, resolveOverride, type OverrideRequest } from '../../src/table/override-command.js';
import { readOverrideFile, writeOverrideFile, defaultOverrideFile } from '../../src/daemon/override-file.js';
import { TempDir } from '../helpers/lvsd.js';

const TEXT = [
  'virtual=10.0.0.1:80',
  '\treal=10.0.1.1:80 masq 4',
  '\treal=10.0.1.2:80 masq 2',
  '\treal=10.0.1.1:8080 masq 1',
  '',
  'virtual=10.0.0.1:53',
  '\treal=10.0.1.1:53 gate 3',
  '\tprotocol=udp',
  '\tchecktype=off',
  '',
  'virtual=7',
  '\treal=10.0.1.1 gate 5',
  '',
  'virtual6=[2001:db8::1]:443',
  '\treal6=[2001:db8::10]:443 masq 2',
  '',
].join('\n');

const names = (r: ReturnType<typeof resolveOverride>) => (typeof r === 'string' ? r : r.map((x) => `${x.virtualId} ${x.realId}`));
const req = (words: string) => parseOverride(words.split(' ')) as OverrideRequest;

t.test('the words', async (t) => {
  t.same(parseOverride(['disable', '10.0.1.1:80']), { verb: 'disable', virtual: undefined, real: '10.0.1.1:80' });
  t.same(parseOverride(['drain', '10.0.0.1:80', '10.0.1.1:80']), { verb: 'drain', virtual: '10.0.0.1:80', real: '10.0.1.1:80' });
  t.same(parseOverride(['weight', '10.0.1.1:80', '0']), { verb: 'weight', virtual: undefined, real: '10.0.1.1:80', weight: 0 });
  t.same(parseOverride(['weight', 'fwm:7', '10.0.1.1', '3']), { verb: 'weight', virtual: 'fwm:7', real: '10.0.1.1', weight: 3 });
  t.match(parseOverride(['weight', '10.0.1.1:80', '-1']), /whole number from 0 to 65535, got "-1"/);
  t.match(parseOverride(['weight', '10.0.1.1:80', '65536']), /whole number/);
  t.match(parseOverride(['weight', '10.0.1.1:80']), /usage: weight \[VIRTUAL\] REAL N/);
  t.match(parseOverride(['enable']), /usage: enable \[VIRTUAL\] REAL/);
  t.match(parseOverride(['enable', 'a', 'b', 'c']), /usage: enable/);
  t.match(parseOverride(['remove', 'x']), /unknown override command "remove"/);
});

t.test('the reals they name', async (t) => {
  const cfg = await parseConfigText(TEXT, '/t/x.cf', 'cf');
  t.same(names(resolveOverride(cfg, req('disable 10.0.1.1:80'))), ['tcp:10.0.0.1:80 10.0.1.1:80'], 'REAL with its port: that port only');
  t.same(names(resolveOverride(cfg, req('disable 10.0.1.1'))), ['tcp:10.0.0.1:80 10.0.1.1:80', 'tcp:10.0.0.1:80 10.0.1.1:8080', 'udp:10.0.0.1:53 10.0.1.1:53', 'fwm:7 10.0.1.1:0'], 'a bare address: every port, every virtual');
  t.same(names(resolveOverride(cfg, req('disable 10.0.0.1:80 10.0.1.1'))), ['tcp:10.0.0.1:80 10.0.1.1:80', 'tcp:10.0.0.1:80 10.0.1.1:8080'], 'VIRTUAL as status labels it');
  t.same(names(resolveOverride(cfg, req('drain udp:10.0.0.1:53 10.0.1.1:53'))), ['udp:10.0.0.1:53 10.0.1.1:53'], 'VIRTUAL with its protocol');
  t.same(names(resolveOverride(cfg, req('drain 7 10.0.1.1'))), ['fwm:7 10.0.1.1:0'], 'a firewall mark');
  t.same(names(resolveOverride(cfg, req('drain [2001:DB8::1]:443 [2001:db8::10]'))), ['tcp:[2001:db8::1]:443 [2001:db8::10]:443'], 'IPv6, any case, brackets on a bare address');
  t.equal(resolveOverride(cfg, req('drain 10.0.0.9:80 10.0.1.1')), 'no virtual service "10.0.0.9:80" in /t/x.cf (it has: tcp:10.0.0.1:80, udp:10.0.0.1:53, fwm:7, tcp:[2001:db8::1]:443)');
  t.equal(resolveOverride(cfg, req('drain 10.0.0.1:80 10.0.1.9')), 'no real server "10.0.1.9" in virtual service tcp:10.0.0.1:80 of /t/x.cf (it has: 10.0.1.1:80, 10.0.1.2:80, 10.0.1.1:8080)');
  t.equal(resolveOverride(cfg, req('drain 10.0.1.9:80')), 'no real server "10.0.1.9:80" in any virtual service of /t/x.cf');
});

t.test('state, weight stage, forced health, prune', async (t) => {
  const cfg = await parseConfigText(TEXT, '/t/x.cf', 'cf');
  const bindings = bindingsOf(cfg).filter((b) => b.virtual === cfg.virtuals[0]);
  const o = new Overrides();
  o.set({ virtual: 'tcp:10.0.0.1:80', real: '10.0.1.1:80', action: 'weight', weight: 3, at: 1 });
  o.set({ virtual: 'tcp:10.0.0.1:80', real: '10.0.1.2:80', action: 'drain', at: 1 });
  o.set({ virtual: 'tcp:10.0.0.1:80', real: '10.0.1.1:8080', action: 'disable', at: 1 });
  const health = (b: (typeof bindings)[number]) => o.health(b, 'up');
  const table = desiredTable(cfg, bindings, health, [o.stage])[0]!;
  t.same(table.dests.map((d) => `${d.address}:${d.port}=${d.weight}`), ['10.0.1.1:80=3', '10.0.1.2:80=0'], 'weight N, drain 0, disabled out (quiescent=no)');
  o.set({ virtual: 'tcp:10.0.0.1:80', real: '10.0.1.1:80', action: 'weight', weight: 9, at: 2 });
  t.equal(desiredTable(cfg, bindings, health, [o.stage])[0]!.dests[0]!.weight, 4, 'clamped to the configured weight (a reload that lowered it)');
  t.equal(o.health(bindings[2]!, 'unknown'), 'down', 'disabled before its first check: down all the same');
  t.equal(o.health(bindings[0]!, 'down'), 'down', 'other overrides never raise health');
  t.same(o.clear('tcp:10.0.0.1:80', '10.0.1.2:80')?.action, 'drain');
  t.equal(o.clear('tcp:10.0.0.1:80', '10.0.1.2:80'), undefined);
  o.set({ virtual: 'tcp:10.0.0.1:80', real: '10.0.1.5:80', action: 'drain', at: 3 });
  t.same(o.prune(cfg).map((x) => x.real), ['10.0.1.5:80'], 'a real the config does not have is dropped');
  t.same(o.all().map((x) => x.real).sort(), ['10.0.1.1:80', '10.0.1.1:8080']);
});

t.test('the state file', async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  t.equal(defaultOverrideFile('/run/lvsd.web.cf.pid'), '/run/lvsd.web.cf.overrides');
  t.equal(defaultOverrideFile('/run/lvsd'), '/run/lvsd.overrides');
  const f = dir.file('x.overrides');
  t.same(readOverrideFile(f), [], 'no file: none');
  const list = [
    { virtual: 'tcp:10.0.0.1:80', real: '10.0.1.1:80', action: 'weight' as const, weight: 2, at: 5 },
    { virtual: 'fwm:7', real: '10.0.1.1:0', action: 'disable' as const, at: 6 },
  ];
  writeOverrideFile(f, list);
  t.same(readOverrideFile(f), list, 'what was written is read');
  writeFileSync(f, JSON.stringify({ overrides: [{ virtual: 'a', real: 'b', action: 'explode' }, { virtual: 'a', real: 'b', action: 'weight', weight: -1 }, { virtual: 'a', real: 'b', action: 'drain', at: 7 }] }));
  t.same(readOverrideFile(f), [{ virtual: 'a', real: 'b', action: 'drain', at: 7 }], 'entries that do not fit are skipped');
  writeFileSync(f, '{"overrides": [');
  t.throws(() => readOverrideFile(f), 'a torn file is an error (the daemon logs it and starts with none)');
  writeFileSync(f, '{}');
  t.throws(() => readOverrideFile(f), /no "overrides" list/);
});
