// Request/answer exchanges over TCP or UDP for the negotiate checks (simpletcp, sip, dns).
// Each resolves with the verdict of its `answer` callback and rejects on socket errors; both
// give up and release the socket when `signal` aborts (the caller's runCheck settles then).
import dgram from 'node:dgram';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { CheckResult } from './types.js';

export interface Exchange {
  host: string;
  port: number;
  /** the request; gets the local address (SIP puts it in Via). */
  request: (local: AddressInfo) => Buffer;
  /** a verdict from one chunk / datagram, or undefined to keep reading. May throw. */
  answer: (data: Buffer) => CheckResult | undefined;
}

export interface TcpExchange extends Exchange {
  /** half-close after sending (simpletcp does, like ldirectord's shutdown(SHUT_WR)). */
  halfClose: boolean;
  /** verdict when the server closes without a verdict from `answer`. */
  closed: () => CheckResult;
}

export function tcpExchange(x: TcpExchange, signal: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: x.host, port: x.port });
    const close = (): void => {
      sock.destroy();
    };
    signal.addEventListener('abort', close, { once: true });
    const settle = (f: () => CheckResult): void => {
      try {
        resolve(f());
      } catch (e) {
        reject(e);
      }
      close();
    };
    sock.on('error', (e) => {
      close();
      reject(e);
    });
    sock.once('connect', () => {
      const req = x.request(sock.address() as AddressInfo);
      if (x.halfClose) sock.end(req);
      else sock.write(req);
    });
    sock.on('data', (chunk: Buffer) => {
      try {
        const verdict = x.answer(chunk);
        if (verdict) settle(() => verdict);
      } catch (e) {
        close();
        reject(e);
      }
    });
    sock.once('end', () => settle(x.closed));
  });
}

/** UDP: connect (so ICMP port-unreachable surfaces as ECONNREFUSED), send, wait for replies. */
export function udpExchange(x: Exchange, family: 4 | 6, signal: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    const close = (): void => {
      try {
        sock.close();
      } catch {
        // already closed
      }
    };
    signal.addEventListener('abort', close, { once: true });
    const fail = (e: unknown): void => {
      close();
      reject(e);
    };
    sock.on('error', fail);
    sock.on('message', (msg) => {
      try {
        const verdict = x.answer(msg);
        if (verdict) {
          close();
          resolve(verdict);
        }
      } catch (e) {
        fail(e);
      }
    });
    sock.connect(x.port, x.host, () => {
      try {
        sock.send(x.request(sock.address()), (e) => e && fail(e));
      } catch (e) {
        fail(e);
      }
    });
  });
}

export function familyOf(host: string, fallback: 4 | 6): 4 | 6 {
  const f = net.isIP(host);
  return f === 4 || f === 6 ? f : fallback;
}
