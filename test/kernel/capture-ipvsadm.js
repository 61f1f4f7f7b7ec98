#!/usr/bin/env node
// Records what the real ipvsadm prints against the real kernel, for test/ipvs/real-format.test.ts.
//
//   node test/kernel/capture-ipvsadm.js          boots the VM, runs the steps below there and writes
//                                                test/fixtures/ipvsadm-real/transcript.json (+ .txt views)
//   node test/kernel/capture-ipvsadm.js --guest OUT.json   (inside the VM) run the steps, write OUT.json
//
// Each step is one ipvsadm invocation (with stdin for -R); the transcript keeps its exit status,
// stdout and stderr byte for byte, so a stand-in can be replayed through the same sequence.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtureDir = path.resolve(here, '../fixtures/ipvsadm-real');

const V4 = '10.0.0.100';
/** A dummy interface for the sync daemon steps (made by runGuest; the stand-in is told of it). */
export const SYNC_IF = 'lvsd-sync0';
const L = ['-L', '-n'];
/** [note, args, stdin?] */
export const STEPS = [
  ['empty table', [...L]],
  ['version', ['--version']],
  // services of every kind
  ['tcp wlc (default scheduler)', ['-A', '-t', `${V4}:80`]],
  ['masq dest with weight', ['-a', '-t', `${V4}:80`, '-r', '10.0.2.11:80', '-m', '-w', '5']],
  ['masq dest, other port, thresholds', ['-a', '-t', `${V4}:80`, '-r', '10.0.2.12:8080', '-m', '-w', '0', '-x', '100', '-y', '10']],
  ['masq dest, third, default weight', ['-a', '-t', `${V4}:80`, '-r', '10.0.2.10:80', '-m']],
  ['persistent with netmask', ['-A', '-t', `${V4}:443`, '-s', 'rr', '-p', '300', '-M', '255.255.255.0']],
  ['gate dest', ['-a', '-t', `${V4}:443`, '-r', '10.0.2.11:443', '-g', '-w', '2']],
  ['gate dest with another port (DR rewrite)', ['-a', '-t', `${V4}:443`, '-r', '10.0.2.12:8443', '-g']],
  ['udp sh with schedflags and ops', ['-A', '-u', `${V4}:53`, '-s', 'sh', '-b', 'sh-fallback,sh-port', '-o']],
  ['ipip dest without port', ['-a', '-u', `${V4}:53`, '-r', '10.0.2.11', '-i', '-w', '3']],
  ['ipip dest with other port (TUN rewrite)', ['-a', '-u', `${V4}:53`, '-r', '10.0.2.12:5353', '-i', '-x', '20']],
  ['fwmark, persistent default timeout', ['-A', '-f', '1', '-s', 'wrr', '-p']],
  ['fwmark gate dest', ['-a', '-f', '1', '-r', '10.0.2.13', '-g', '-w', '1']],
  ['fwmark masq dest with port', ['-a', '-f', '1', '-r', '10.0.2.14:8080', '-m']],
  ['ipv6 tcp lc', ['-A', '-t', '[fd00::100]:80', '-s', 'lc']],
  ['ipv6 masq dest', ['-a', '-t', '[fd00::100]:80', '-r', '[fd00:2::11]:80', '-m', '-w', '7', '-x', '50']],
  ['ipv6 gate dest', ['-a', '-t', '[fd00::100]:80', '-r', '[fd00:2::12]:80', '-g']],
  ['ipv6 dest in brackets without port', ['-a', '-t', '[fd00::100]:80', '-r', '[fd00:2::13]', '-g']],
  ['ipv6 dest without brackets', ['-a', '-t', '[fd00::100]:80', '-r', 'fd00:2::13', '-g']],
  ['ipv6 persistent with prefix', ['-A', '-t', '[fd00::100]:443', '-s', 'rr', '-p', '600', '-M', '64']],
  ['ipv6 fwmark mh with flags', ['-A', '-f', '2', '-6', '-s', 'mh', '-b', 'mh-fallback,mh-port']],
  ['ipv6 fwmark dest', ['-a', '-f', '2', '-6', '-r', 'fd00:2::12', '-g']],
  ['lower address sorts first', ['-A', '-t', '10.0.0.99:80', '-s', 'rr']],
  ['udp same address and port as tcp', ['-A', '-u', `${V4}:80`, '-s', 'rr']],
  ['other schedulers', ['-A', '-t', `${V4}:21`, '-s', 'sed']],
  ['', ['-A', '-t', `${V4}:22`, '-s', 'nq']],
  ['', ['-A', '-t', `${V4}:23`, '-s', 'fo']],
  ['', ['-A', '-t', `${V4}:24`, '-s', 'ovf']],
  ['', ['-A', '-t', `${V4}:25`, '-s', 'lblc']],
  ['', ['-A', '-t', `${V4}:26`, '-s', 'lblcr']],
  ['', ['-A', '-t', `${V4}:27`, '-s', 'dh', '-p', '60', '-M', '255.255.0.0']],
  ['gue tunnel dest', ['-a', '-t', `${V4}:27`, '-r', '10.0.2.15', '-i', '--tun-type', 'gue', '--tun-port', '6080', '--tun-nocsum']],
  ['gre tunnel dest', ['-a', '-t', `${V4}:27`, '-r', '10.0.2.16', '-i', '--tun-type', 'gre', '--tun-csum']],
  // listings
  ['list', [...L]],
  ['list thresholds', [...L, '--thresholds']],
  ['list persistent-conn', [...L, '--persistent-conn']],
  ['list tun-info', [...L, '--tun-info']],
  ['list stats', [...L, '--stats']],
  ['list rate', [...L, '--rate']],
  ['list exact stats', [...L, '--stats', '--exact']],
  ['list one service', [...L, '-t', `${V4}:80`]],
  ['list one fwmark service', [...L, '-f', '1']],
  ['list one service unsorted (kernel order of dests)', [...L, '--nosort', '-t', `${V4}:80`]],
  ['save', ['-S', '-n']],
  ['list connections (none)', [...L, '-c']],
  ['timeouts', ['-L', '--timeout']],
  ['daemon (none)', ['-L', '--daemon']],
  // edits
  ['edit service scheduler', ['-E', '-t', `${V4}:80`, '-s', 'rr']],
  ['edit service without -s (scheduler back to wlc?)', ['-E', '-t', `${V4}:443`]],
  ['list after service edit without -s', [...L, '-t', `${V4}:443`]],
  ['edit service back', ['-E', '-t', `${V4}:443`, '-s', 'rr', '-p', '300', '-M', '255.255.255.0']],
  ['edit service to persistent', ['-E', '-t', `${V4}:80`, '-s', 'rr', '-p', '120']],
  ['edit dest weight', ['-e', '-t', `${V4}:80`, '-r', '10.0.2.12:8080', '-m', '-w', '3', '-x', '100', '-y', '10']],
  ['edit dest forwarding masq -> gate', ['-e', '-t', `${V4}:80`, '-r', '10.0.2.10:80', '-g', '-w', '4']],
  ['edit dest without -w (weight back to 1?)', ['-e', '-t', `${V4}:80`, '-r', '10.0.2.12:8080', '-m']],
  ['after edit without -w', [...L, '-t', `${V4}:80`]],
  ['edit dest thresholds back', ['-e', '-t', `${V4}:80`, '-r', '10.0.2.12:8080', '-m', '-w', '3', '-x', '100', '-y', '10']],
  ['edit dest without -x/-y (thresholds back to 0?)', ['-e', '-t', `${V4}:80`, '-r', '10.0.2.12:8080', '-m', '-w', '3']],
  ['after edit without -x/-y', [...L, '--thresholds', '-t', `${V4}:80`]],
  ['masq dest without port takes the service port', ['-a', '-t', `${V4}:80`, '-r', '10.0.2.21', '-m']],
  ['gate dest without port', ['-a', '-t', `${V4}:443`, '-r', '10.0.2.13', '-g']],
  ['gate dest, other port, same address as an existing one (rewrite makes it a dup)', ['-a', '-t', `${V4}:443`, '-r', '10.0.2.11:9999', '-g']],
  ['edit gate dest given with another port', ['-e', '-t', `${V4}:443`, '-r', '10.0.2.12:8443', '-g', '-w', '6']],
  ['delete gate dest given with another port', ['-d', '-t', `${V4}:443`, '-r', '10.0.2.13:8443']],
  ['delete masq dest with the wrong port', ['-d', '-t', `${V4}:80`, '-r', '10.0.2.21:81']],
  ['list after edits', [...L, '-t', `${V4}:80`]],
  ['list after dest edits', [...L, '-t', `${V4}:443`]],
  ['save after edits', ['-S', '-n']],
  // errors
  ['dup service', ['-A', '-t', `${V4}:443`, '-s', 'rr']],
  ['dup dest', ['-a', '-t', `${V4}:443`, '-r', '10.0.2.11:443', '-g']],
  ['dup dest (masq, same address)', ['-a', '-t', `${V4}:443`, '-r', '10.0.2.11:443', '-m']],
  ['delete missing dest', ['-d', '-t', `${V4}:80`, '-r', '10.0.2.99:80']],
  ['delete missing service', ['-D', '-t', '10.0.0.200:80']],
  ['add dest to missing service', ['-a', '-t', '10.0.0.200:80', '-r', '10.0.2.11:80', '-m']],
  ['edit missing dest', ['-e', '-t', `${V4}:80`, '-r', '10.0.2.99:80', '-m', '-w', '1']],
  ['edit missing service', ['-E', '-t', '10.0.0.200:80', '-s', 'rr']],
  ['delete dest of missing service', ['-d', '-t', '10.0.0.200:80', '-r', '10.0.2.11:80']],
  ['unknown scheduler', ['-A', '-t', `${V4}:9`, '-s', 'bogus']],
  ['ops on tcp', ['-A', '-t', `${V4}:10`, '-s', 'rr', '-o']],
  ['service without port', ['-A', '-t', '10.0.0.101', '-s', 'rr']],
  ['bad address', ['-A', '-t', '10.0.0.300:80', '-s', 'rr']],
  ['weight out of range', ['-a', '-t', `${V4}:80`, '-r', '10.0.2.20:80', '-m', '-w', '70000']],
  ['negative threshold', ['-a', '-t', `${V4}:80`, '-r', '10.0.2.20:80', '-m', '-x', '-1']],
  ['lower above upper threshold', ['-a', '-t', `${V4}:80`, '-r', '10.0.2.20:80', '-m', '-x', '5', '-y', '10']],
  ['ipv6 dest on ipv4 service', ['-a', '-t', `${V4}:80`, '-r', '[fd00:2::20]:80', '-m']],
  ['list missing service', [...L, '-t', '10.0.0.200:80']],
  ['no command', ['-n']],
  ['two commands', ['-A', '-D', '-t', `${V4}:80`]],
  ['unknown option', ['-A', '-t', `${V4}:11`, '--bogus']],
  ['bad schedflag', ['-A', '-t', `${V4}:12`, '-s', 'sh', '-b', 'nope']],
  // restore
  ['restore with a kernel error in the middle', ['-R'], [
    `-A -t 10.0.0.200:80 -s rr`,
    `-a -t 10.0.0.200:80 -r 10.0.2.11:80 -m`,
    `-a -t 10.0.0.200:80 -r 10.0.2.11:80 -m`,
    `-a -t 10.0.0.200:80 -r 10.0.2.12:80 -m`,
    '',
  ].join('\n')],
  ['after restore', [...L, '-t', '10.0.0.200:80']],
  ['restore with a usage error in the middle', ['-R'], [
    `-A -t 10.0.0.201:80 -s rr`,
    `-a -t 10.0.0.201:80 -r nonsense -m`,
    `-a -t 10.0.0.201:80 -r 10.0.2.12:80 -m`,
    '',
  ].join('\n')],
  ['after restore', [...L, '-t', '10.0.0.201:80']],
  ['restore a save with comments and blank lines', ['-R'], [
    '# comment',
    '',
    `-A -t 10.0.0.202:80 -s wrr`,
    `   -a -t 10.0.0.202:80 -r 10.0.2.11:80 -m -w 2`,
    '',
  ].join('\n')],
  ['after restore', [...L, '-t', '10.0.0.202:80']],
  ['restore with a blank line', ['-R'], ['-A -t 10.0.0.203:80 -s rr', '', '-a -t 10.0.0.203:80 -r 10.0.2.11:80 -m', ''].join('\n')],
  ['after restore', [...L, '-t', '10.0.0.203:80']],
  ['restore with leading spaces and no final newline', ['-R'], ['  -A -t 10.0.0.204:80 -s rr', '\t-a -t 10.0.0.204:80 -r 10.0.2.11:80 -m'].join('\n')],
  ['after restore', [...L, '-t', '10.0.0.204:80']],
  ['restore with long options and quotes', ['-R'], ['--add-service --tcp-service 10.0.0.205:80 --scheduler "wrr"', "-a -t 10.0.0.205:80 -r '10.0.2.11:80' -m -w 2", ''].join('\n')],
  ['after restore', [...L, '-t', '10.0.0.205:80']],
  ['restore that lists', ['-R'], ['-L -n -t 10.0.0.205:80', ''].join('\n')],
  ['restore with only errors', ['-R'], ['-D -t 10.0.0.206:80', '-d -t 10.0.0.205:80 -r 10.0.2.99:80', ''].join('\n')],
  // deletes and the rest
  ['delete dest', ['-d', '-t', `${V4}:80`, '-r', '10.0.2.11:80']],
  ['delete service', ['-D', '-t', `${V4}:443`]],
  ['delete fwmark service', ['-D', '-f', '1']],
  ['set timeouts', ['--set', '900', '120', '300']],
  ['timeouts after set', ['-L', '--timeout']],
  ['zero', ['-Z']],
  ['save before clear', ['-S', '-n']],
  ['clear', ['-C']],
  ['list after clear', [...L]],
  ['save after clear', ['-S', '-n']],
  // the connection sync daemon (on SYNC_IF, a dummy interface runGuest creates, MTU 1500)
  ['start master sync daemon', ['--start-daemon', 'master', '--mcast-interface', SYNC_IF, '--syncid', '7']],
  ['daemon (master)', ['-L', '--daemon']],
  ['start master again', ['--start-daemon', 'master', '--mcast-interface', SYNC_IF, '--syncid', '7']],
  ['start backup with every option', ['--start-daemon', 'backup', '--mcast-interface', SYNC_IF, '--syncid', '9', '--mcast-group', '239.1.2.3', '--mcast-port', '8849', '--mcast-ttl', '2', '--sync-maxlen', '1400']],
  ['daemon (both)', ['-L', '--daemon']],
  ['daemon (numeric, as lvsd reads it)', ['-L', '-n', '--daemon']],
  ['stop master', ['--stop-daemon', 'master']],
  ['stop master again', ['--stop-daemon', 'master']],
  ['start master on a missing interface', ['--start-daemon', 'master', '--mcast-interface', 'lvsd-nosuch0']],
  ['start master without an interface', ['--start-daemon', 'master']],
  ['start master with an IPv6 group', ['--start-daemon', 'master', '--mcast-interface', SYNC_IF, '--mcast-group', 'ff02::1:81']],
  ['daemon (master v6 and backup)', ['-L', '--daemon']],
  ['stop both', ['--stop-daemon', 'master']],
  ['', ['--stop-daemon', 'backup']],
  ['start master, huge maxlen (clamped to the MTU?)', ['--start-daemon', 'master', '--mcast-interface', SYNC_IF, '--sync-maxlen', '9000']],
  ['start backup, small maxlen', ['--start-daemon', 'backup', '--mcast-interface', SYNC_IF, '--sync-maxlen', '100']],
  ['daemon (maxlen clamped)', ['-L', '--daemon']],
  ['', ['--stop-daemon', 'master']],
  ['', ['--stop-daemon', 'backup']],
  ['syncid out of range', ['--start-daemon', 'master', '--mcast-interface', SYNC_IF, '--syncid', '256']],
  ['bad state', ['--start-daemon', 'both', '--mcast-interface', SYNC_IF]],
  ['bad stop state', ['--stop-daemon', 'both']],
  ['daemon (none again)', ['-L', '--daemon']],
];

function runGuest(out) {
  for (const args of [['link', 'add', SYNC_IF, 'type', 'dummy'], ['link', 'set', SYNC_IF, 'up']]) {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  }
  const steps = STEPS.map(([note, args, stdin]) => {
    const r = spawnSync('ipvsadm', args, { input: stdin ?? '', encoding: 'utf8', timeout: 20_000 });
    const step = { note, args };
    if (stdin !== undefined) step.stdin = stdin;
    return { ...step, status: r.status, stdout: r.stdout, stderr: r.stderr };
  });
  const doc = {
    source: 'real ipvsadm in the test VM (test/kernel/capture-ipvsadm.js); do not edit by hand',
    ipvsadm: spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'ipvsadm'], { encoding: 'utf8' }).stdout,
    kernel: os.release(),
    invokedAs: 'ipvsadm',
    steps,
  };
  fs.writeFileSync(out, JSON.stringify(doc, null, 2) + '\n');
}

/** The transcript as a shell session, for people reading diffs. */
function renderText(doc) {
  const lines = [`# ${doc.source}`, `# ipvsadm ${doc.ipvsadm}, kernel ${doc.kernel}`, ''];
  for (const s of doc.steps) {
    if (s.note) lines.push(`### ${s.note}`);
    lines.push(`$ ipvsadm ${s.args.join(' ')}${s.stdin !== undefined ? ' <<EOF' : ''}`);
    if (s.stdin !== undefined) lines.push(s.stdin.replace(/\n$/, ''), 'EOF');
    if (s.stdout) lines.push(s.stdout.replace(/\n$/, ''));
    if (s.stderr) lines.push(...s.stderr.replace(/\n$/, '').split('\n').map((l) => `[stderr] ${l}`));
    lines.push(`[exit ${s.status}]`, '');
  }
  return lines.join('\n');
}

async function runHost() {
  const { runInVm, unavailableReason } = await import('./vm.js');
  const why = unavailableReason();
  if (why) { console.error(`capture-ipvsadm: ${why}`); return 1; }
  fs.mkdirSync(path.join(here, '.cache'), { recursive: true });
  const out = fs.mkdtempSync(path.join(here, '.cache', 'capture-'));
  try {
    const r = await runInVm({
      argv: ['node', fileURLToPath(import.meta.url), '--guest', path.join(out, 'transcript.json')],
      outDir: out, timeoutMs: 300_000,
      onStderr: (b) => process.stderr.write(b),
    });
    if (r.code !== 0) { console.error(r.console); console.error(`capture-ipvsadm: guest exit ${r.code}`); return 1; }
    const doc = JSON.parse(fs.readFileSync(path.join(out, 'transcript.json'), 'utf8'));
    fs.mkdirSync(fixtureDir, { recursive: true });
    fs.writeFileSync(path.join(fixtureDir, 'transcript.json'), JSON.stringify(doc, null, 2) + '\n');
    fs.writeFileSync(path.join(fixtureDir, 'transcript.txt'), renderText(doc));
    console.log(`capture-ipvsadm: ${doc.steps.length} steps from ipvsadm ${doc.ipvsadm} on ${doc.kernel} -> ${fixtureDir}`);
    return 0;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--guest') runGuest(process.argv[3]);
  else runHost().then((c) => { process.exitCode = c; });
}
