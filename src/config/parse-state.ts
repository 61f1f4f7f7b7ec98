// Parse state shared by both front ends (errors, warnings, the virtuals read so far) and
// the value helpers that reproduce ldirectord's exact checks.
import { hostname } from 'node:os';
import { ConfigError } from './errors.js';
import type { Config, ConfigWarning, GlobalSettings, VirtualService } from './model.js';

// Perl's \s and \S on byte strings (JS's also match Unicode spaces).
export const WS = '[ \\t\\n\\r\\f\\v]';
export const NWS = '[^ \\t\\n\\r\\f\\v]';

// ---- parse state ------------------------------------------------------------------------

export class ParseState {
  readonly global: GlobalSettings = {};
  readonly virtuals: VirtualService[] = [];
  readonly warnings: ConfigWarning[] = [];
  private readonly ids = new Set<string>();
  /** virtuals that set checkinterval, with the line (warned about when fork=no). */
  readonly checkintervalAt = new Map<VirtualService, number>();
  /** sync daemon options given, with their lines (warned about without syncinterface). */
  readonly syncAt = new Map<string, number>();
  readonly hostname = process.env.HOSTNAME ?? hostname();

  constructor(
    readonly file: string,
    readonly format: 'cf' | 'yaml',
  ) {}

  fail(line: number, message: string): never {
    throw new ConfigError(this.file, line, message);
  }

  warn(line: number, message: string): void {
    this.warnings.push({ file: this.file, line, message });
  }

  loc(line: number): { file: string; line: number } {
    return { file: this.file, line };
  }

  /** Registers a finished virtual; `line` is where ldirectord reports a duplicate. */
  addVirtual(v: VirtualService, line: number): void {
    const id = v.protocol === 'fwm' ? `fwm${v.family === 6 ? '6' : ''}:${v.fwmark}` : `${v.protocol}:${v.family === 6 ? `[${v.address}]` : v.address}:${v.port}`;
    if (this.ids.has(id)) {
      const first = this.virtuals.find((o) => o.protocol === v.protocol && o.address === v.address && o.port === v.port && o.fwmark === v.fwmark && o.family === v.family);
      this.fail(line, `duplicate virtual server ${id}${first ? ` (already defined at line ${first.source.line})` : ''}`);
    }
    this.ids.add(id);
    this.virtuals.push(v);
  }

  finish(): Config {
    if (this.global.fork !== true) {
      for (const [v, line] of this.checkintervalAt) {
        this.warn(line, `checkinterval in virtual service at line ${v.source.line} is ignored by ldirectord when fork=no (lvsd honours it)`);
      }
    }
    if (this.global.syncinterface === undefined) {
      for (const [name, line] of this.syncAt) this.warn(line, `${name} has no effect without syncinterface (lvsd leaves the sync daemons alone)`);
    }
    return { file: this.file, format: this.format, global: this.global, virtuals: this.virtuals, warnings: this.warnings };
  }
}


// ---- value helpers ----------------------------------------------------------------------

export function show(s: string): string {
  return JSON.stringify(s);
}

/** Why an exact yes/no comparison failed, in words. */
export function exactHint(value: string, accepted: readonly string[]): string {
  const t = value.replace(/[ \t\r\n\f\v]+$/, '');
  if (accepted.includes(t) && /\r$/.test(value)) return ' — the line ends with a carriage return (CRLF line endings); convert the file to LF';
  if (accepted.includes(t)) return ' — trailing whitespace is not allowed';
  const beforeHash = value.split('#')[0]!.trim();
  if (value.includes('#') && accepted.includes(beforeHash)) return ' — a comment after the value is not allowed on a global line (ldirectord does not strip comments there)';
  if (accepted.includes(value.trim().toLowerCase())) return ' — values are case-sensitive';
  if (value !== value.trimStart() && accepted.includes(value.trim())) return ' — remove the whitespace';
  return '';
}

export function yesNo(st: ParseState, line: number, name: string, value: string): boolean {
  if (value === 'yes') return true;
  if (value === 'no') return false;
  return st.fail(line, `${name} must be "yes" or "no", got ${show(value)}${exactHint(value, ['yes', 'no'])}`);
}

/** Warns when ldirectord silently used only part of a value. */
export function partial(st: ParseState, line: number, name: string, value: string, used: string): void {
  if (value.trim() !== used) st.warn(line, `${name}=${value}: only ${show(used)} is used (ldirectord ignores the rest)`);
}

/**
 * `/(\d+)/` and non-zero, as ldirectord reads counts and timeouts. Deviation: a run of zeros
 * such as "00" is refused (Perl's string truthiness let it through inside a virtual).
 */
export function positive(st: ParseState, line: number, name: string, value: string, what: string): number {
  const m = /\d+/.exec(value);
  if (!m) return st.fail(line, `${name} needs ${what}, got ${show(value)}`);
  const n = Number(m[0]);
  if (n === 0) return st.fail(line, `${name} must be greater than 0`);
  partial(st, line, name, value, m[0]);
  return n;
}

export function nonEmpty(st: ParseState, line: number, name: string, value: string, what: string): string {
  if (value === '') return st.fail(line, `${name} must not be empty (${what})`);
  return value;
}

