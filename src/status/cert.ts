// A real's TLS certificate as status shows it: days left counted when the status is made, so
// the number is current however long ago the check ran.
import { daysLeft } from '../checks/cert.js';
import type { CertInfo } from '../checks/types.js';
import type { CertStatus } from './types.js';

export function certStatus(c: CertInfo, warnDays: number, now = Date.now()): CertStatus {
  const left = daysLeft(c.notAfter, now);
  return {
    subject: c.subject,
    fingerprint: c.fingerprint,
    notAfter: new Date(c.notAfter).toISOString(),
    daysLeft: left,
    expiring: left < 0 || (warnDays > 0 && left <= warnDays),
  };
}
