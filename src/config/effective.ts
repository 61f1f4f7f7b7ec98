// Effective per-virtual settings: ldirectord's precedence rules (spec §1.5) in one place.
import type { Config, Fallback, VirtualService, EmailStatus } from './model.js';
import { hostPort } from '../address.js';

// the config's users have always taken it from here
export { hostPort };

export interface EffectiveSettings {
  checktimeout: number;
  negotiatetimeout: number;
  checkinterval: number;
  checkcount: number;
  failurecount: number;
  rise: number;
  slowstart: number;
  quiescent: boolean;
  cleanstop: boolean;
  fallback?: Fallback;
  fallbackcommand?: string;
  emailalert: string[];
  emailalertfreq: number;
  emailalertstatus: EmailStatus[];
  smtp?: string;
  /** days before a TLS certificate's expiry when it is mailed; 0 = off. */
  certwarndays: number;
}

const ALL_STATUS: EmailStatus[] = ['starting', 'running', 'stopping', 'reloading'];

function firstDefined(...xs: (number | undefined)[]): number | undefined {
  return xs.find((x) => x !== undefined && x >= 0);
}

export function effective(cfg: Config, v: VirtualService): EffectiveSettings {
  const g = cfg.global;
  const o = v.overrides;
  // Virtual-level values beat global ones regardless of kind (spec §1.5).
  const checktimeout = firstDefined(o.checktimeout, o.negotiatetimeout, g.checktimeout, g.negotiatetimeout) ?? 5;
  const negotiatetimeout =
    firstDefined(o.negotiatetimeout, o.checktimeout, g.negotiatetimeout, g.checktimeout) ?? 30;
  const globalFallback = v.family === 6 ? g.fallback6 : g.fallback;
  return {
    checktimeout,
    negotiatetimeout,
    // lvsd honours a per-virtual checkinterval always: every real has its own timer anyway.
    checkinterval: o.checkinterval ?? g.checkinterval ?? 10,
    checkcount: o.checkcount ?? g.checkcount ?? 1,
    failurecount: o.failurecount ?? g.failurecount ?? 1,
    rise: o.rise ?? g.rise ?? 1,
    slowstart: o.slowstart ?? g.slowstart ?? 0,
    quiescent: o.quiescent ?? g.quiescent ?? false,
    cleanstop: o.cleanstop ?? g.cleanstop ?? true,
    fallback: v.fallback ?? globalFallback,
    fallbackcommand: o.fallbackcommand ?? g.fallbackcommand,
    emailalert: o.emailalert ?? g.emailalert ?? [],
    emailalertfreq: o.emailalertfreq ?? g.emailalertfreq ?? 0,
    emailalertstatus: o.emailalertstatus ?? g.emailalertstatus ?? ALL_STATUS,
    smtp: o.smtp ?? g.smtp,
    certwarndays: o.certwarndays ?? g.certwarndays ?? 0,
  };
}

/** ldirectord's virtual id: `tcp:10.0.0.1:80`, `udp:[2001:db8::1]:53`, `fwm:7`, `fwm6:8`. */
export function virtualId(v: VirtualService): string {
  if (v.protocol === 'fwm') return `${v.family === 6 ? 'fwm6' : 'fwm'}:${v.fwmark}`;
  return `${v.protocol}:${hostPort(v.address ?? '', v.port)}`;
}

/** What ldirectord prints for a virtual in log lines: `10.0.0.1:80`, `[::1]:80`, `7`. */
export function virtualLabel(v: VirtualService): string {
  if (v.protocol === 'fwm') return String(v.fwmark);
  return hostPort(v.address ?? '', v.port);
}
