// Scenario 1: steady state. N reals, checkinterval=1, all healthy; after a warm-up, one window:
// the daemon's own CPU (utime+stime from /proc, its ipvsadm children excluded and reported as
// driver CPU), peak RSS (VmHWM), checks per second (connections the farm accepted), CPU per
// check, the period at which each real was actually checked (gaps between a server's
// connections, farm side: comparable for both daemons) and, for lvsd, each check's lag behind
// its schedule (started - due, from its LVSD_BENCH_TRACE).
import { machineBusy } from '../lib/proc.js';
import { upCount } from '../lib/daemons.js';
import { log, now, percentile, sleep } from '../lib/util.js';

export async function steadyRun(session, kind, n, check, { windowS, warmS, rep, cpuProf, nodeFlags }) {
  const tag = `s1-${kind}-${check}-${n}-r${rep}`;
  const { daemon, startupMs } = await session.start(kind, tag, n, { check, interval: 1, timeout: 2 }, { cpuProf, nodeFlags, ready: 'running' });
  try {
    await sleep(warmS * 1000);
    const m0 = machineBusy();
    const c0 = daemon.cpu();
    const drv0 = session.driverCpu();
    const f0 = await session.farm.record();
    const w0 = now();
    await sleep(windowS * 1000);
    const c1 = daemon.cpu();
    const drv1 = session.driverCpu();
    const f1 = await session.farm.stats();
    const w1 = now();
    const m1 = machineBusy();
    const mem = daemon.mem();
    const secs = (w1 - w0) / 1000;
    const cpu = c1.self - c0.self;
    const farmCpu = (f1.cpu.user + f1.cpu.system - f0.cpu.user - f0.cpu.system) / 1e6;
    const fig = {
      startupS: startupMs / 1000,
      upAtEnd: upCount(daemon.state),
      cpuSecPerMin: (cpu / secs) * 60,
      cores: cpu / secs,
      checksPerSec: f1.connections / secs,
      cpuPerCheckMs: f1.connections > 0 ? (cpu / f1.connections) * 1000 : undefined,
      // What the full schedule (n checks a second) costs at the CPU per check measured: equal to
      // `cores` when the daemon kept up; above it when it could not (no core free to run on).
      projectedCores: f1.connections > 0 ? (cpu / f1.connections) * n : undefined,
      rssMB: mem?.hwm,
      periodP50Ms: f1.gapP50,
      periodP99Ms: f1.gapP99,
      driverCores: ((drv1 ?? 0) - (drv0 ?? 0) + (c1.children - c0.children)) / secs,
      farmCores: farmCpu / secs,
      machineBusyCores: (m1.busy - m0.busy) / secs,
    };
    if (kind === 'lvsd') {
      const checks = daemon.checks(w0, w1);
      const lags = checks.map((c) => c.started - c.due);
      fig.tracedChecksPerSec = checks.length / secs;
      fig.lagP50Ms = percentile(lags, 50);
      fig.lagP99Ms = percentile(lags, 99);
      fig.failedChecks = checks.filter((c) => !c.ok).length;
      // The daemon could not keep up (the loop ran behind, or had no core to run on).
      fig.saturated = fig.tracedChecksPerSec < 0.95 * n ? 1 : 0;
    }
    log(`  ${tag}: ${fig.cores.toFixed(3)} cores, ${fig.checksPerSec.toFixed(0)} checks/s, ${fig.cpuPerCheckMs?.toFixed(3)} ms CPU/check, RSS ${fig.rssMB?.toFixed(0)} MB` +
      (kind === 'lvsd' ? `, lag p50/p99 ${fig.lagP50Ms?.toFixed(1)}/${fig.lagP99Ms?.toFixed(1)} ms` : `, period p50/p99 ${fig.periodP50Ms?.toFixed(0)}/${fig.periodP99Ms?.toFixed(0)} ms`) +
      ` (machine busy ${fig.machineBusyCores.toFixed(2)} of 2 cores)`);
    return fig;
  } finally {
    await session.stop(daemon);
  }
}
