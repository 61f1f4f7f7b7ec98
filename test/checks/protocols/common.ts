// The failures every TCP protocol checker must report the same way: a refused port, a server
// that accepts and never answers (the checker's own negotiatetimeout must end it), the
// scheduler's abort, and a server that sends without end (the byte and line caps must end it).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Test } from 'tap';
import type { Checker, CheckResult, CheckTarget } from '../../../src/checks/types.js';
import { selfSignedCert, tempDir } from '../../helpers/daemons/env.js';
import { eventually, freeTcpPort, listen, never, settles, silentTcpServer, target } from '../helpers.js';

/** Generous anti-hang bound for one check; never a timing assertion. */
export const BOUND = 60;

/** TCP connections open in this process (both ends of loopback ones), listeners excluded. */
export const tcpSockets = (): number =>
  process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSWrap').length;

/** Bounded wait until the check's connections are gone (a leak keeps both ends open). */
export async function closesItsConnections(t: Test, before: number): Promise<void> {
  t.ok(await eventually(() => tcpSockets() <= before), 'its connections are closed');
}

let cert: { cert: Buffer; key: Buffer } | undefined;
/** A throw-away self-signed certificate for scripted TLS servers, made once per process. */
function testCert(): { cert: Buffer; key: Buffer } {
  if (!cert) {
    const tmp = tempDir('cert');
    const files = selfSignedCert(tmp.dir);
    cert = { cert: readFileSync(files.cert), key: readFileSync(files.key) };
    tmp.remove();
  }
  return cert;
}

/**
 * A loopback server (TLS with `testCert()` when asked) running `script` on each connection;
 * on teardown it destroys its connections and closes.
 */
export async function scriptedServer(
  t: Test,
  script: (s: net.Socket) => void,
  useTls = false,
  host = '127.0.0.1',
): Promise<number> {
  const socks = new Set<net.Socket>();
  const onConnection = (s: net.Socket): void => {
    socks.add(s);
    s.on('error', () => undefined);
    s.on('close', () => socks.delete(s));
    script(s);
  };
  const server = useTls ? tls.createServer(testCert(), onConnection) : net.createServer(onConnection);
  const port = await listen(server, host);
  t.teardown(
    () =>
      new Promise<void>((r) => {
        socks.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  );
  return port;
}

/** Run `fn` every `ms` milliseconds while the socket is open. */
export function whileOpen(s: net.Socket, ms: number, fn: () => void): void {
  const timer = setInterval(() => (s.destroyed ? clearInterval(timer) : fn()), ms);
  s.on('close', () => clearInterval(timer));
}

/**
 * A server that sends `prefix` and then bytes without end (one 64 KiB write per millisecond at
 * most, so the test process stays responsive). Pick a prefix that makes the protocol's parser
 * wait for more (a huge length field), so the byte cap has to act.
 */
function floodServer(t: Test, prefix: Buffer, useTls: boolean): Promise<number> {
  const chunk = Buffer.alloc(65536, 0x41);
  return scriptedServer(
    t,
    (s) => {
      s.write(prefix);
      whileOpen(s, 1, () => s.write(chunk));
    },
    useTls,
  );
}

export interface FailureOptions {
  /** the message for a refused port (default: exactly "Connection refused"). */
  refused?: RegExp;
  /** the first bytes of the flood (default: none, the flood is all "A"). */
  flood?: Buffer;
  /** the checker speaks implicit TLS: the flood comes after a TLS handshake. */
  tls?: boolean;
}

export function tcpFailures(t: Test, checker: Checker, over: Partial<CheckTarget>, opts: FailureOptions = {}): void {
  t.test('a refused port is down', async (t) => {
    const port = await freeTcpPort();
    const r = await settles(checker.check(target({ ...over, port, negotiatetimeout: 10 }), never), BOUND);
    t.match(r, { ok: false, message: opts.refused ?? /^Connection refused$/ });
  });

  t.test('a server that accepts and never answers times out on negotiatetimeout', async (t) => {
    const before = tcpSockets();
    const silent = await silentTcpServer();
    t.teardown(silent.close);
    const r = await settles(checker.check(target({ ...over, port: silent.port, negotiatetimeout: 1 }), never), BOUND);
    t.same(r, { ok: false, message: 'timeout after 1s' });
    await closesItsConnections(t, before);
  });

  t.test("the scheduler's signal ends a check early", async (t) => {
    const before = tcpSockets();
    const silent = await silentTcpServer();
    t.teardown(silent.close);
    const ac = new AbortController();
    const p = checker.check(target({ ...over, port: silent.port, negotiatetimeout: 600 }), ac.signal);
    setTimeout(() => ac.abort(), 50);
    t.same(await settles(p, BOUND), { ok: false, message: 'aborted' });
    await closesItsConnections(t, before);
  });

  t.test('a server that sends without end is cut off by the byte or line cap', async (t) => {
    const before = tcpSockets();
    const port = await floodServer(t, opts.flood ?? Buffer.alloc(0), opts.tls ?? false);
    const r = await settles(checker.check(target({ ...over, port, negotiatetimeout: 30 }), never), BOUND);
    t.match(r, { ok: false, message: /(more than|longer than) \d+ bytes/ });
    await closesItsConnections(t, before);
  });
}

/** A result's verdict without the certificate it carries. */
export const verdict = (r: CheckResult): CheckResult => ({ ok: r.ok, message: r.message });

/**
 * A TLS check's result carries the server's certificate (the helpers' throw-away ones: CN=localhost,
 * valid a day or two from now); a plain one carries none.
 */
export function carriesCert(t: Test, r: CheckResult, secure: boolean, subject = 'localhost'): void {
  if (!secure) return void t.equal(r.cert, undefined, 'no certificate from a plain connection');
  t.equal(r.cert?.subject, subject, 'the certificate of the handshake');
  const left = ((r.cert?.notAfter ?? 0) - Date.now()) / 86_400_000;
  t.ok(left > 0 && left <= 3, `its notAfter is the one openssl wrote (${left.toFixed(2)} days ahead)`);
  t.match(r.cert?.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/, 'a SHA-256 fingerprint');
}
