// service=ldap / ldaps (spec §6): simple bind with login+passwd (anonymous otherwise), then a
// base-scope search of the request minus its leading "/" with (objectClass=*). Up when exactly one
// entry comes back and, when receive is set, its DN matches. Messages are ldirectord's.
import net from 'node:net';
import tls from 'node:tls';
import { Client } from 'ldapts';
import { withPeerCert, type CertSink } from '../cert.js';
import { describeError, down, runCheck, up } from '../deadline.js';
import { matchReceive } from '../receive.js';
import type { CheckResult, CheckTarget, Checker } from '../types.js';
import { socketTracker } from './capped-socket.js';
import { printable, tlsOptionsFor } from './line-client.js';

const MAX_LDAP_BYTES = 256 * 1024;

async function ldap(target: CheckTarget, certs: CertSink | undefined, signal: AbortSignal): Promise<CheckResult> {
  const sockets = socketTracker(MAX_LDAP_BYTES, signal);
  const host = net.isIPv6(target.host) ? `[${target.host}]` : target.host;
  // No ldapts timeouts: runCheck's deadline closes our sockets, which fails pending operations,
  // while ldapts's own message timers would outlive a closed connection (they are not cleared).
  const secure = certs !== undefined;
  const client = new Client({
    url: `${secure ? 'ldaps' : 'ldap'}://${host}:${target.port}`,
    strictDN: false,
    ...(secure ? { tlsOptions: tlsOptionsFor(target) } : {}),
    createConnection: ((port: number, h: string) => sockets.track(net.connect(port, h))) as typeof net.connect,
    createSecureConnection: ((port: number, h: string, opts?: tls.ConnectionOptions) => {
      const sock = tls.connect(port, h, opts);
      certs?.watch(sock);
      return sockets.track(sock);
    }) as typeof tls.connect,
  });
  try {
    try {
      // Net::LDAP binds anonymously unless both login and passwd are set.
      if (target.login && target.passwd) await client.bind(target.login, target.passwd);
      else await client.bind('', '');
    } catch (e) {
      return down(`${client.isConnected ? 'Bind failed' : 'Connection failed'}: ${printable(describeError(e))}`);
    }
    let entries;
    try {
      const base = target.request.replace(/^\//, '');
      ({ searchEntries: entries } = await client.search(base, {
        scope: 'base',
        filter: '(objectClass=*)',
        attributes: ['1.1'],
        sizeLimit: 2,
      }));
    } catch (e) {
      return down(`No answer received: ${printable(describeError(e))}`);
    }
    if (entries.length !== 1) return down(`No answer received: ${entries.length} entries`);
    const dn = entries[0]?.dn ?? '';
    if (target.receive && !(await matchReceive(target.receive, dn, signal))) return down(`Response mismatch: ${printable(dn)}`);
    return up('Success');
  } finally {
    // Polite unbind when the connection still stands; the signal closes it either way.
    client.unbind().catch(() => undefined);
  }
}

export const ldapChecker: Checker = {
  check: (target, signal) => runCheck(signal, target.negotiatetimeout, (s) => ldap(target, undefined, s)),
};

export const ldapsChecker: Checker = {
  check: (target, signal) => withPeerCert((certs) => runCheck(signal, target.negotiatetimeout, (s) => ldap(target, certs, s))),
};
