// The peer (leaf) certificate a TLS check saw, carried in its result so that status, metrics and
// the expiry warning can show it. Read from the socket once the handshake is done, whatever the
// check then concludes; reading it never fails a check.
import type tls from 'node:tls';
import type { CertInfo, CheckResult } from './types.js';

const MS_PER_DAY = 86_400_000;

/** The leaf certificate of a finished handshake; undefined when there is none or it cannot be read. */
export function peerCert(sock: tls.TLSSocket): CertInfo | undefined {
  try {
    const x = sock.getPeerX509Certificate();
    if (!x) return undefined;
    const notAfter = Date.parse(x.validTo);
    if (!Number.isFinite(notAfter)) return undefined;
    // Subject is `CN=...` lines (one per RDN); the CN says which certificate in a mail or a table.
    const cn = /^CN=(.*)$/m.exec(x.subject)?.[1] ?? x.subject.replace(/\n/g, ', ');
    // what a server put in its certificate goes to logs and mails: no control characters
    // eslint-disable-next-line no-control-regex
    return { notAfter, subject: cn.replace(/[\x00-\x1f\x7f-\x9f]/g, '?').slice(0, 200), fingerprint: x.fingerprint256 };
  } catch {
    return undefined;
  }
}

/** Days until `notAfter` (negative once expired), to one decimal. */
export function daysLeft(notAfter: number, now = Date.now()): number {
  return Math.floor(((notAfter - now) / MS_PER_DAY) * 10) / 10;
}

/** Where one check keeps the certificate of its (first) handshake. */
export class CertSink {
  cert?: CertInfo;

  /** Listen on a TLS socket: its certificate is kept once its handshake is done (first one wins). */
  watch<T extends tls.TLSSocket>(sock: T): T {
    sock.once('secureConnect', () => this.take(sock));
    return sock;
  }

  take(sock: tls.TLSSocket): void {
    this.cert ??= peerCert(sock);
  }

  /** The result with the certificate, when one was seen. */
  into(r: CheckResult): CheckResult {
    return this.cert ? { ...r, cert: this.cert } : r;
  }
}

/** Run a check with a fresh sink; its result carries the certificate the check saw. */
export async function withPeerCert(run: (sink: CertSink) => Promise<CheckResult>): Promise<CheckResult> {
  const sink = new CertSink();
  return sink.into(await run(sink));
}
