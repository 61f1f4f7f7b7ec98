// The real daemon's log: logfile="/path" in ldirectord's line format, reopened after a
// logrotate-style rename on SIGUSR1; logfile="local0" to syslog through a unix datagram
// socket this test binds (LVSD_SYSLOG_SOCKET); -d debug detail on stderr.
import t from 'tap';
import { existsSync, readFileSync, readdirSync, readlinkSync, renameSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { TempDir, weightOf } from '../helpers/lvsd.js';
import { cf, daemon, datagrams, noDgram, servers, waitFor } from './helpers.js';

const VIP = '127.0.1.130:80';
const MONTHS = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
const CTIME = `(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat) (?:${MONTHS}) [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}`;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '');

/** The files the process has open, by path (what logrotate's compress would wait on). */
function openFiles(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  return readdirSync(dir).flatMap((fd) => {
    try {
      return [readlinkSync(`${dir}/${fd}`)];
    } catch {
      return [];
    }
  });
}

t.test('logfile="/path": ldirectord line format; SIGUSR1 reopens after a rename', async (t) => {
  const [a, b] = await servers(t, ['127.0.1.31', '127.0.1.32']);
  const dir = new TempDir();
  const log = dir.file('lvsd.log');
  const { lvsd, state, cfgPath } = daemon(t, cf([`logfile="${log}"`, 'quiescent=no'], [{ vip: VIP, reals: [[a!], [b!]] }]), { dir });
  await waitFor('both reals in', async () => (await weightOf(state, VIP, b!.addr)) === 1 && (await weightOf(state, VIP, a!.addr)) === 1);
  await waitFor('the log line', () => read(log).includes(`Added real server: ${b!.addr}`));
  const pid = lvsd.child.pid!;
  const prefix = `\\[${CTIME}\\|${esc(basename(cfgPath))}\\|${pid}\\] `;
  const lines = read(log).trimEnd().split('\n');
  for (const l of lines) t.match(l, new RegExp(`^${prefix}`), `[ctime|cfgname|pid] prefix: ${l}`);
  t.match(read(log), new RegExp(`^${prefix}Starting lvsd .* with pid: ${pid}$`, 'm'));
  t.match(read(log), new RegExp(`^${prefix}Added virtual server: ${esc(VIP)}$`, 'm'));
  t.match(read(log), new RegExp(`^${prefix}Added real server: ${esc(a!.addr)} \\(${esc(VIP)}\\) \\(Weight set to 1\\)$`, 'm'));
  t.notMatch(read(log), /Check /, 'no per-check lines without -d');
  t.match(lvsd.out, `] Added virtual server: ${VIP}`, 'in the foreground the lines go to stdout too (journald)');

  // logrotate: rename the file away; lvsd still holds it open until told (or until its next line).
  renameSync(log, `${log}.1`);
  t.ok(openFiles(pid).includes(`${log}.1`), 'the rotated file is still open');
  lvsd.child.kill('SIGUSR1');
  await waitFor('the rotated file closed on SIGUSR1', () => !openFiles(pid).includes(`${log}.1`));
  t.notOk(existsSync(log), 'nothing logged yet: no new file');
  await b!.stop();
  await waitFor('a line in the new file', () => read(log).includes(`Deleted real server: ${b!.addr} (${VIP})`));
  t.notMatch(read(`${log}.1`), 'Deleted real server', 'nothing more went to the rotated file');
  t.match(read(log), new RegExp(`^${prefix}Deleted real server: `, 'm'));

  t.equal(await lvsd.stop('SIGTERM'), 0);
  t.match(read(log), new RegExp(`^${prefix}Linux Director Daemon terminated on signal: TERM$`, 'm'));
});

t.test('logfile="local0": syslog through a unix datagram socket', { skip: noDgram }, async (t) => {
  const [a] = await servers(t, ['127.0.1.33']);
  const dir = new TempDir();
  const sock = dir.file('dev-log');
  const got = datagrams(t, sock);
  const { lvsd, state, cfgPath } = daemon(t, cf(['logfile="local0"'], [{ vip: VIP, reals: [[a!]] }]), { dir, env: { LVSD_SYSLOG_SOCKET: sock } });
  await waitFor('real in', async () => (await weightOf(state, VIP, a!.addr)) === 1);
  const pid = lvsd.child.pid!;
  const text = () => got.map((g) => g.text);
  await waitFor('the added line', () => text().some((l) => l.includes('Added real server')));
  const SYSLOG = (pri: number, msg: string) => new RegExp(`^<${pri}>(?:${MONTHS}) [ \\d]\\d \\d\\d:\\d\\d:\\d\\d lvsd\\[${pid}\\]: ${msg}$`);
  // local0 = 16: info is 16*8+6 = 134, err 16*8+3 = 131
  t.ok(text().some((l) => SYSLOG(134, `Added virtual server: ${esc(VIP)}`).test(l)), 'RFC 3164 line, ident lvsd, pid, facility local0, info');
  t.ok(text().some((l) => SYSLOG(134, `Added real server: ${esc(a!.addr)} \\(${esc(VIP)}\\) \\(Weight set to 1\\)`).test(l)));
  t.notOk(text().some((l) => l.includes('Check ')), 'no debug lines without -d');
  t.notMatch(lvsd.out, 'Added virtual server', 'a syslog facility is not copied to stdout (journald has it already)');

  writeFileSync(cfgPath, cf(['logfile="local0"'], [{ vip: VIP, reals: [[a!]] }]).replace('service=http', 'service=htp'));
  lvsd.child.kill('SIGHUP');
  await waitFor('the reload error', () => text().some((l) => l.startsWith('<131>')));
  t.ok(text().some((l) => SYSLOG(131, `Reload failed, keeping the running configuration: ${esc(cfgPath)}:\\d+: .*`).test(l)), 'errors at priority err');
  t.equal(await lvsd.stop('SIGTERM'), 0);
  t.ok(text().some((l) => SYSLOG(134, 'Linux Director Daemon terminated on signal: TERM').test(l)));
});

t.test('-d: plain lines on stderr with the debug detail', async (t) => {
  const [a] = await servers(t, ['127.0.1.34']);
  const { lvsd, state } = daemon(t, cf([], [{ vip: VIP, reals: [[a!]] }]), { flags: ['-d'] });
  await waitFor('real in', async () => (await weightOf(state, VIP, a!.addr)) === 1);
  await waitFor('check lines', () => /^Check .* up 200 OK \(\d+ ms\)$/m.test(lvsd.out));
  t.match(lvsd.out, new RegExp(`^Added real server: ${esc(a!.addr)} \\(${esc(VIP)}\\) \\(Weight set to 1\\)$`, 'm'), 'no timestamp, as ldirectord -d');
  t.match(lvsd.out, /^Daemon state: running$/m, 'state changes');
  t.match(lvsd.out, /^Applied \d+ IPVS changes?$/m, 'applies');
  t.match(lvsd.out, new RegExp(`^Real server ${esc(a!.addr)} \\(tcp:${esc(VIP)}\\) is up: 200 OK$`, 'm'), 'the first verdict, with its reason');
});
