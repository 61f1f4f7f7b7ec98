// From the collected runs to the verdicts on the issue's targets, the lvsd/ldirectord ratios, and
// the markdown written next to latest.json.

const fmt = (x, digits = 0) => (x === undefined || x === null || Number.isNaN(x) ? '–' : Number(x).toFixed(digits));
/** "median (min–max)" of a spread; one number when all repeats agree or there was one. */
export function show(s, digits = 0) {
  if (!s) return '–';
  if (s.n === 1 || s.min === s.max) return fmt(s.median, digits);
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

function find(list, where) {
  return list?.find((r) => Object.entries(where).every(([k, v]) => r[k] === v));
}

/** The issue's targets against the measured medians. */
export function evaluateTargets(sc) {
  const t = [];
  /** One target row. `value` is the median compared with the limit; a run that failed says why. */
  const row = (target, entry, measured, met) => {
    if (!entry) return t.push({ target, measured: '–', met: null, note: 'needs the full bench' });
    if (met === undefined || met === null || Number.isNaN(met)) {
      return t.push({ target, measured, met: false, note: entry.errors?.length ? `run failed: ${entry.errors[0]}` : 'no figure' });
    }
    return t.push({ target, measured, met, note: '' });
  };
  const med = (entry, k) => entry?.figures?.[k]?.median;
  const le = (v, limit) => (v === undefined ? undefined : v <= limit);

  const tcp10k = find(sc.steady, { daemon: 'lvsd', check: 'connect', n: 10000 });
  // CPU targets are judged on the CPU the full schedule costs (CPU per check × checks due),
  // which is what was used when the daemon kept up, and more than it could use when it did not.
  // The floor (scenario 7): what the same checks cost bare Node here, at the same schedule.
  const floor = (e) => {
    const f = find(sc.floor, { check: e?.check });
    const ms = f?.figures?.cpuPerCheckMs?.median;
    return ms === undefined ? '' : `; bare Node's floor ${fmt(ms, 3)} ms/check = ${fmt((ms * e.n) / 1000, 2)} cores`;
  };
  const cores = (e) => `${show(e?.figures.projectedCores, 3)} cores for the full schedule (used ${show(e?.figures.cores, 3)} at ${show(e?.figures.checksPerSec)} checks/s${floor(e)})`;
  row('TCP checks, 10,000 reals at 1 s: ≤ 0.6 core', tcp10k, cores(tcp10k), le(med(tcp10k, 'projectedCores'), 0.6));
  row('TCP checks, 10,000 reals at 1 s: ≤ 200 MB RSS', tcp10k, `${show(tcp10k?.figures.rssMB)} MB`, le(med(tcp10k, 'rssMB'), 200));
  const http5k = find(sc.steady, { daemon: 'lvsd', check: 'http', n: 5000 });
  row('HTTP checks, 5,000 reals at 1 s: ≤ 1 core', http5k, cores(http5k), le(med(http5k, 'projectedCores'), 1));
  const perCheck = (sc.ratios ?? []).filter((r) => r.scenario === 'steady' && r.check === 'http' && r.figure === 'cpuPerCheckMs');
  if (perCheck.length) {
    const worst = perCheck.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    t.push({ target: 'CPU per HTTP check ≤ 1/5 of ldirectord’s', measured: perCheck.map((r) => `N=${r.n}: ${fmt(r.lvsd, 3)} vs ${fmt(r.ldirectord, 3)} ms (×${fmt(r.ratio, 2)})`).join('; '), met: worst.ratio <= 0.2, note: '' });
  } else t.push({ target: 'CPU per HTTP check ≤ 1/5 of ldirectord’s', measured: '–', met: null, note: 'no ldirectord run at the same N' });

  for (const check of ['connect', 'http']) {
    const d = find(sc.detection, { daemon: 'lvsd', check, n: 5000 });
    const hole = 1000 + (d?.timeoutS ?? 2) * 1000 + 50;
    const missed = (k) => (d?.figures?.[k]?.max ?? 0) > 0;
    row(`Detection at 5,000 (${check}), refused: p99 ≤ interval + 50 ms = 1,050 ms`, d, `${show(d?.figures.refusedP99Ms)} ms`, missed('refusedMissed') ? false : le(med(d, 'refusedP99Ms'), 1050));
    row(`Detection at 5,000 (${check}), black-holed: p99 ≤ interval + timeout + 50 ms = ${hole} ms`, d, `${show(d?.figures.blackholedP99Ms)} ms`, missed('blackholedMissed') ? false : le(med(d, 'blackholedP99Ms'), hole));
  }
  const mf = find(sc.massfail, { daemon: 'lvsd', n: 5000, driver: 'fast' });
  row('Mass failure 2,500 of 5,000: all out ≤ interval + 200 ms = 1,200 ms', mf, `${show(mf?.figures.allOutMs)} ms`, le(med(mf, 'allOutMs'), 1200));
  row('Mass failure 2,500 of 5,000: ≤ 3 driver invocations', mf, `${show(mf?.figures.driverCalls)} invocations`, le(med(mf, 'driverCalls'), 3));
  const tp = find(sc.tarpit, { daemon: 'lvsd', n: 5000 }) ?? find(sc.tarpit, { daemon: 'lvsd', n: 500 });
  row(`Tarpits (10 % of ${tp?.n ?? 'N'}): other failures detected ≤ 50 ms later (p99)`, tp, `p99 ${show(tp?.figures.withoutP99Ms)} → ${show(tp?.figures.withP99Ms)} ms (Δ ${show(tp?.figures.delayP99Ms)})`, le(med(tp, 'delayP99Ms'), 50));
  const rl = find(sc.reload, { n: 10000 });
  row('Reload of 10,000 unchanged: 0 IPVS writes', rl, `${show(rl?.figures.unchangedWrites)} writes`, rl?.figures.unchangedWrites ? rl.figures.unchangedWrites.max === 0 : undefined);
  row('Reload of 10,000 unchanged: ≤ 500 ms', rl, `${show(rl?.figures.unchangedMs)} ms`, le(med(rl, 'unchangedMs'), 500));
  row('Reload of 10,000 with 1 % changed: only those written', rl, `${show(rl?.figures.changedRulesWritten)} rules for ${show(rl?.figures.changedExpected)} changed`, rl?.figures.changedOnlyThose ? rl.figures.changedOnlyThose.min === 1 : undefined);
  return t;
}

/** lvsd / ldirectord for every figure both measured at the same N and check. */
export function ratios(sc) {
  const out = [];
  const pairs = [
    ['steady', ['cpuPerCheckMs', 'cores', 'rssMB', 'checksPerSec', 'periodP99Ms']],
    ['detection', ['refusedP50Ms', 'refusedP99Ms', 'blackholedP50Ms', 'blackholedP99Ms']],
    ['massfail', ['allOutMs', 'driverCalls']],
    ['tarpit', ['withoutP99Ms', 'withP99Ms']],
  ];
  for (const [scenario, figures] of pairs) {
    for (const ld of (sc[scenario] ?? []).filter((r) => r.daemon === 'ldirectord')) {
      const lv = (sc[scenario] ?? []).find((r) => r.daemon === 'lvsd' && r.n === ld.n && r.check === ld.check && (r.driver ?? 'fast') === (ld.driver ?? 'fast'));
      if (!lv) continue;
      for (const f of figures) {
        const a = lv.figures[f]?.median;
        const b = ld.figures[f]?.median;
        if (a === undefined || b === undefined || b === 0) continue;
        out.push({ scenario, n: ld.n, check: ld.check, figure: f, lvsd: a, ldirectord: b, ratio: a / b });
      }
    }
  }
  return out;
}

const LABEL = {
  cores: 'CPU (cores)', projectedCores: 'CPU for full schedule (cores)', cpuSecPerMin: 'CPU s/min', cpuPerCheckMs: 'CPU/check (ms)', rssMB: 'peak RSS (MB)', checksPerSec: 'checks/s',
  lagP50Ms: 'lag p50 (ms)', lagP99Ms: 'lag p99 (ms)', periodP50Ms: 'period p50 (ms)', periodP99Ms: 'period p99 (ms)', startupS: 'start (s)',
  driverCores: 'driver (cores)', farmCores: 'farm (cores)', machineBusyCores: 'machine busy (cores)',
  refusedP50Ms: 'refused p50 (ms)', refusedP99Ms: 'refused p99 (ms)', blackholedP50Ms: 'black-holed p50 (ms)', blackholedP99Ms: 'black-holed p99 (ms)',
  allOutMs: 'all out (ms)', driverCalls: 'driver calls', driverWrites: 'driver writes',
  withoutP99Ms: 'p99 without tarpits (ms)', withP99Ms: 'p99 with tarpits (ms)', withoutP50Ms: 'p50 without (ms)', withP50Ms: 'p50 with (ms)', delayP99Ms: 'Δ p99 (ms)',
  unchangedMs: 'unchanged (ms)', unchangedWrites: 'unchanged: writes', changedMs: '1 % changed (ms)', changedRulesWritten: '1 % changed: rules written',
  unchangedMaxLagMs: 'unchanged: worst check lag (ms)', changedMaxLagMs: 'changed: worst check lag (ms)',
};
const DIGITS = { cores: 3, projectedCores: 3, cpuPerCheckMs: 3, driverCores: 3, farmCores: 2, machineBusyCores: 2, lagP50Ms: 1, lagP99Ms: 1, startupS: 1, cpuSecPerMin: 1 };

function table(rows, cols, label) {
  if (!rows?.length) return '';
  const head = [...label, ...cols.map((c) => LABEL[c] ?? c)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${[...r.key, ...cols.map((c) => show(r.figures[c], DIGITS[c] ?? 0))].join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}

export function markdown(res) {
  const sc = res.scenarios;
  const m = res.meta;
  const out = [];
  out.push(`# lvsd benchmark — ${m.date}${m.quick ? ' (--quick)' : ''}`, '');
  out.push(`Commit ${m.commit}, Node ${m.node}, ${m.cpus} cores (${m.cpuModel}); load average at start ${m.loadStart.join(' ')}, at end ${m.loadEnd?.join(' ') ?? '–'}. ` +
    `Driver: ${m.ipvsadm}. Figures are median (min–max) over ${m.runs ? 'the repeats of the run that measured the row (one number: one repeat, or all alike)' : `${m.repeats} repeat(s)${m.ldRepeats !== m.repeats ? ` (ldirectord: ${m.ldRepeats})` : ''}`}. ` +
    'CPU is the daemon process alone (utime+stime); the machine is shared, see "machine busy" and "load" (the 1-minute load average when the row was measured).', '');
  if (m.runs?.length) {
    out.push(`Merged from ${m.runs.length} runs (\`--merge\`; a later run replaces a row it measured again):`, '');
    for (const r of m.runs) out.push(`- ${r.date} \`${r.args || '(full)'}\` at ${r.commit}, ${r.durationS ?? '?'} s, load ${r.loadStart?.join(' ') ?? '?'} → ${r.loadEnd?.join(' ') ?? '?'}`);
    out.push('');
  }
  out.push('## Targets', '', '| target | measured | met |', '|---|---|---|');
  for (const t of res.targets) out.push(`| ${t.target} | ${t.measured} | ${t.met === null ? 'not run' : t.met ? 'yes' : '**no**'}${t.note ? ` — ${t.note}` : ''} |`);
  out.push('');
  if (res.ratios.length) {
    out.push('## lvsd / ldirectord (same servers, same stand-in, same run)', '', '| scenario | N | check | figure | lvsd | ldirectord | lvsd/ldirectord |', '|---|---|---|---|---|---|---|');
    for (const r of res.ratios) out.push(`| ${r.scenario} | ${r.n} | ${r.check ?? ''} | ${LABEL[r.figure] ?? r.figure} | ${fmt(r.lvsd, DIGITS[r.figure] ?? 1)} | ${fmt(r.ldirectord, DIGITS[r.figure] ?? 1)} | ${fmt(r.ratio, 3)} |`);
    out.push('');
  }
  const key = (r) => [r.daemon, String(r.n), r.check ?? ''];
  const load = (r) => fmt(r.loadAvg?.[0], 1);
  if (sc.steady?.length) {
    out.push('## 1. Steady state (checkinterval=1)', '');
    out.push(table(sc.steady.map((r) => ({ key: [...key(r), load(r)], figures: r.figures })), ['cores', 'projectedCores', 'cpuPerCheckMs', 'rssMB', 'checksPerSec', 'lagP50Ms', 'lagP99Ms', 'periodP50Ms', 'periodP99Ms', 'startupS', 'driverCores', 'farmCores', 'machineBusyCores'], ['daemon', 'N', 'check', 'load']));
  }
  if (sc.detection?.length) {
    out.push(`## 2. Detection latency (interval 1 s, timeout ${sc.detection[0].timeoutS} s; failure → change at the driver)`, '');
    out.push(table(sc.detection.map((r) => ({ key: [...key(r), String(r.k), load(r)], figures: r.figures })), ['refusedP50Ms', 'refusedP99Ms', 'blackholedP50Ms', 'blackholedP99Ms'], ['daemon', 'N', 'check', 'failures', 'load']));
  }
  if (sc.massfail?.length) {
    out.push('## 3. Mass failure (half of N at once)', '');
    out.push(table(sc.massfail.map((r) => ({ key: [...key(r), r.driverName, load(r)], figures: r.figures })), ['allOutMs', 'driverCalls', 'driverWrites'], ['daemon', 'N', 'check', 'driver', 'load']));
  }
  if (sc.tarpit?.length) {
    out.push('## 4. Tarpit isolation (10 % accept and never answer; http, timeout 2 s)', '');
    out.push(table(sc.tarpit.map((r) => ({ key: [r.daemon, String(r.n), String(r.k), load(r)], figures: r.figures })), ['withoutP50Ms', 'withoutP99Ms', 'withP50Ms', 'withP99Ms', 'delayP99Ms'], ['daemon', 'N', 'failures', 'load']));
  }
  if (sc.reload?.length) {
    out.push('## 5. Reload (lvsd)', '');
    out.push(table(sc.reload.map((r) => ({ key: [String(r.n), load(r)], figures: r.figures })), ['unchangedMs', 'unchangedWrites', 'unchangedMaxLagMs', 'changedMs', 'changedRulesWritten', 'changedMaxLagMs'], ['N', 'load']));
  }
  if (sc.apply) {
    out.push('## 6. IPVS apply cost (one change set = one apply)', '', '| driver | set size | add set (ms) | delete set (ms) |', '|---|---|---|---|');
    for (const [name, r] of Object.entries(sc.apply)) {
      for (const [k, s] of Object.entries(r.sets)) out.push(`| ${name} | ${k} | ${show(s.addMs, 2)} | ${show(s.delMs, 2)} |`);
    }
    out.push('', '| driver | per change set (ms, smallest set) | per change (µs, marginal) |', '|---|---|---|');
    for (const [name, r] of Object.entries(sc.apply)) out.push(`| ${name} | ${fmt(r.perSetMs, 2)} | ${fmt(r.perChangeUs, 1)} |`);
    out.push('');
  }
  if (sc.floor?.length) {
    out.push('## 7. Floor: the same checks in bare Node (node:net only, no lvsd code)', '');
    out.push(table(sc.floor.map((r) => ({ key: [String(r.n), r.check, load(r)], figures: r.figures })), ['cpuPerCheckMs', 'checksPerSec'], ['servers', 'check', 'load']));
  }
  const failed = Object.entries(sc).flatMap(([name, list]) => (Array.isArray(list) ? list : []).flatMap((r) => (r.errors ?? []).map((e) => `${name}: ${r.daemon} N=${r.n}${r.check ? ` ${r.check}` : ''}: ${e}`)));
  if (failed.length) out.push('## Failed runs', '', ...failed.map((f) => `- ${f}`), '');
  if (m.notes.length) out.push('## Notes', '', ...m.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
