// monitorfile (spec §3.7): one line per check for each virtual with a monitorfile, in
// ldirectord's format, written to real files.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attachMonitorFiles, monitorId, monitorMessage, realIdString, type CheckUser } from '../../src/log/monitorfile.js';
import { real, recordingBus, tempDir, virtual } from './helpers.js';

const HEAD = /^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] \[4242\] /;

t.test('real id rendering matches ldirectord (spec §3.7 example)', async (t) => {
  const v = virtual({ checktype: 'negotiate', service: 'http', request: '/', receive: 'Test Page' });
  const r = real('127.0.0.12', 80);
  t.equal(realIdString(v, r), 'negotiate:http:tcp:127.0.0.12:80:::1:gate:\\/:Test\\ Page');
  t.equal(monitorId(v, r), 'negotiate http tcp 127.0.0.12 80 1 gate / Test Page');
  const ext = virtual({ checktype: 'external', checkcommand: '/usr/local/bin/check-it', checkport: 8080, virtualhost: 'www.example.com' });
  t.equal(monitorId(ext, real('10.1.1.2', 80, { weight: 5, forward: 'masq' })),
    'external /usr/local/bin/check-it tcp 10.1.1.2 80 www.example.com 8080 5 masq / Test Page');
  t.equal(monitorId(virtual({ checktype: 'connect', request: 'a:b' }), real('10.1.1.2')), 'connect tcp 10.1.1.2 80 1 gate a b Test Page',
    'a colon inside request becomes a space as well');
  t.equal(monitorMessage('a|b%c\r\nd'), 'a%7cb%25c%0d%0ad');
  t.equal(monitorMessage(''), '-');
});

t.test('a line per check for every virtual with a monitorfile', async (t) => {
  const dir = tempDir(t);
  const f1 = join(dir, 'web.monitor');
  const f2 = join(dir, 'web2.monitor');
  const r = real('127.0.0.12', 80);
  const v1 = virtual({ monitorfile: f1, reals: [r] });
  const v2 = virtual({ address: '10.0.0.2', monitorfile: f2, reals: [r] });
  const v3 = virtual({ address: '10.0.0.3', reals: [r] });
  const users = new Map<string, CheckUser[]>([['k', [v1, v2, v3].map((v) => ({ virtual: v, real: r }))]]);
  const { bus } = recordingBus();
  const m = attachMonitorFiles(bus, {
    pid: 4242,
    usersOf: (key) => {
      const u = users.get(key);
      if (!u) throw new Error('unknown key');
      return u;
    },
  });
  bus.emit('check', { key: 'k', result: { ok: false, message: '500 Timeout Alarm' }, latencyMs: 5, at: Date.now() });
  bus.emit('check', { key: 'gone', result: { ok: true, message: 'x' }, latencyMs: 5, at: Date.now() });
  bus.emit('check', { key: 'k', result: { ok: true, message: '' }, latencyMs: 5, at: Date.now() });
  m.close();
  bus.emit('check', { key: 'k', result: { ok: true, message: 'after close' }, latencyMs: 5, at: Date.now() });
  for (const f of [f1, f2]) {
    const lines = readFileSync(f, 'utf8').split('\n').filter(Boolean);
    t.equal(lines.length, 2, f);
    t.match(lines[0], HEAD);
    t.equal(lines[0]!.replace(HEAD, ''), 'negotiate http tcp 127.0.0.12 80 1 gate / Test Page [down] 500 Timeout Alarm');
    t.equal(lines[1]!.replace(HEAD, ''), 'negotiate http tcp 127.0.0.12 80 1 gate / Test Page [up] -');
  }
});

t.test('an unwritable monitorfile is reported once and checking goes on', async (t) => {
  const r = real('10.1.1.2');
  const v = virtual({ monitorfile: '/dev/full', reals: [r] });
  const errors: string[] = [];
  const { bus } = recordingBus();
  const m = attachMonitorFiles(bus, { usersOf: () => [{ virtual: v, real: r }], onError: (e) => errors.push(e) });
  for (let i = 0; i < 3; i++) bus.emit('check', { key: 'k', result: { ok: true, message: 'ok' }, latencyMs: 1, at: Date.now() });
  m.close();
  t.same(errors, ["Error writing to monitorfile '/dev/full': ENOSPC"]);
});
