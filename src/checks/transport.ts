// Request/answer exchanges over TCP or UDP for the negotiate checks (simpletcp, sip, dns).
// Each resolves with the verdict of its `answer` callback and rejects on socket errors; both
// give up and release the socket when `signal` aborts (the caller's runCheck settles then).
// Verdicts may be asynchronous (a receive pattern is matched off the event loop): over TCP the
// chunks are judged one after another, in order; the first verdict wins.
import dgram from 'node:dgram';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { CheckResult } from './types.js';

type Verdict = CheckResult | undefined;

/** Datagrams kept waiting while an earlier one is judged. */
const MAX_DATAGRAM_BACKLOG = 16;

export interface Exchange {
  host: string;
  port: number;
  /** the request; gets the local address (SIP puts it in Via). */
  request: (local: AddressInfo) => Buffer;
  /** a verdict from one chunk / datagram, or undefined to keep reading. May throw or reject. */
  answer: (data: Buffer) => Verdict | Promise<Verdict>;
}

export interface TcpExchange extends Exchange {
  /** half-close after sending (simpletcp does, like ldirectord's shutdown(SHUT_WR)). */
  halfClose: boolean;
  /** verdict when the server closes without a verdict from `answer`. */
  closed: () => CheckResult | Promise<CheckResult>;
}

export function tcpExchange(x: TcpExchange, signal: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: x.host, port: x.port });
    const close = (): void => {
      sock.destroy();
    };
    signal.addEventListener('abort', close, { once: true });
    let settled = false;
    const fail = (e: unknown): void => {
      settled = true;
      close();
      reject(e);
    };
    // Judging is serialised: a chunk is looked at only after the one before it was.
    let judged: Promise<void> = Promise.resolve();
    const judge = (f: () => Verdict | Promise<Verdict>): void => {
      judged = judged
        .then(async () => {
          if (settled) return;
          const verdict = await f();
          if (verdict && !settled) {
            settled = true;
            resolve(verdict);
            close();
          }
        })
        .catch(fail);
    };
    sock.on('error', fail);
    sock.once('connect', () => {
      const req = x.request(sock.address() as AddressInfo);
      if (x.halfClose) sock.end(req);
      else sock.write(req);
    });
    // Paused while a chunk is judged, so a server that floods cannot pile chunks up meanwhile.
    sock.on('data', (chunk: Buffer) => {
      sock.pause();
      judge(async () => {
        const verdict = await x.answer(chunk);
        if (!verdict) sock.resume();
        return verdict;
      });
    });
    sock.once('end', () => judge(x.closed));
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
    // Datagrams are judged one at a time, the first verdict wins; a server that floods us while
    // one is judged loses what exceeds a small backlog instead of growing our memory.
    let backlog = 0;
    let judged: Promise<void> = Promise.resolve();
    let settled = false;
    sock.on('message', (msg) => {
      if (settled || backlog >= MAX_DATAGRAM_BACKLOG) return;
      backlog++;
      judged = judged
        .then(async () => {
          if (settled) return;
          const verdict = await x.answer(msg);
          if (!verdict || settled) return;
          settled = true;
          close();
          resolve(verdict);
        })
        .catch((e: unknown) => {
          settled = true;
          fail(e);
        })
        .finally(() => backlog--);
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
