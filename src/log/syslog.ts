// Syslog through the local datagram socket (/dev/log), as syslog(3) writes it:
// `<PRI>Mmm dd hh:mm:ss ident[pid]: message`. journald and rsyslog both parse this form.
// No connection is kept: each datagram is addressed to the path, so a restarted syslog daemon
// is reached again at once. A failure (no syslog running, queue full) drops the line and is
// reported once per episode by the caller's onError.
import { DgramSender } from './unix-dgram.js';
import { syslogTime } from './text.js';

/** Facility names logfile= accepts (anything not starting with `/`), with their codes. */
export const SYSLOG_FACILITIES: Readonly<Record<string, number>> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9,
  authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

export type SyslogSeverity = 'err' | 'warning' | 'info' | 'debug';
const SEVERITY: Record<SyslogSeverity, number> = { err: 3, warning: 4, info: 6, debug: 7 };

/** rsyslog's default maximum message size; journald accepts more, but nobody needs it. */
const MAX_BYTES = 8192;

/** The facility code for a logfile= value, or undefined when it is not a facility name. */
export function facilityCode(name: string): number | undefined {
  const key = name.trim().toLowerCase();
  return Object.hasOwn(SYSLOG_FACILITIES, key) ? SYSLOG_FACILITIES[key] : undefined;
}

export interface SyslogOptions {
  facility: number;
  ident: string;
  pid: number;
  /** default /dev/log */
  path?: string;
  onError(err: Error & { code?: string }): void;
  onRecover?(): void;
}

export class SyslogSink {
  private readonly sender = new DgramSender();
  private failing = false;

  constructor(private readonly opts: SyslogOptions) {}

  /** Resolves once the datagram was handed to the kernel (or dropped); never rejects. */
  async write(severity: SyslogSeverity, message: string, at = new Date()): Promise<boolean> {
    const pri = this.opts.facility * 8 + SEVERITY[severity];
    let data = Buffer.from(`<${pri}>${syslogTime(at)} ${this.opts.ident}[${this.opts.pid}]: ${message}`);
    if (data.length > MAX_BYTES) data = data.subarray(0, MAX_BYTES);
    try {
      await this.sender.send(this.opts.path ?? '/dev/log', data);
      if (this.failing) {
        this.failing = false;
        this.opts.onRecover?.();
      }
      return true;
    } catch (e) {
      if (!this.failing) {
        this.failing = true;
        this.opts.onError(e as Error & { code?: string });
      }
      return false;
    }
  }

  close(): void {
    this.sender.close();
  }
}
