// certwarndays: a real's TLS certificate coming near its expiry is said once — logged, and as a
// `cert-expiring` event that alerts/mailer.ts mails — per certificate (its fingerprint) and virtual service,
// not on every check. A renewed certificate is another certificate: it is warned about again
// when it in turn nears expiry. What was warned is kept in memory only: a restart warns once more.
import { daysLeft } from '../checks/cert.js';
import type { CertInfo } from '../checks/types.js';
import { effective, hostPort, virtualId, virtualLabel } from '../config/effective.js';
import type { Config } from '../config/model.js';
import type { DaemonBus, DaemonEvents } from '../events/index.js';
import type { Binding } from './targets.js';

/** Certificates remembered per virtual service beyond its reals' count (a real may alternate). */
const SLACK = 8;

/** Which (virtual, certificate) pairs have been warned about; bounded per virtual service. */
export class CertWarnings {
  private readonly warned = new Map<string, Set<string>>();

  /** True the first time this certificate, within `warnDays` of expiry, is seen for this virtual. */
  shouldWarn(virtual: string, cert: CertInfo, warnDays: number, reals: number, now = Date.now()): boolean {
    if (warnDays <= 0 || daysLeft(cert.notAfter, now) > warnDays) return false;
    let seen = this.warned.get(virtual);
    if (!seen) this.warned.set(virtual, (seen = new Set()));
    if (seen.has(cert.fingerprint)) return false;
    seen.add(cert.fingerprint);
    // oldest first out: a set that keeps growing is certificates that have since been replaced
    for (const old of seen) {
      if (seen.size <= reals + SLACK) break;
      seen.delete(old);
    }
    return true;
  }

  /** Forget virtual services that are no longer configured. */
  keepOnly(virtuals: ReadonlySet<string>): void {
    for (const v of this.warned.keys()) if (!virtuals.has(v)) this.warned.delete(v);
  }
}

export interface CertWatchOptions {
  config(): Config;
  bindingsFor(key: string): readonly Binding[];
}

/** Listen to finished checks; emit `cert-expiring` (and a log line) when a certificate nears expiry. */
export function attachCertWatch(bus: DaemonBus, opts: CertWatchOptions): () => void {
  const warnings = new CertWarnings();
  // Only while running: a warning found at start or during a reload would be filtered by
  // emailalertstatus=running and then never mailed; checks go on, so the next one after that warns.
  let running = false;
  const onCheck = (e: DaemonEvents['check'][0]) => {
    const cert = e.result.cert;
    if (!cert || !running) return;
    const config = opts.config();
    for (const b of opts.bindingsFor(e.key)) {
      const v = b.virtual;
      if (!warnings.shouldWarn(virtualId(v), cert, effective(config, v).certwarndays, v.reals.length)) continue;
      const left = daysLeft(cert.notAfter);
      const subject = `${hostPort(b.real.address, b.real.port)} (${virtualLabel(v)})`;
      const when = left < 0 ? `expired ${Math.abs(left)} days ago` : `expires in ${left} days`;
      const message = `TLS certificate of real server ${subject} ${when}: ${cert.subject}, not after ${new Date(cert.notAfter).toISOString()}`;
      bus.emit('log', { level: 'warn', message });
      bus.emit('cert-expiring', { virtual: v, real: b.real, cert, daysLeft: left, message, subject, at: Date.now() });
    }
  };
  const onState = (e: DaemonEvents['state'][0]) => {
    running = e.state === 'running';
    warnings.keepOnly(new Set(e.config.virtuals.map(virtualId)));
  };
  bus.on('check', onCheck);
  bus.on('state', onState);
  return () => {
    bus.off('check', onCheck);
    bus.off('state', onState);
  };
}
