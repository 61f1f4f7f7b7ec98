// sd_notify through real datagram sockets this test binds as NOTIFY_SOCKET: a filesystem
// path (unix-dgram, from this process) and an abstract `@name` (through systemd-notify,
// received by a python3 process, since unix-dgram cannot bind abstract names either).
import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { attachNotify, watchdogInterval } from '../../src/systemd/notify.js';
import { bindReceiver, unixDgramAvailable } from '../../src/log/unix-dgram.js';
import { config, eventually, real, recordingBus, sleep, tempDir, virtual, hasCommand } from '../log/helpers.js';

const noDgram = unixDgramAvailable() ? false : 'the unix-dgram native module did not build (npm rebuild unix-dgram)';

/** Datagrams as key=value maps. */
function receiver(t: { teardown(fn: () => void): void }, path: string) {
  const got: Map<string, string>[] = [];
  const rx = bindReceiver(path, (b) => got.push(new Map(b.toString().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))));
  t.teardown(() => rx.close());
  return got;
}

t.test('READY, RELOADING with MONOTONIC_USEC, STOPPING, STATUS', { skip: noDgram }, async (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'notify');
  const got = receiver(t, sock);
  const { bus } = recordingBus();
  const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: sock };
  const n = attachNotify(bus, { alive: () => true, env });
  t.teardown(() => n.close());
  t.ok(n.enabled);
  t.equal(n.watchdogMs, 0, 'no WATCHDOG_USEC, no watchdog');
  t.notOk('NOTIFY_SOCKET' in env, 'NOTIFY_SOCKET is removed so children do not inherit it');

  const v = virtual();
  const cfg = config([v, virtual({ address: '10.0.0.2' })]);
  bus.emit('state', { state: 'starting', config: cfg });
  bus.emit('transition', { virtual: v, real: v.reals[0]!, from: 'unknown', to: 'up', failures: 0, failurecount: 1, message: 'ok', at: Date.now() });
  bus.emit('transition', { virtual: v, real: v.reals[1]!, from: 'unknown', to: 'down', failures: 1, failurecount: 1, message: 'refused', at: Date.now() });
  bus.emit('state', { state: 'running', config: cfg });
  await eventually(() => got.length >= 2, 10, 'two datagrams');
  t.same([...got[0]!], [['STATUS', 'Starting: 2 virtual services, 0/0 real servers up']]);
  t.same([...got[1]!], [['READY', '1'], ['STATUS', 'Running: 2 virtual services, 1/2 real servers up']]);

  const before = process.hrtime.bigint() / 1000n;
  bus.emit('state', { state: 'reloading', config: cfg });
  await eventually(() => got.length >= 3, 10, 'RELOADING');
  const after = process.hrtime.bigint() / 1000n;
  t.equal(got[2]!.get('RELOADING'), '1');
  const mono = BigInt(got[2]!.get('MONOTONIC_USEC') ?? '0');
  t.ok(mono >= before && mono <= after, 'MONOTONIC_USEC is CLOCK_MONOTONIC now, in µs');

  bus.emit('reload', { ok: false, file: '/etc/ha.d/t.cf', error: 'line 3:\nbad', at: Date.now() });
  bus.emit('state', { state: 'running', config: config([v]) });
  bus.emit('state', { state: 'stopping', config: config([v]) });
  await eventually(() => got.length >= 6, 10, 'three more');
  t.same([...got[3]!], [['STATUS', 'Reload failed, running the previous configuration: line 3: bad']], 'one line per value');
  t.equal(got[4]!.get('READY'), '1', 'READY again after a reload');
  t.same([...got[5]!], [['STOPPING', '1'], ['STATUS', 'Stopping: 1 virtual service, 1/2 real servers up']]);
});

t.test('STATUS follows applied rounds only when it changes', { skip: noDgram }, async (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'notify');
  const got = receiver(t, sock);
  const { bus } = recordingBus();
  const n = attachNotify(bus, { alive: () => true, env: { NOTIFY_SOCKET: sock } });
  t.teardown(() => n.close());
  const v = virtual();
  bus.emit('state', { state: 'running', config: config([v]) });
  bus.emit('applied', { changes: 0, at: Date.now() });
  bus.emit('transition', { virtual: v, real: v.reals[0]!, from: 'unknown', to: 'up', failures: 0, failurecount: 1, message: 'ok', at: Date.now() });
  bus.emit('applied', { changes: 1, at: Date.now() });
  bus.emit('applied', { changes: 0, at: Date.now() });
  await n.notify({ MARK: 1 });
  await eventually(() => got.some((m) => m.has('MARK')), 10, 'the marker');
  t.same(got.map((m) => m.get('STATUS') ?? 'MARK'), [
    'Running: 1 virtual service, 0/0 real servers up',
    'Running: 1 virtual service, 1/1 real servers up',
    'MARK',
  ]);
});

t.test('WATCHDOG=1 only while the scheduler is alive', { skip: noDgram }, async (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'notify');
  const got = receiver(t, sock);
  const { bus, logs } = recordingBus();
  let alive = true;
  const n = attachNotify(bus, {
    alive: () => alive,
    env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '200000', WATCHDOG_PID: String(process.pid) },
  });
  t.teardown(() => n.close());
  t.equal(n.watchdogMs, 100, 'half of WATCHDOG_USEC');
  const pings = () => got.filter((m) => m.get('WATCHDOG') === '1').length;
  await eventually(() => pings() >= 2, 10, 'two pings');
  alive = false;
  await eventually(() => logs.some((l) => l.message.startsWith('watchdog: the check scheduler is not alive')), 10, 'the stall log');
  const stalled = pings();
  await sleep(500); // five intervals
  t.equal(pings(), stalled, 'no ping while not alive');
  t.equal(logs.filter((l) => l.message.startsWith('watchdog:')).length, 1, 'the stall is logged once');
  alive = true;
  await eventually(() => pings() > stalled, 10, 'pings again');
});

t.test('watchdog interval rules (sd_watchdog_enabled)', async (t) => {
  t.equal(watchdogInterval({ WATCHDOG_USEC: '30000000' }, 1), 15000);
  t.equal(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '2' }, 1), 0, 'meant for another process');
  t.equal(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, 1), 15000);
  t.equal(watchdogInterval({ WATCHDOG_USEC: 'x' }, 1), 0);
  t.equal(watchdogInterval({}, 1), 0);
});

t.test('without NOTIFY_SOCKET nothing is sent and nothing fails', async (t) => {
  const { bus } = recordingBus();
  const errors: string[] = [];
  const n = attachNotify(bus, { alive: () => true, env: { WATCHDOG_USEC: '1000' }, onError: (e) => errors.push(e) });
  t.notOk(n.enabled);
  t.equal(n.watchdogMs, 0);
  bus.emit('state', { state: 'running', config: config([]) });
  await n.notify({ STATUS: 'x' });
  n.close();
  t.same(errors, []);
});

t.test('a NOTIFY_SOCKET nobody listens on is reported once', { skip: noDgram }, async (t) => {
  const dir = tempDir(t);
  const { bus } = recordingBus();
  const errors: string[] = [];
  const n = attachNotify(bus, { alive: () => true, env: { NOTIFY_SOCKET: join(dir, 'none') }, onError: (e) => errors.push(e) });
  await n.notify({ STATUS: 'a' });
  await n.notify({ STATUS: 'b' });
  n.close();
  t.equal(errors.length, 1);
  t.match(errors[0], /ENOENT/);
});

const noAbstract = !hasCommand('python3')
  ? 'python3 is needed to bind an abstract socket'
  : !hasCommand('systemd-notify')
    ? 'systemd-notify (Debian package systemd) is not installed'
    : false;

t.test('abstract NOTIFY_SOCKET (@name) through systemd-notify', { skip: noAbstract }, async (t) => {
  const name = `lvsd-test-${process.pid}-${Date.now()}`;
  // prints each datagram on one line, with the sender pid from SCM_CREDENTIALS
  const py = spawn('python3', ['-u', '-c', `
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind('\\0' + sys.argv[1])
print('bound', flush=True)
s.settimeout(20)
for _ in range(2):
    msg, anc, _f, _a = s.recvmsg(4096, 1024)
    pid = [struct.unpack('iII', d)[0] for (l, ty, d) in anc if ty == socket.SCM_CREDENTIALS]
    print(repr(msg.decode()), pid, flush=True)
`, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void py.kill());
  let out = '';
  py.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await eventually(() => out.includes('bound'), 10, 'python receiver');
  const { bus } = recordingBus();
  const errors: string[] = [];
  const n = attachNotify(bus, { alive: () => true, env: { NOTIFY_SOCKET: `@${name}` }, onError: (e) => errors.push(e) });
  t.teardown(() => n.close());
  const v = virtual({ reals: [real('10.1.1.2')] });
  bus.emit('state', { state: 'running', config: config([v]) });
  await eventually(() => out.split('\n').length >= 3, 15, 'the READY datagram');
  await n.notify({ STOPPING: 1 });
  await eventually(() => out.split('\n').length >= 4, 15, 'the STOPPING datagram');
  t.same(errors, []);
  const lines = out.trim().split('\n').slice(1);
  t.match(lines[0], /READY=1/);
  t.match(lines[0], /STATUS=Running: 1 virtual service, 0\/0 real servers up/);
  t.match(lines[1], /STOPPING=1/);
  t.match(lines[0], `MAINPID=${process.pid}`, 'systemd-notify --pid names this process');
});
