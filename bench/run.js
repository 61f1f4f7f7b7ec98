#!/usr/bin/env node
// lvsd's benchmark (issue 7): real servers on loopback (bench/lib/farm.js), the real lvsd process
// and, where installed, Debian's ldirectord, both driving the repository's ipvsadm stand-in.
// Writes bench/results/latest.json and bench/results/latest.md.
//
//   npm run bench                    the full run (over an hour on 2 shared cores)
//   npm run bench -- --quick         a smaller run, under two minutes
//   options: --only 1,3,7            scenarios to run       --repeats N     repeats (lvsd)
//            --ld-repeats N          repeats for ldirectord  --no-ldirectord
//            --standin fast|plain    ipvsadm for the daemons (default fast; see lib/ipvsadm-client.c)
//            --profile DIR           lvsd of scenario 1 runs under node --cpu-prof into DIR
//            --node-flags='...'      node options for lvsd in scenario 1 (experiments: heap sizes)
//            --kernel                scenario 6 also in the test VM (netlink, real ipvsadm)
//            --keep                  keep the work dir (configs, traces, stand-in logs)
//            --n 100,5000            only these sizes   --check http|connect   only this check
//            (filters every scenario's plan: run the target sizes one at a time)
//            --merge                 fold this run's entries into the existing latest.json (same
//                                    scenario, daemon, N, check and driver replaced; others kept)
//            --busy K                K busy loops (sh, nice 0) for the whole run: a saturated director
//            --nice N                lvsd runs under `nice -n N` (the unit's Nice=; issue 19)
//            --out DIR               write latest.json/.md into DIR instead of bench/results
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Session } from './lib/session.js';
import { ldirectordUnavailable } from './lib/daemons.js';
import { evaluateTargets, markdown, ratios } from './lib/report.js';
import { ROOT, loadAverage, log, spreadAll } from './lib/util.js';
import { steadyRun } from './scenarios/steady.js';
import { detectionRun, DETECT_TIMEOUT_S } from './scenarios/detection.js';
import { massFailRun } from './scenarios/massfail.js';
import { tarpitRun } from './scenarios/tarpit.js';
import { reloadRuns } from './scenarios/reload.js';
import { applyCost } from './scenarios/apply.js';
import { floorRun } from './scenarios/floor.js';

const { values: o } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    only: { type: 'string' },
    repeats: { type: 'string' },
    'ld-repeats': { type: 'string' },
    'no-ldirectord': { type: 'boolean' },
    standin: { type: 'string' },
    profile: { type: 'string' },
    kernel: { type: 'boolean' },
    keep: { type: 'boolean' },
    n: { type: 'string' },
    check: { type: 'string' },
    merge: { type: 'boolean' },
    'node-flags': { type: 'string' },
    busy: { type: 'string' },
    nice: { type: 'string' },
    out: { type: 'string' },
  },
});

const quick = o.quick ?? false;
const repeats = Number(o.repeats ?? (quick ? 1 : 3));
const ldRepeats = Number(o['ld-repeats'] ?? (quick ? 1 : 2));
const only = new Set((o.only ?? '1,2,3,4,5,6,7').split(',').map(Number));

/** What each scenario runs: [N, check] per daemon. ldirectord runs at N = 100 and 500 only. */
const PLAN = quick
  ? {
      steady: { lvsd: [[50, 'http'], [1000, 'connect']], ldirectord: [[50, 'http']], windowS: 4, warmS: 1 },
      detection: { lvsd: [[500, 'http']], ldirectord: [], spreadMs: 1500 },
      massfail: { lvsd: [[1000, 'connect']], plain: [], ldirectord: [] },
      tarpit: { lvsd: [500], ldirectord: [], spreadMs: 1500 },
      reload: { n: 1000, settleMs: 1500 },
      apply: { sizes: [1, 100, 1000], repeats: 2, plain: true },
      floor: { lvsd: [[1000, 'connect'], [1000, 'http']], count: 5000, concurrency: 50 },
    }
  : {
      steady: {
        lvsd: [[100, 'connect'], [500, 'connect'], [1000, 'connect'], [5000, 'connect'], [10000, 'connect'], [100, 'http'], [500, 'http'], [1000, 'http'], [5000, 'http'], [10000, 'http']],
        ldirectord: [[100, 'connect'], [500, 'connect'], [100, 'http'], [500, 'http']],
        windowS: 20,
        warmS: 5,
      },
      detection: { lvsd: [[500, 'connect'], [500, 'http'], [5000, 'connect'], [5000, 'http']], ldirectord: [[100, 'http'], [500, 'http']], spreadMs: 3000 },
      massfail: { lvsd: [[100, 'connect'], [500, 'connect'], [5000, 'connect'], [10000, 'connect']], plain: [[5000, 'connect']], ldirectord: [[100, 'connect'], [500, 'connect']] },
      tarpit: { lvsd: [500, 5000], ldirectord: [100, 500], spreadMs: 3000 },
      reload: { n: 10000, settleMs: 3000 },
      apply: { sizes: [1, 10, 100, 1000, 10000], repeats: 5, plain: true },
      floor: { lvsd: [[1000, 'connect'], [1000, 'http']], count: 20000, concurrency: 50 },
    };

// --n / --check: keep only the plan entries asked for ([n, check] pairs, or bare sizes).
const onlyN = o.n ? new Set(o.n.split(',').map(Number)) : undefined;
for (const p of Object.values(PLAN)) {
  for (const key of ['lvsd', 'ldirectord', 'plain']) {
    if (!Array.isArray(p[key])) continue;
    p[key] = p[key].filter((e) => {
      const [n, check] = Array.isArray(e) ? e : [e, 'http'];
      return (!onlyN || onlyN.has(n)) && (!o.check || check === o.check);
    });
  }
}

/** failures injected per detection/tarpit run: 5 % of N, at least 10, at most 100. */
const kFor = (n) => Math.min(100, Math.max(10, Math.round(n / 20)));

async function repeat(times, fn) {
  const runs = [];
  for (let r = 0; r < times; r++) {
    try {
      runs.push(await fn(r));
    } catch (e) {
      log(`  run failed: ${e.message}`);
      runs.push({ error: e.message });
    }
  }
  return runs;
}

function entry(fields, runs) {
  const ok = runs.filter((r) => !r.error);
  return { ...fields, at: new Date().toISOString(), loadAvg: loadAverage(), repeats: ok.length, errors: runs.filter((r) => r.error).map((r) => r.error), figures: spreadAll(ok), runs: ok };
}

async function main() {
  const started = Date.now();
  const session = new Session({ standin: o.standin, keep: o.keep, nice: o.nice === undefined ? undefined : Number(o.nice) });
  active = session;
  busy = Array.from({ length: Number(o.busy ?? 0) }, () => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
  const meta = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '?',
    loadStart: loadAverage(),
    quick,
    busy: busy.length,
    nice: o.nice === undefined ? undefined : Number(o.nice),
    repeats,
    ldRepeats,
    notes: session.notes,
  };
  const sc = {};
  let ld = !o['no-ldirectord'];
  try {
    await session.open();
    meta.ipvsadm = session.ipvsadm.name;
    if (ld) {
      const why = await ldirectordUnavailable();
      if (why) {
        session.note(`ldirectord comparison skipped: ${why}`);
        ld = false;
      }
    } else session.note('ldirectord comparison skipped (--no-ldirectord)');
    const withLd = (list) => (ld ? list : []);
    const needSide = (what) => {
      if (session.fast) return true;
      session.note(`${what} skipped: it needs the fast stand-in's side log`);
      return false;
    };

    if (only.has(1)) {
      log('scenario 1: steady state');
      const p = PLAN.steady;
      sc.steady = [];
      for (const [kind, list, times] of [['lvsd', p.lvsd, repeats], ['ldirectord', withLd(p.ldirectord), ldRepeats]]) {
        for (const [n, check] of list) {
          const runs = await repeat(times, (rep) => steadyRun(session, kind, n, check, { windowS: p.windowS, warmS: p.warmS, rep, cpuProf: kind === 'lvsd' ? o.profile : undefined, nodeFlags: kind === 'lvsd' ? o['node-flags']?.split(' ') : undefined }));
          sc.steady.push(entry({ daemon: kind, n, check, windowS: p.windowS }, runs));
        }
      }
    }
    if (only.has(2) && needSide('scenario 2')) {
      log('scenario 2: detection latency');
      const p = PLAN.detection;
      sc.detection = [];
      for (const [kind, list, times] of [['lvsd', p.lvsd, repeats], ['ldirectord', withLd(p.ldirectord), ldRepeats]]) {
        for (const [n, check] of list) {
          const runs = await repeat(times, (rep) => detectionRun(session, kind, n, check, { k: kFor(n), spreadMs: p.spreadMs, rep }));
          sc.detection.push(entry({ daemon: kind, n, check, k: kFor(n), timeoutS: DETECT_TIMEOUT_S }, runs));
        }
      }
    }
    if (only.has(3) && needSide('scenario 3')) {
      log('scenario 3: mass failure');
      const p = PLAN.massfail;
      sc.massfail = [];
      const variants = [
        ['lvsd', p.lvsd, repeats, undefined],
        ['lvsd', p.plain, repeats, session.plain],
        ['ldirectord', withLd(p.ldirectord), ldRepeats, undefined],
      ];
      for (const [kind, list, times, ipvsadm] of variants) {
        for (const [n, check] of list) {
          const runs = await repeat(times, (rep) => massFailRun(session, kind, n, check, { rep, ipvsadm }));
          sc.massfail.push(entry({ daemon: kind, n, check, driver: ipvsadm ? 'plain' : 'fast', driverName: (ipvsadm ?? session.ipvsadm).name }, runs));
        }
      }
    }
    if (only.has(4) && needSide('scenario 4')) {
      log('scenario 4: tarpit isolation');
      const p = PLAN.tarpit;
      sc.tarpit = [];
      for (const [kind, list, times] of [['lvsd', p.lvsd, repeats], ['ldirectord', withLd(p.ldirectord), ldRepeats]]) {
        for (const n of list) {
          const runs = await repeat(times, (rep) => tarpitRun(session, kind, n, { k: kFor(n), spreadMs: p.spreadMs, rep }));
          sc.tarpit.push(entry({ daemon: kind, n, check: 'http', k: kFor(n) }, runs));
        }
      }
    }
    if (only.has(5) && needSide('scenario 5')) {
      log('scenario 5: reload');
      const p = PLAN.reload;
      let runs;
      try {
        runs = await reloadRuns(session, p.n, { repeats, settleMs: p.settleMs });
      } catch (e) {
        log(`  reload failed: ${e.message}`);
        runs = [{ error: e.message }];
      }
      sc.reload = [entry({ daemon: 'lvsd', n: p.n }, runs)];
    }
    if (only.has(6)) {
      log('scenario 6: IPVS apply cost');
      sc.apply = await applyScenario(session, PLAN.apply);
    }
    if (only.has(7)) {
      log('scenario 7: the floor (the same checks in bare Node)');
      const p = PLAN.floor;
      sc.floor = [];
      for (const [n, check] of p.lvsd) {
        const runs = await repeat(repeats, () => floorRun(session, n, check, p));
        sc.floor.push(entry({ daemon: 'node', n, check }, runs));
      }
    }
  } finally {
    stopBusy();
    await session.close();
  }
  meta.loadEnd = loadAverage();
  meta.durationS = Math.round((Date.now() - started) / 1000);
  meta.args = process.argv.slice(2).join(' ');
  const dir = o.out ? path.resolve(o.out) : path.join(ROOT, 'bench', 'results');
  const res = o.merge ? merged(path.join(dir, 'latest.json'), { meta, scenarios: sc }) : { meta, scenarios: sc };
  res.ratios = ratios(res.scenarios);
  res.scenarios.ratios = res.ratios;
  res.targets = evaluateTargets(res.scenarios);
  delete res.scenarios.ratios;
  fs.mkdirSync(dir, { recursive: true });
  writeAtomic(path.join(dir, 'latest.json'), `${JSON.stringify(res, null, 1)}\n`);
  writeAtomic(path.join(dir, 'latest.md'), markdown(res));
  log(`done in ${meta.durationS} s: bench/results/latest.md`);
  process.stdout.write(markdown(res));
}

/** Notes in order, one per text once its figures are left out: a later run's figure replaces an earlier one's. */
function newestNotes(notes) {
  const byShape = new Map();
  for (const n of notes) {
    const shape = n.replace(/[0-9.]+/g, '#');
    byShape.delete(shape);
    byShape.set(shape, n);
  }
  return [...byShape.values()];
}

/** The previous latest.json with this run's entries folded in; each run is listed in meta.runs. */
function merged(file, res) {
  let prev;
  try {
    prev = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return res;
  }
  const runOf = (m) => ({ date: m.date, args: m.args ?? '', commit: m.commit, loadStart: m.loadStart, loadEnd: m.loadEnd, durationS: m.durationS });
  const key = (r) => [r.daemon, r.n, r.check, r.driver].join('|');
  const sc = { ...prev.scenarios };
  for (const [name, list] of Object.entries(res.scenarios)) {
    if (!Array.isArray(list)) {
      sc[name] = { ...sc[name], ...list };
      continue;
    }
    const fresh = new Set(list.map(key));
    sc[name] = [...(sc[name] ?? []).filter((r) => !fresh.has(key(r))), ...list];
  }
  const meta = {
    ...res.meta,
    repeats: Math.max(res.meta.repeats, prev.meta.repeats ?? 0),
    quick: res.meta.quick && prev.meta.quick,
    notes: newestNotes([...(prev.meta.notes ?? []), ...res.meta.notes]),
    runs: [...(prev.meta.runs ?? [runOf(prev.meta)]), runOf(res.meta)],
  };
  return { meta, scenarios: sc };
}

async function applyScenario(session, p) {
  const { createDriver } = await import('../dist/ipvs/index.js');
  const state = (name) => {
    const f = session.file(`apply-${name}.json`);
    return { LVSD_IPVS_STATE: f };
  };
  const drivers = [{ name: 'memory (in process)', driver: createDriver('memory') }];
  if (session.fast) drivers.push({ name: 'ipvsadm driver + stand-in, bench server mode', driver: createDriver('ipvsadm', { path: session.fast.program, env: { ...process.env, ...session.fast.env, ...state('fast') } }) });
  if (p.plain) drivers.push({ name: 'ipvsadm driver + stand-in (Node per call)', driver: createDriver('ipvsadm', { path: session.plain.program, env: { ...process.env, ...state('plain') } }) });
  const out = await applyCost(drivers, { sizes: p.sizes, repeats: p.repeats });
  const floor = realIpvsadmFloor();
  if (floor) session.note(`exec of the real /usr/sbin/ipvsadm (no IPVS in this kernel: it fails at once) takes ${floor.toFixed(1)} ms per process here: the floor of any ipvsadm call`);
  if (o.kernel) Object.assign(out, await kernelApply(session, p));
  else session.note('netlink and the real ipvsadm need a kernel with IPVS (not this one): run with --kernel to measure them in the test VM (software-emulated, so compare the drivers with each other there)');
  return out;
}

/** Median wall time of spawning the real ipvsadm binary (it exits at once without ip_vs). */
function realIpvsadmFloor() {
  if (!fs.existsSync('/usr/sbin/ipvsadm')) return undefined;
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    try {
      execFileSync('/usr/sbin/ipvsadm', ['-L', '-n'], { stdio: 'ignore' });
    } catch {
      // exit 2 without IPVS: what we time is the process
    }
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[10];
}

async function kernelApply(session, p) {
  const vm = await import('../test/kernel/vm.js');
  const why = vm.unavailableReason();
  if (why) {
    session.note(`--kernel: the VM cannot run here (${why})`);
    return {};
  }
  log('  booting the kernel VM for netlink and the real ipvsadm');
  const sizes = p.sizes.filter((k) => k <= 1000);
  const r = await vm.runInVm({ argv: ['node', 'bench/kernel-apply.js', JSON.stringify(sizes), String(Math.min(3, p.repeats))], cwd: ROOT, timeoutMs: 900_000, log: (s) => log(`  vm: ${s}`) });
  const line = r.stdout.toString().split('\n').find((l) => l.startsWith('KERNEL-APPLY '));
  if (!line) {
    session.note(`--kernel: no result from the VM (exit ${r.code}): ${r.stderr.toString().slice(-300)}`);
    return {};
  }
  session.note('"(kernel VM)" rows: QEMU without KVM acceleration, every figure is inflated; compare those drivers with each other');
  return JSON.parse(line.slice('KERNEL-APPLY '.length));
}

function gitCommit() {
  try {
    const c = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${c} (src modified)` : c;
  } catch {
    return 'unknown';
  }
}

function writeAtomic(file, text) {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

// Interrupted: stop the daemons, the farm and the stand-in server before leaving.
let active;
/** the --busy loops, killed however the run ends. */
let busy = [];
const stopBusy = () => { for (const p of busy.splice(0)) p.kill('SIGKILL'); };
process.on('exit', stopBusy);
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (stopping) process.exit(1);
    stopping = true;
    log(`${sig}: stopping the daemons, the farm and the stand-in server`);
    stopBusy();
    void (active?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

main().catch((e) => {
  log(`bench failed: ${e.stack ?? e}`);
  process.exitCode = 1;
});
