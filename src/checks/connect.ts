// checktype=connect (spec §3.3 item 3): a TCP connect to host:port within checktimeout.
// For protocol udp ldirectord pings instead (a UDP "connect" proves nothing).
import net from 'node:net';
import { runCheck, up } from './deadline.js';
import { pingChecker } from './ping.js';
import type { CheckResult, CheckTarget, Checker } from './types.js';

/** Resolves once a TCP connection to host:port is established; rejects with the socket error. */
export function tcpConnect(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: target.host, port: target.port });
    const close = (): void => {
      sock.destroy();
    };
    signal.addEventListener('abort', close, { once: true });
    sock.once('connect', () => {
      close();
      resolve(up('Success'));
    });
    sock.on('error', (e) => {
      close();
      reject(e);
    });
  });
}

export const tcpConnectChecker: Checker = {
  check: (target, signal) => runCheck(signal, target.checktimeout, (s) => tcpConnect(target, s)),
};

export const connectChecker: Checker = {
  check: (target, signal) =>
    target.protocol === 'udp' ? pingChecker.check(target, signal) : tcpConnectChecker.check(target, signal),
};
