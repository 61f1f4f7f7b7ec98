// The log file cannot be written (its disk is full) or is removed under the daemon: lvsd goes on
// checking and updating IPVS, says so on stderr, and logs to the file again once it can.
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { weightOf } from '../helpers/lvsd.js';
import { LogWatch, VIP, httpConfig, reals, startDaemon, waitFor } from './helpers.js';

/** A small tmpfs of our own, unmounted at teardown; undefined when mounting is not allowed here. */
function smallTmpfs(t: Test): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
  if (r.status !== 0) {
    rmdirSync(dir);
    return undefined;
  }
  t.teardown(() => {
    spawnSync('umount', ['-l', dir]);
    rmdirSync(dir);
  });
  return dir;
}
const mountable = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-tmpfs-probe-'));
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', dir]).status === 0;
  if (ok) spawnSync('umount', [dir]);
  rmdirSync(dir);
  return ok;
})();

/** Fill a filesystem to the last byte (ENOSPC ends the loop). */
function fill(file: string): void {
  const block = Buffer.alloc(4096, 0x78);
  for (let i = 0; i < 10_000; i++) {
    try {
      writeFileSync(file, block, { flag: 'a' });
    } catch {
      return;
    }
  }
}

t.test('log file on /dev/full: lvsd keeps running and updating IPVS, lines go to stderr', async (t) => {
  const rs = await reals(t, ['127.0.0.71', '127.0.0.72']);
  const d = startDaemon(t, httpConfig(rs, ['quiescent=no', 'logfile="/dev/full"']));
  const log = new LogWatch(d.lvsd);
  await waitFor('both reals in the table', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === 3);
  await log.waitCount('the failure said once', /cannot write log file \/dev\/full: ENOSPC/, 1);
  await rs[1]!.stop();
  await waitFor('the dead real removed', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === undefined);
  await log.waitCount('the line kept on stderr', new RegExp(`Deleted real server: ${rs[1]!.addr.replace(/\./g, '\\.')}`), 1);
  t.equal(log.count(/cannot write log file/), 1, 'the failure is reported once, not per line');
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});

t.test('log file on a full tmpfs: lvsd keeps running; logging resumes when there is room', { skip: mountable ? false : 'mount -t tmpfs is not permitted here' }, async (t) => {
  const fs = smallTmpfs(t)!;
  const logfile = join(fs, 'lvsd.log');
  // Full before the daemon starts: not even its first line fits (a file already open would
  // still fill the rest of its last page).
  fill(join(fs, 'filler'));
  const rs = await reals(t, ['127.0.0.73', '127.0.0.74']);
  const d = startDaemon(t, httpConfig(rs, ['quiescent=no', `logfile="${logfile}"`]));
  const log = new LogWatch(d.lvsd);
  await waitFor('both reals in the table', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === 3);
  await log.waitCount('the failure said', /cannot write log file .*: ENOSPC/, 1);
  await rs[1]!.stop();
  await waitFor('the dead real removed', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === undefined);

  rmSync(join(fs, 'filler'));
  await rs[1]!.start();
  await waitFor('the real back', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === 3);
  await log.waitCount('recovery said', /is writable again/, 1);
  await waitFor('later lines in the file', () => readFileSync(logfile, 'utf8').includes(`Added real server: ${rs[1]!.addr}`));
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});

t.test('log file removed: lvsd keeps running and writes a new one', async (t) => {
  const rs = await reals(t, ['127.0.0.75', '127.0.0.76']);
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const logfile = join(dir, 'lvsd.log');
  const d = startDaemon(t, httpConfig(rs, ['quiescent=no', `logfile="${logfile}"`]));
  await waitFor('the log file written', () => existsSync(logfile) && rs.every((r) => readFileSync(logfile, 'utf8').includes(`Added real server: ${r.addr}`)));
  rmSync(logfile);
  await rs[1]!.stop();
  await waitFor('the dead real removed', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === undefined);
  await waitFor('a new log file with the new line', () => existsSync(logfile) && readFileSync(logfile, 'utf8').includes(`Deleted real server: ${rs[1]!.addr}`));
  t.notMatch(readFileSync(logfile, 'utf8'), 'Added real server', 'a new file, not the removed one');
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});
