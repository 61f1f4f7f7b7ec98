// Strict modes (as sshd's StrictModes): running as root, lvsd refuses a config file that someone
// else could write (not root's, or writable by group or others, or in such a folder), at start
// (exit 2, nothing touched) and on reload (the running config stays). --no-strict-modes opts out.
import t, { type Test } from 'tap';
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TempDir, daemon, invocations, weightOf } from '../helpers/lvsd.js';
import { LogWatch, VIP, httpConfig, reals, startDaemon, waitFor } from './helpers.js';

const notRoot = process.geteuid?.() === 0 ? false : 'strict modes apply to root only; the suite runs as another user';

/** Start lvsd on `cfg` and wait for it to exit (bounded): code and output. */
async function startOn(t: Test, dir: TempDir, cfg: string, extra: string[] = []) {
  const { lvsd, state } = daemon(t, { file: cfg }, { dir, flags: extra });
  const timer = setTimeout(() => lvsd.child.kill('SIGKILL'), 60_000);
  const code = await lvsd.exit;
  clearTimeout(timer);
  return { code, out: lvsd.out, calls: invocations(state).length };
}

t.test('start refuses a config others could write, with exit 2 and nothing touched', { skip: notRoot }, async (t) => {
  const cases: [string, (dir: TempDir) => string, RegExp][] = [
    ['file writable by others', (d) => mode(d.file('a.cf', cfgText()), 0o666), /writable by group and others \(mode 0666\)/],
    ['file writable by group', (d) => mode(d.file('b.cf', cfgText()), 0o620), /writable by group \(mode 0620\)/],
    ['file owned by another user', (d) => owner(d.file('c.cf', cfgText()), 65534), /owned by uid 65534, not root/],
    ['folder writable by others', (d) => sub(d, 'open', 0o777, 'd.cf'), /its folder .*open: it is writable by group and others \(mode 0777\)/],
    ['sticky folder writable by others', (d) => sub(d, 'sticky', 0o1777, 'e.cf'), /its folder .*sticky: it is writable by group and others \(mode 1777\)/],
    ['folder owned by another user', (d) => { const f = sub(d, 'theirs', 0o755, 'f.cf'); chownSync(join(d.path, 'theirs'), 65534, 65534); return f; }, /owned by uid 65534/],
    ['symlink to a file in an open folder', (d) => { const target = sub(d, 'open2', 0o777, 'g.cf'); const link = join(d.path, 'link.cf'); symlinkSync(target, link); return link; }, /its folder .*open2: it is writable by group and others/],
  ];
  for (const [what, make, why] of cases) {
    const dir = new TempDir();
    t.teardown(() => dir.remove());
    const cfg = make(dir);
    const r = await startOn(t, dir, cfg);
    t.equal(r.code, 2, `${what}: exit status 2`);
    t.match(r.out, why, `${what}: says why`);
    t.match(r.out, /refusing to run as root on /, `${what}: says it refuses`);
    t.equal(r.calls, 0, `${what}: ipvsadm never ran`);
  }
});

t.test('--no-strict-modes starts on such a file', { skip: notRoot }, async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const rs = await reals(t, ['127.0.0.121']);
  const cfg = mode(dir.file('open.cf', httpConfig(rs)), 0o666);
  const { lvsd } = daemon(t, { file: cfg }, { dir, flags: ['--no-strict-modes'] });
  await waitFor('the real added', async () => (await weightOf(dir.file('ipvs.json'), VIP, rs[0]!.addr)) === 2);
  t.equal(await lvsd.stop(), 0, 'ran and stopped cleanly');
});

t.test('reload refuses a file that became writable by others; the running config stays', { skip: notRoot }, async (t) => {
  const rs = await reals(t, ['127.0.0.122', '127.0.0.123']);
  const d = startDaemon(t, httpConfig(rs, ['quiescent=no']));
  const log = new LogWatch(d.lvsd);
  await waitFor('both reals in the table', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === 3);
  // Someone loosens the mode and, say, drops the second real.
  writeFileSync(d.cfg, httpConfig(rs.slice(0, 1), ['quiescent=no']));
  chmodSync(d.cfg, 0o666);
  d.lvsd.child.kill('SIGHUP');
  const failed = await log.waitCount('the reload refused', /Reload failed, keeping the running configuration: refusing to run as root/, 1);
  t.match(failed[0]!.line, /writable by group and others/);
  t.equal(await weightOf(d.state, VIP, rs[1]!.addr), 3, 'the real the new file drops is still there');

  chmodSync(d.cfg, 0o644);
  d.lvsd.child.kill('SIGHUP');
  await waitFor('the fixed file loaded', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === undefined);
});

function cfgText(): string {
  return ['checktimeout=1', '', `virtual=${VIP}`, '    real=127.0.0.124:80 masq', '    service=http', ''].join('\n');
}

function mode(file: string, m: number): string {
  chmodSync(file, m);
  return file;
}

function owner(file: string, uid: number): string {
  chownSync(file, uid, uid);
  return file;
}

/** A config file (mode 0644) in a new folder of `dir` with mode `m`. */
function sub(dir: TempDir, name: string, m: number, file: string): string {
  const folder = join(dir.path, name);
  mkdirSync(folder);
  chmodSync(folder, m);
  const f = join(folder, file);
  writeFileSync(f, cfgText(), { mode: 0o644 });
  return f;
}
