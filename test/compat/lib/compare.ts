// What is compared after each step, and how: ldirectord's log message catalogue (spec §3.6),
// alert mail events, the stand-in's tables, and the "final effect" comparison used where a
// documented difference lets lvsd take fewer steps to the same table.

/** Log lines both daemons write in ldirectord's words (spec §3.6); everything else is not compared. */
const CATALOGUE: RegExp[] = [
  /^(Added|Changed) virtual server: /,
  /^Purged (virtual|real) server \((start|stop)\): /,
  /^(Added|Restored|Quiescent|Readd Quiescent|Deleted) real server: /,
  /^(Added|Deleted) fallback server: /,
  /^Soft failure real server: /,
  /^Resetting soft failure count: /,
  /^Reloading Linux Director Daemon config on signal$/,
  /^Configuration file '.*' has changed on disk$/,
  /^ - (reread|ignore) new configuration$/,
  /^Linux Director Daemon terminated on signal: /,
];

/** The compared log lines among a daemon's output (both run with -d: plain lines on stderr). */
export function catalogue(lines: readonly string[]): string[] {
  return lines.filter((l) => !l.startsWith('DEBUG') && CATALOGUE.some((re) => re.test(l)));
}

/** Changes that are mailed (spec §4): real and fallback adds, restores, quiesces, deletes, purges. */
const MAILED = /^(Added|Restored|Quiescent|Readd Quiescent|Deleted) real server: |^Purged real server \(|^(Added|Deleted) fallback server: /;
export const isMailed = (line: string): boolean => MAILED.test(line);

/** `[servicename] ` in front of a mail's Log-Message. */
export const stripService = (event: string): string => event.replace(/^\[[^\]]*\] /, '');

export const isSoft = (line: string): boolean => /^(Soft failure real server|Resetting soft failure count): /.test(line);

/**
 * What a line does to the table, keyed by what it is about: `real R (V)` / `fallback F (V)` /
 * `virtual V`, where R is the configured address (the `mapped from` one when given).
 * Undefined for lines that change nothing (soft failures, reload notices, ...).
 */
export function effectOf(line: string): { key: string; effect: string } | undefined {
  let m = /^(?:Added|Changed) virtual server: (.+)$/.exec(line);
  if (m) return { key: `virtual ${m[1]}`, effect: 'present' };
  m = /^Purged virtual server \(\w+\): (.+)$/.exec(line);
  if (m) return { key: `virtual ${m[1]}`, effect: 'absent' };
  m = /^(Added|Restored|Quiescent|Readd Quiescent) real server: (\S+)(?: mapped from (\S+))? \((.+?)\) \(Weight set to (\d+)\)$/.exec(line);
  if (m) return { key: `real ${m[3] ?? m[2]} (${m[4]})`, effect: `weight ${m[5]}` };
  m = /^Deleted real server: (\S+)(?: mapped from (\S+))? \((.+?)\)$/.exec(line);
  if (m) return { key: `real ${m[2] ?? m[1]} (${m[3]})`, effect: 'absent' };
  m = /^Purged real server \(\w+\): (\S+) \((.+?)\)$/.exec(line);
  if (m) return { key: `real ${m[1]} (${m[2]})`, effect: 'absent' };
  m = /^Added fallback server: (\S+) \((.+?)\) \(Weight set to \d+\)$/.exec(line);
  if (m) return { key: `fallback ${m[1]} (${m[2]})`, effect: 'present' };
  m = /^Deleted fallback server: (\S+) \((.+?)\)$/.exec(line);
  if (m) return { key: `fallback ${m[1]} (${m[2]})`, effect: 'absent' };
  return undefined;
}

/** The last effect per key, in log order. */
export function finalEffects(lines: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of lines) {
    const e = effectOf(l);
    if (e) out.set(e.key, e.effect);
  }
  return out;
}

/** Lines of `a` missing from `b` and the other way round, as multisets. */
export function multisetDiff(a: readonly string[], b: readonly string[]): { onlyA: string[]; onlyB: string[] } {
  const count = new Map<string, number>();
  for (const x of a) count.set(x, (count.get(x) ?? 0) + 1);
  const onlyB: string[] = [];
  for (const x of b) {
    const n = count.get(x) ?? 0;
    if (n > 0) count.set(x, n - 1);
    else onlyB.push(x);
  }
  const onlyA = [...count].flatMap(([x, n]) => Array<string>(n).fill(x));
  return { onlyA, onlyB };
}

/** Describe a multiset mismatch between ldirectord (`ld`) and lvsd (`lv`), or nothing. */
export function mismatch(what: string, ld: readonly string[], lv: readonly string[]): string[] {
  const { onlyA, onlyB } = multisetDiff(ld, lv);
  return [...onlyA.map((x) => `${what}: only ldirectord: ${x}`), ...onlyB.map((x) => `${what}: only lvsd: ${x}`)];
}

/**
 * The final-effect comparison (start and reload, where ldirectord churns): every key lvsd logs
 * must end where ldirectord's log ends for it, and lvsd must touch each key once, except a
 * real that a reload removes, which is drained (weight 0) before it is purged.
 */
export function effectMismatch(ld: readonly string[], lv: readonly string[]): string[] {
  const out: string[] = [];
  const ldEnd = finalEffects(ld);
  const seen = new Map<string, string[]>();
  for (const l of lv) {
    const e = effectOf(l);
    if (!e) continue;
    seen.set(e.key, [...(seen.get(e.key) ?? []), e.effect]);
  }
  for (const [key, effects] of seen) {
    const end = effects[effects.length - 1]!;
    if (ldEnd.get(key) !== end) out.push(`effect: ${key}: lvsd ends at "${end}", ldirectord at "${ldEnd.get(key) ?? 'no change'}"`);
    const drained = effects.length === 2 && effects[0] === 'weight 0' && effects[1] === 'absent';
    if (effects.length > 1 && !drained) out.push(`churn: lvsd changed ${key} ${effects.length} times (${effects.join(' → ')})`);
  }
  return out;
}
