// Guest side of `node bench/keepalived.js`: inside the test VM (real IPVS), keepalived's checkers
// (`keepalived -C`), Debian's ldirectord and lvsd (netlink driver) run one after another against
// the same farm of real servers on loopback, each for a fixed window. Prints one JSON line.
// CPU is utime+stime over the daemon's whole process tree (keepalived forks its checker child;
// reaped children count through cutime+cstime), checks are connections the farm accepted, peak
// RSS is VmHWM summed over the tree.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { Farm } from './lib/farm-client.js';
import { configText, VIRTUAL_SIZE, LDIRECTORD } from './lib/daemons.js';
import { ROOT, hostOf, sleep, waitFor, log } from './lib/util.js';
import { machineBusy } from './lib/proc.js';

const PORT = 8080;
const sizes = JSON.parse(process.argv[2] ?? '[100]');
const windowS = Number(process.argv[3] ?? 20);
const checks = (process.argv[5] ?? 'connect,http').split(',');
const only = (process.argv[4] ?? 'keepalived,ldirectord,lvsd').split(',');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-'));

/** keepalived.conf for the same services and reals as configText: delay_loop 1, NAT, wrr. */
function keepalivedConf(n, check) {
  const out = ['global_defs {', '  router_id bench', '}', ''];
  for (let v = 0; v * VIRTUAL_SIZE < n; v++) {
    out.push(`virtual_server 127.250.${Math.floor(v / 250)}.${(v % 250) + 1} 80 {`, '  delay_loop 1', '  lb_algo wrr', '  lb_kind NAT', '  protocol TCP');
    for (let i = v * VIRTUAL_SIZE; i < Math.min(n, (v + 1) * VIRTUAL_SIZE); i++) {
      out.push(`  real_server ${hostOf(i)} ${PORT} {`, '    weight 1');
      if (check === 'http') out.push('    HTTP_GET {', '      url {', '        path /', '        status_code 200', '      }', '      connect_timeout 2', '      retry 0', '    }');
      else out.push('    TCP_CHECK {', '      connect_timeout 2', '      retry 0', '    }');
      out.push('  }');
    }
    out.push('}', '');
  }
  return out.join('\n');
}

/** The daemons, each as [cmd, args] for the given size and check. */
function commands(n, check) {
  const tag = `${n}-${check}`;
  const cf = configText(n, PORT, { check });
  fs.writeFileSync(path.join(dir, `ld-${tag}.cf`), `supervised=yes\n${cf}`);
  fs.mkdirSync(path.join(dir, `lvsd-${tag}`));
  fs.writeFileSync(path.join(dir, `lvsd-${tag}`, 'lvsd.cf'), cf);
  fs.writeFileSync(path.join(dir, `ka-${tag}.conf`), keepalivedConf(n, check));
  return [
    ['keepalived', '/usr/sbin/keepalived', ['-C', '-n', '-l', '-f', path.join(dir, `ka-${tag}.conf`),
      '-p', path.join(dir, `ka-${tag}.pid`), '-c', path.join(dir, `ka-${tag}-checkers.pid`)]],
    ['ldirectord', LDIRECTORD, [path.join(dir, `ld-${tag}.cf`), 'start']],
    ['lvsd', process.execPath, [path.join(ROOT, 'bin', 'lvsd.js'), '-f', '--ipvs', 'netlink',
      '--pid-file', path.join(dir, `lvsd-${tag}.pid`), path.join(dir, `lvsd-${tag}`, 'lvsd.cf'), 'start']],
  ];
}

/** pid and its live descendants. */
function tree(root) {
  const parent = new Map();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const out = [root];
  for (let k = 0; k < out.length; k++) for (const [p, pp] of parent) if (pp === out[k]) out.push(p);
  return out;
}

/** CPU seconds of the tree (self + reaped children) and summed VmHWM in MB. */
function cost(root) {
  let cpu = 0;
  let hwm = 0;
  const procs = [];
  for (const pid of tree(root)) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      cpu += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
      const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      hwm += Number(/^VmHWM:\s+(\d+)/m.exec(st)?.[1] ?? 0) / 1024;
      procs.push(s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')));
    } catch { /* gone */ }
  }
  return { cpu, hwm, procs };
}

async function measure(name, cmd, args, n, farm) {
  execFileSync('ipvsadm', ['-C']);
  await farm.reset(n);
  await farm.record();
  const outFile = path.join(dir, `${name}-${n}.out`);
  const out = fs.openSync(outFile, 'w');
  const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = once(child, 'exit');
  const alive = () => child.exitCode === null && child.signalCode === null;
  const tailOut = () => fs.readFileSync(outFile, 'utf8').slice(-1500);
  try {
    // Warm-up: as many checks as reals, then a few seconds more for start-up to settle.
    await waitFor(`${name}: every real checked`, async () => {
      if (!alive()) throw new Error(`${name} exited early:\n${tailOut()}`);
      const st = await farm.stats();
      return st.connections >= n;
    }, 300_000, 500);
    await sleep(3000);
    await farm.record();
    const c0 = cost(child.pid);
    const m0 = machineBusy();
    const t0 = Date.now();
    await sleep(windowS * 1000);
    const c1 = cost(child.pid);
    const m1 = machineBusy();
    const st = await farm.stats();
    const secs = (Date.now() - t0) / 1000;
    const table = execFileSync('ipvsadm', ['-L', '-n']).toString().split('\n').filter((l) => l.includes('->') && /:\d+\s+Masq/.test(l)).length;
    return {
      daemon: name, n, windowS: secs, checks: st.connections, checksPerSec: st.connections / secs,
      cpuS: c1.cpu - c0.cpu, cpuPerCheckMs: ((c1.cpu - c0.cpu) * 1000) / st.connections,
      peakRssMB: c1.hwm, processes: c1.procs, realsInTable: table, outputTail: tailOut().split('\n').slice(-8),
      vmBusy: (m1.busy - m0.busy) / secs,
    };
  } finally {
    if (alive()) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30000);
      await exited;
      clearTimeout(t);
    }
    // keepalived's parent ends its checker child on TERM; anything left is killed by its pid.
    for (const pid of tree(child.pid)) if (pid !== child.pid) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

const farm = new Farm();
const rows = [];
const errors = [];
try {
  await farm.ensure(Math.max(...sizes), PORT);
  for (const n of sizes) {
    for (const check of checks) {
      for (const [name, cmd, args] of commands(n, check)) {
        if (!only.includes(name)) continue;
        log(`${name} n=${n} ${check}`);
        try {
          const r = await measure(name, cmd, args, n, farm);
          rows.push({ ...r, check });
          log(`  ${r.checks} checks, ${r.cpuPerCheckMs.toFixed(3)} ms CPU per check, ${r.peakRssMB.toFixed(1)} MB, ${r.realsInTable} reals in table`);
        } catch (e) {
          errors.push(`${name} n=${n} ${check}: ${e.message}`);
          log(`  failed: ${e.message}`);
        }
      }
    }
  }
} finally {
  await farm.stop();
}
process.stdout.write(`KERNEL-CHECKERS ${JSON.stringify({ rows, errors, windowS, loadavgVm: os.loadavg() })}\n`);
