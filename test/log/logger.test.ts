// The daemon log: ldirectord's line formats, real files (rename, removal, reopen, a full
// disk), syslog through a datagram socket this test binds, stdout/stderr modes.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, mkdirSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachLogger, createLogger } from '../../src/log/logger.js';
import { ctime, oneLine } from '../../src/log/text.js';
import { bindReceiver, unixDgramAvailable } from '../../src/log/unix-dgram.js';
import { facilityCode } from '../../src/log/syslog.js';
import type { DaemonEvents } from '../../src/events/index.js';
import { capture, eventually, real, recordingBus, tempDir, virtual } from './helpers.js';

const LINE = /^\[(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123]\d \d\d:\d\d:\d\d \d{4}\|t\.cf\|4242\] (.*)$/;

function ipvsEvent(message: string): DaemonEvents['ipvs'][0] {
  const v = virtual();
  return {
    kind: 'deleted-real',
    change: { op: 'del-dest', service: { protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 }, address: '10.1.1.2', port: 80 },
    virtual: v,
    message,
    subject: '10.1.1.2:80 (10.0.0.1:80)',
    at: Date.now(),
  };
}

const fileLines = (p: string) => readFileSync(p, 'utf8').split('\n').filter(Boolean);

t.test('ctime is Perl scalar localtime (checked against perl itself)', async (t) => {
  for (const epoch of [1699000000, 1700000000, 1767225600, 1798761599]) {
    const perl = execFileSync('perl', ['-e', 'print scalar localtime(shift)', String(epoch)], { encoding: 'utf8' });
    t.equal(ctime(new Date(epoch * 1000)), perl, `epoch ${epoch}`);
  }
  t.match(ctime(new Date(2026, 10, 3, 7, 27, 17)), /^Tue Nov {2}3 07:27:17 2026$/, 'day of month space-padded');
});

t.test('oneLine keeps a line a line', async (t) => {
  t.equal(oneLine('a\n'), 'a', 'chomp');
  t.equal(oneLine('a\nb\r\x1b[31m'), 'a\\nb\\r\\x1b[31m', 'embedded newline and escape made visible');
  t.equal(oneLine('tab\tok'), 'tab\tok');
});

t.test('log file: ldirectord line format, event texts', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ldirectord.log');
  const { bus } = recordingBus();
  const err = capture();
  const log = attachLogger(bus, { logfile: file, cfgname: 't.cf', pid: 4242, stderr: err.stream });
  t.same(log.targets, [`file:${file}`]);
  const v = virtual();
  const r = real('10.1.1.2');
  bus.emit('ipvs', ipvsEvent('Deleted real server: 10.1.1.2:80 (10.0.0.1:80)'));
  bus.emit('softfail', { virtual: v, real: r, failures: 1, failurecount: 3, message: 'Connection refused' });
  bus.emit('softreset', { virtual: v, real: r });
  bus.emit('log', { level: 'debug', message: 'not at info level' });
  bus.emit('log', { level: 'error', message: 'two\nlines' });
  bus.emit('reload', { ok: false, file: '/etc/ha.d/t.cf', error: 'line 3: bad', at: Date.now() });
  await log.close();
  const lines = fileLines(file);
  const msgs = lines.map((l) => LINE.exec(l)?.[3]);
  t.same(msgs, [
    'Deleted real server: 10.1.1.2:80 (10.0.0.1:80)',
    'Soft failure real server: 10.1.1.2:80 (tcp:10.0.0.1:80) failure 1/3',
    'Resetting soft failure count: 10.1.1.2:80 (tcp:10.0.0.1:80)',
    'two\\nlines',
  ], 'a reload event is a debug detail (the daemon logs the reload itself)');
  t.equal(err.text(), '', 'nothing on stderr');
  bus.emit('ipvs', ipvsEvent('after close'));
  t.equal(fileLines(file).length, 4, 'closed logger is detached from the bus');
});

t.test('log file: rename is followed, reopen() reopens, removal recreates', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'lvsd.log');
  const log = createLogger({ logfile: file, cfgname: 't.cf', pid: 4242 });
  log.log('info', 'one');
  renameSync(file, `${file}.1`);
  log.log('info', 'two'); // no reopen: the changed inode is noticed
  t.same(fileLines(`${file}.1`).map((l) => LINE.exec(l)?.[3]), ['one']);
  t.same(fileLines(file).map((l) => LINE.exec(l)?.[3]), ['two']);

  renameSync(file, `${file}.2`);
  log.reopen(); // what SIGUSR1/SIGHUP does
  log.log('info', 'three');
  t.same(fileLines(file).map((l) => LINE.exec(l)?.[3]), ['three']);

  unlinkSync(file);
  log.log('info', 'four');
  t.same(fileLines(file).map((l) => LINE.exec(l)?.[3]), ['four'], 'removed file is recreated');
  await log.close();
});

t.test('log file on /dev/full: reported once, lines go to stderr, no throw', async (t) => {
  const err = capture();
  const log = createLogger({ logfile: '/dev/full', cfgname: 't.cf', pid: 1, stderr: err.stream });
  for (const m of ['a', 'b', 'c']) log.log('info', m);
  await log.close();
  const out = err.text().split('\n').filter(Boolean);
  t.equal(out.filter((l) => l.startsWith('lvsd: cannot write log file /dev/full: ENOSPC')).length, 1, 'one complaint');
  t.same(out.filter((l) => !l.startsWith('lvsd:')), ['a', 'b', 'c'], 'every line still reaches stderr');
});

/** Mount a 64 KiB tmpfs in `dir`; a reason string when this machine does not allow it. */
function mountTmpfs(dir: string): string | undefined {
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { encoding: 'utf8' });
  return m.status === 0 ? undefined : `cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): ${(m.stderr ?? m.error?.message ?? '').trim()}`;
}
const probeDir = mkdtempSync(join(tmpdir(), 'lvsd-tmpfs-probe-'));
const noTmpfs = mountTmpfs(probeDir) ?? false;
if (!noTmpfs) spawnSync('umount', [probeDir]);
rmSync(probeDir, { recursive: true, force: true });

t.test('log file on a full tmpfs: keeps going and recovers when space returns', { skip: noTmpfs }, async (t) => {
  const dir = tempDir(t);
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  const failed = mountTmpfs(mnt);
  if (failed) throw new Error(failed);
  t.teardown(() => void spawnSync('umount', [mnt]));
  const file = join(mnt, 'lvsd.log');
  const filler = join(mnt, 'filler');
  const err = capture();
  const log = createLogger({ logfile: file, cfgname: 't.cf', pid: 1, stderr: err.stream });
  log.log('info', 'before');
  // fill the file system to the last block
  try {
    writeFileSync(filler, Buffer.alloc(128 * 1024));
  } catch {
    /* ENOSPC: filled */
  }
  for (let i = 0; i < 200 && !err.text().includes('ENOSPC'); i++) log.log('info', `line ${i} ${'x'.repeat(200)}`);
  t.match(err.text(), /lvsd: cannot write log file .*: ENOSPC/, 'the full disk was reported');
  log.log('info', 'while full');
  rmSync(filler);
  log.log('info', 'after');
  await log.close();
  t.equal(err.text().split('\n').filter((l) => l.includes('cannot write log file')).length, 1, 'reported once');
  t.match(err.text(), /is writable again/);
  const lines = fileLines(file);
  t.match(lines[0], /\|t\.cf\|1\] before$/);
  t.match(lines[lines.length - 1], /^\[[^\]]+\|t\.cf\|1\] after$/, 'logging resumed in the same file, on a line of its own');
});

t.test('supervised: stdout `[ctime] message`; foreground copies a file log to stdout; -d is plain stderr', async (t) => {
  const dir = tempDir(t);
  const out = capture();
  const sup = createLogger({ cfgname: 't.cf', supervised: true, stdout: out.stream });
  sup.log('info', 'hello');
  sup.log('debug', 'hidden');
  await sup.close();
  t.match(out.text(), /^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] hello\n$/);

  const fg = capture();
  const file = join(dir, 'fg.log');
  const both = createLogger({ cfgname: 't.cf', logfile: file, foreground: true, stdout: fg.stream, pid: 4242 });
  t.same(both.targets, [`file:${file}`, 'stdout']);
  both.log('info', 'twice');
  await both.close();
  t.match(fg.text(), /\] twice\n$/);
  t.equal(LINE.exec(fileLines(file)[0]!)?.[3], 'twice');

  const err = capture();
  const dbg = createLogger({ cfgname: 't.cf', debug: true, stderr: err.stream, logfile: file });
  t.same(dbg.targets, ['stderr']);
  dbg.log('info', 'info line');
  dbg.log('debug', 'debug line');
  await dbg.close();
  t.equal(err.text(), 'info line\ndebug line\n');
});

t.test('check events are debug lines', async (t) => {
  const { bus } = recordingBus();
  const err = capture();
  const log = attachLogger(bus, { cfgname: 't.cf', debug: true, stderr: err.stream });
  bus.emit('check', { key: 'k1', result: { ok: false, message: 'Connection refused' }, latencyMs: 3.2, at: Date.now() });
  await log.close();
  t.equal(err.text(), 'Check k1: down Connection refused (3 ms)\n');
});

const noDgram = unixDgramAvailable() ? false : 'the unix-dgram native module did not build (npm rebuild unix-dgram)';

t.test('syslog through a real unix datagram socket', { skip: noDgram }, async (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'log');
  const got: string[] = [];
  const rx = bindReceiver(sock, (b) => got.push(b.toString()));
  t.teardown(() => rx.close());
  const { bus } = recordingBus();
  const err = capture();
  const log = attachLogger(bus, { logfile: 'local0', cfgname: 't.cf', syslogPath: sock, pid: 4242, stderr: err.stream, verbose: true });
  t.same(log.targets, ['syslog:local0']);
  bus.emit('ipvs', ipvsEvent('Deleted real server: 10.1.1.2:80 (10.0.0.1:80)'));
  bus.emit('ipvs-error', { error: 'Memory allocation problem', changes: [] });
  bus.emit('log', { level: 'warn', message: 'careful' });
  bus.emit('log', { level: 'debug', message: 'details' });
  await eventually(() => got.length >= 4, 10, 'four datagrams');
  await log.close();
  const re = /^<(\d+)>[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d lvsd\[4242\]: (.*)$/;
  const parsed = got.map((g) => re.exec(g)).map((m) => m && [Number(m[1]), m[2]]);
  t.same(parsed, [
    [16 * 8 + 6, 'Deleted real server: 10.1.1.2:80 (10.0.0.1:80)'],
    [16 * 8 + 3, 'IPVS update failed (0 changes): Memory allocation problem'],
    [16 * 8 + 4, 'careful'],
    [16 * 8 + 7, 'details'],
  ]);
  t.equal(err.text(), '');
});

t.test('syslog ident and facility names', { skip: noDgram }, async (t) => {
  t.equal(facilityCode('LOCAL7'), 23);
  t.equal(facilityCode('daemon'), 3);
  t.equal(facilityCode('authpriv'), 10);
  t.equal(facilityCode('/var/log/x'), undefined);
  t.equal(facilityCode('constructor'), undefined, 'no prototype keys');
  const dir = tempDir(t);
  const sock = join(dir, 'log');
  const got: string[] = [];
  const rx = bindReceiver(sock, (b) => got.push(b.toString()));
  t.teardown(() => rx.close());
  const log = createLogger({ logfile: 'daemon', cfgname: 'x', syslogPath: sock, pid: 7, ident: 'ldirectord' });
  log.log('info', 'x');
  await eventually(() => got.length, 10, 'a datagram');
  await log.close();
  t.match(got[0], /^<30>.* ldirectord\[7\]: x$/);
});

t.test('syslog not running: reported once, lines to stderr, resumes when it is back', { skip: noDgram }, async (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'log');
  const err = capture();
  const log = createLogger({ logfile: 'local1', cfgname: 'x', syslogPath: sock, pid: 7, stderr: err.stream });
  log.log('info', 'lost 1');
  log.log('info', 'lost 2');
  await eventually(() => err.text().includes('lost 2'), 10, 'stderr fallback');
  const got: string[] = [];
  const rx = bindReceiver(sock, (b) => got.push(b.toString()));
  t.teardown(() => rx.close());
  log.log('info', 'back');
  await eventually(() => got.length, 10, 'a datagram after syslog came back');
  await log.close();
  const lines = err.text().split('\n').filter(Boolean);
  t.equal(lines.filter((l) => l.includes('cannot log to syslog')).length, 1, 'one complaint');
  t.match(lines[0], /ENOENT/);
  t.ok(lines.includes('lost 1') && lines.includes('lost 2'));
  t.match(got[0], /\]: back$/);
  t.match(err.text(), /syslog is reachable again/);
});

t.test('an unknown logfile value falls back to the daemon facility and says so', { skip: noDgram }, async (t) => {
  const err = capture();
  const log = createLogger({ logfile: 'nonsense', cfgname: 'x', stderr: err.stream, syslogPath: '/nonexistent/socket' });
  await log.close();
  t.match(err.text(), /neither an absolute path nor a syslog facility/);
  t.notOk(existsSync('nonsense'));
});
