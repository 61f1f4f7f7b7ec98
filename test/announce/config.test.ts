// The announcing directives: bird=, birdroutes=, announceholddown= (global), announcethreshold=
// (per virtual); bad values name the file and line; both formats and the writers carry them.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cf, yaml, configError, comparable, scratch } from '../config/helpers.js';
import { runCli } from '../helpers/lvsd.js';
import { writeCf } from '../../src/config/write-cf.js';
import { writeYaml } from '../../src/config/write-yaml.js';

const good = ['bird=/run/bird/bird.ctl', 'birdroutes=/etc/bird/lvsd-routes.conf', 'announceholddown=10', 'virtual=192.0.2.10:80', '\treal=10.0.0.2:80 gate', '\tannouncethreshold=0.5', ''].join('\n');

t.test('parsed, and written back the same by both writers', async (t) => {
  const c = await cf(good);
  t.equal(c.global.bird, '/run/bird/bird.ctl');
  t.equal(c.global.birdroutes, '/etc/bird/lvsd-routes.conf');
  t.equal(c.global.announceholddown, 10);
  t.equal(c.virtuals[0]!.announcethreshold, 0.5);
  t.same(comparable(await cf(writeCf(c))), comparable(c), 'cf round trip');
  t.same(comparable(await yaml(writeYaml(c))), comparable(c), 'yaml round trip');
  for (const v of ['0', '1', '0.25', '.75', '1.0']) t.equal((await cf(`virtual=192.0.2.10:80\n\treal=10.0.0.2:80 gate\n\tannouncethreshold=${v}\n`)).virtuals[0]!.announcethreshold, Number(v), v);
  t.equal((await cf('announceholddown=0\n')).global.announceholddown, 0);
});

t.test('bad values are refused with the file and line', async (t) => {
  const cases: [string, RegExp][] = [
    ['bird=run/bird.ctl\n', /:1: .*bird needs an absolute path/],
    ['\nbirdroutes=relative.conf\n', /:2: .*birdroutes needs an absolute path/],
    ['announceholddown=-1\n', /:1: .*announceholddown needs a whole number from 0 to 3600/],
    ['announceholddown=4000\n', /:1: .*announceholddown must be from 0 to 3600/],
    ['virtual=192.0.2.10:80\n\treal=10.0.0.2:80 gate\n\tannouncethreshold=1.5\n', /:3: .*announcethreshold needs a fraction from 0 to 1/],
    ['virtual=192.0.2.10:80\n\treal=10.0.0.2:80 gate\n\tannouncethreshold=half\n', /:3: .*announcethreshold needs a fraction/],
    ['announcethreshold=0.5\n', /:1: .*announcethreshold/],
    ['virtual=192.0.2.10:80\n\treal=10.0.0.2:80 gate\n\tbird=/run/bird/bird.ctl\n', /:3: .*bird is a global directive/],
  ];
  for (const [text, re] of cases) {
    const e = await configError(t, cf(text));
    t.match(e?.message, re, JSON.stringify(text));
    t.match(e?.message, /\/test\/ldirectord\.cf/, 'names the file');
  }
});

t.test('a firewall-mark service has no address to announce: said as a warning', async (t) => {
  const c = await cf('virtual=7\n\treal=10.0.0.2 gate\n\tannouncethreshold=0.5\n');
  t.match(c.warnings.map((w) => w.message).join('\n'), /no effect on a firewall-mark service/);
});

t.test('lvsd -t refuses a bad value and accepts the good config', async (t) => {
  const dir = scratch(t);
  const bad = join(dir, 'bad.cf');
  writeFileSync(bad, 'checktimeout=1\nannounceholddown=soon\n');
  const r = await runCli(['-t', bad]);
  t.not(r.code, 0, 'refused');
  t.match(r.stderr + r.stdout, /bad\.cf.*:2.*announceholddown needs a whole number/s, 'names file and line');
  const ok = join(dir, 'ok.cf');
  writeFileSync(ok, good);
  t.equal((await runCli(['-t', ok])).code, 0, 'accepted');
});
