// Shared pieces of the checker tests: a target factory, loopback ports and servers, and a
// generous "it settled" bound (no timed assertions: the bound only proves nothing hangs).
import dgram from 'node:dgram';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { CheckResult, CheckTarget } from '../../src/checks/types.js';

export function target(over: Partial<CheckTarget> = {}): CheckTarget {
  return {
    key: `test:${Math.random()}`,
    checktype: 'negotiate',
    service: 'none',
    protocol: 'tcp',
    family: 4,
    host: '127.0.0.1',
    port: 1,
    vip: '10.0.0.1',
    vport: 80,
    rport: 80,
    request: '/',
    httpmethod: 'GET',
    login: '',
    passwd: '',
    database: '',
    secret: '',
    checkcommand: '/bin/true',
    checkcount: 1,
    checktimeout: 1,
    negotiatetimeout: 1,
    sslverify: false,
    ...over,
  };
}

/** A signal that never aborts, for checks that must settle on their own timeout. */
export const never = new AbortController().signal;

/** Fails the test (rejects) if `p` has not settled after `seconds`: proves it does not hang. */
export function settles<T>(p: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${seconds}s`)), seconds * 1000);
  });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}

/** A TCP port nobody listens on: bind, read the port, close. */
export async function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const s = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  await new Promise<void>((r) => s.bind(0, host, r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Start `server` on host:0 and return its port. */
export async function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

/**
 * A TCP server that accepts and then says nothing, ever — not even FIN when the client
 * half-closes (allowHalfOpen). Destroys its sockets on close.
 */
export async function silentTcpServer(host = '127.0.0.1'): Promise<{ port: number; close: () => Promise<void> }> {
  const socks = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
  });
  const port = await listen(server, host);
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A UDP socket that receives and never answers. */
export async function silentUdpServer(host = '127.0.0.1'): Promise<{ port: number; close: () => Promise<void> }> {
  const s = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  await new Promise<void>((r) => s.bind(0, host, r));
  return { port: s.address().port, close: () => new Promise<void>((r) => s.close(() => r())) };
}

let ipv6: boolean | undefined;
/** Whether ::1 can be bound here (some containers disable IPv6). */
export async function hasIpv6Loopback(): Promise<boolean> {
  if (ipv6 !== undefined) return ipv6;
  const s = net.createServer();
  ipv6 = await new Promise<boolean>((r) => {
    s.once('error', () => r(false));
    s.listen(0, '::1', () => s.close(() => r(true)));
  });
  return ipv6;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Is the process alive? A zombie (killed, not yet reaped by its new parent) counts as dead. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name, is the state.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits (bounded: `tries` × 100 ms) until `cond` holds; returns whether it did. */
export async function eventually(cond: () => boolean, tries = 50): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

export type { CheckResult };
