// What one daemon shows after a step (table, catalogue log lines, mail events), how steps are
// known to be settled, and the comparison of both views under the named differences in force.
import type { Side } from './daemons.js';
import type { Mail } from './mail.js';
import type { World } from './world.js';
import { catalogue, effectMismatch, effectOf, isMailed, isSoft, mismatch, stripService } from './compare.js';
import type { DifferenceId } from './differences.js';

export interface View {
  table: string[];
  log: string[];
  /** `rcpt [status] Log-Message` per mailed event. */
  mails: string[];
  /** the raw mails of this step. */
  raw: Mail[];
  /** why reals changed state (not compared; shown when a step differs). */
  why: string[];
}

export interface DifferenceUse {
  id: DifferenceId;
  /**
   * Case-specific part: turn `ld` (ldirectord's view) into what lvsd must show, in place, and
   * return extra mismatches about lvsd alone.
   */
  apply?(ld: View, lv: View, w: World): string[] | void;
}

/** Differences in force at every step. */
export const ALWAYS: DifferenceId[] = ['mail-coalescing', 'readd-mail-text'];

const LD_CHECK = /^DEBUG2: Checking (?:negotiate|connect|connect \(ping\)|ping|external|external-perl|combined-connect): real server=(\S+)|^DEBUG2: Checking (on|off):/;
const LV_CHECK = /^Check (\S+): (?:up|down) /;

/**
 * The fewest checks any live real has had since line `from` (0 when none has been checked). A
 * check id that others have passed twice since it was last seen is gone (a reload changed or
 * removed it, or the real is in maintenance, which ldirectord does not check) and is left out.
 */
export function checksSince(side: Side, from: number): number {
  const re = side.which === 'ldirectord' ? LD_CHECK : LV_CHECK;
  const events: string[] = [];
  for (let i = from; i < side.lines.length; i++) {
    const m = re.exec(side.lines[i]!);
    if (m) events.push(m[1] ?? m[2]!);
  }
  const counts: number[] = [];
  for (const key of new Set(events)) {
    const after = events.slice(events.lastIndexOf(key) + 1);
    const passed = new Map<string, number>();
    for (const k of after) passed.set(k, (passed.get(k) ?? 0) + 1);
    if ([...passed.values()].some((n) => n >= 2)) continue;
    counts.push(events.filter((k) => k === key).length);
  }
  return counts.length === 0 ? 0 : Math.min(...counts);
}

export function viewOf(side: Side, table: string[], from: number, mails: Mail[], ignore?: RegExp): View {
  const raw = mails.filter((m) => m.from === side.which);
  return {
    table,
    log: catalogue(side.lines.slice(from)).filter((l) => !ignore?.test(l)),
    mails: raw.flatMap((m) => m.events.map((e) => `${[...m.rcpt].sort().join(',')} [${m.status}] ${e}`)),
    raw,
    why: side.lines
      .slice(from)
      .filter((l) => WHY.test(l))
      .filter((l, i, all) => all.indexOf(l) === i)
      .slice(-30),
  };
}

/** lvsd's "Real server R (V) is down: reason" and ldirectord's debug verdicts. */
const WHY = /^Real server \S+ \(.*\) is (up|down): |^DEBUG2: (check_\w+: .* is (up|down)|Return status: |Disabled real server=|Enabled  real server=)/;

const eventOf = (mail: string): string => mail.replace(/^\S* \[[\w*]+\] /, '');

/** ldirectord mails a re-added quiescent real as "Quiescent real server" (spec §7.18). */
function readdMailText(ld: View): void {
  for (const line of ld.log.filter((l) => l.startsWith('Readd Quiescent real server: '))) {
    const plain = line.replace(/^Readd /, '');
    const i = ld.mails.findIndex((m) => stripService(eventOf(m)) === plain);
    if (i >= 0) ld.mails[i] = ld.mails[i]!.replace(plain, line);
  }
}

/** Compare one step's views under the differences in force; `ld` is changed into lvsd's expectation. */
export function compareViews(differences: (DifferenceId | DifferenceUse)[], ld: View, lv: View, w: World): string[] {
  const uses = differences.map((d) => (typeof d === 'string' ? { id: d } : d));
  const ids = new Set<DifferenceId>([...ALWAYS, ...uses.map((u) => u.id)]);
  const out: string[] = [];
  for (const u of uses) out.push(...(u.apply?.(ld, lv, w) ?? []));
  if (ids.has('readd-mail-text')) readdMailText(ld);
  if (ids.has('stop-purge')) {
    ld.log = ld.log.filter((l) => !l.startsWith('Purged real server (stop): '));
    ld.mails = ld.mails.filter((m) => !stripService(eventOf(m)).startsWith('Purged real server (stop): '));
  }
  out.push(...mismatch('table', ld.table, lv.table));
  if (ids.has('start-churn') || ids.has('reload-minimal')) {
    const ldLog = ld.log.filter((l) => !isSoft(l));
    const lvLog = lv.log.filter((l) => !isSoft(l));
    out.push(...effectMismatch(ldLog, lvLog));
    out.push(...mismatch('log', ldLog.filter((l) => !effectOf(l)), lvLog.filter((l) => !effectOf(l))));
    // lvsd mails what it logs (ldirectord does too, churn included).
    out.push(...mismatch('lvsd mail vs its log', lv.log.filter(isMailed), lv.mails.map((m) => stripService(eventOf(m)))));
    const rcpt = (v: View) => [...new Set(v.mails.map((m) => m.split(' ', 1)[0]!))].sort().join(' ');
    if (lv.mails.length && ld.mails.length && rcpt(ld) !== rcpt(lv)) out.push(`mail recipients: ldirectord ${rcpt(ld)}, lvsd ${rcpt(lv)}`);
  } else {
    out.push(...mismatch('log', ld.log, lv.log));
    out.push(...mismatch('mail', ld.mails, lv.mails));
  }
  return out;
}

