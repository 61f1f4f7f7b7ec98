// service=ftp (spec §6): login (anonymous by default), CWD /, TYPE I, passive mode, RETR of the
// request into memory (at most 1 MiB), QUIT. Up when the transfer completed and, when receive is
// set, the content matches it. ldirectord ignored every step's failure and, with an empty
// receive, reused Perl's last successful pattern; here each step must succeed and an empty
// receive means "the file was transferred".
import net from 'node:net';
import os from 'node:os';
import { down, runCheck, up } from '../deadline.js';
import { matchReceive } from '../receive.js';
import type { CheckResult, CheckTarget, Checker } from '../types.js';
import { LineClient, type NumericReply, printable } from './line-client.js';

export const MAX_FTP_CONTENT = 1024 * 1024;

const first = (r: NumericReply): string => printable(r.lines[0] ?? '');

/** The data port from a 227 (PASV) or 229 (EPSV) reply. */
export function passivePort(reply: NumericReply): number | undefined {
  const text = reply.lines.join(' ');
  const m =
    reply.code === 227
      ? /(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})/.exec(text)
      : /\(([!-~])\1\1(\d{1,5})\1\)/.exec(text);
  if (!m) return undefined;
  const port = reply.code === 227 ? Number(m[5]) * 256 + Number(m[6]) : Number(m[2]);
  return port > 0 && port < 65536 ? port : undefined;
}

/**
 * Everything the data connection carries until the server closes it, at most `cap` bytes.
 * The address is always the real server's own (the one in a PASV reply is ignored), so a server
 * cannot point the check at a third host.
 */
function download(host: string, port: number, cap: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (e: Error): void => {
      sock.destroy();
      signal.removeEventListener('abort', onAbort);
      reject(e);
    };
    const onAbort = (): void => fail(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) return fail(new Error(`file larger than ${cap} bytes`));
      chunks.push(chunk);
    });
    sock.on('error', (e) => fail(new Error(`data connection: ${e.message}`)));
    sock.on('end', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(Buffer.concat(chunks));
    });
  });
}

async function ftp(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  // The defaults ldirectord's parser applies only when `service=ftp` precedes login= (spec §1.3).
  const login = target.login || 'anonymous';
  const passwd = target.passwd || `ldirectord@${os.hostname()}`;
  const c = await LineClient.connect({ host: target.host, port: target.port, signal });
  const greeting = await c.readReply();
  if (greeting.code !== 220) return down(`unexpected greeting: ${first(greeting)}`);
  let auth = await c.command(`USER ${login}`);
  if (auth.code === 331 || auth.code === 332) auth = await c.command(`PASS ${passwd}`);
  if (auth.code !== 230 && auth.code !== 202) return down(`login failed: ${first(auth)}`);
  const cwd = await c.command('CWD /');
  if (cwd.code >= 300) return down(`CWD / failed: ${first(cwd)}`);
  const type = await c.command('TYPE I');
  if (type.code >= 300) return down(`TYPE I failed: ${first(type)}`);
  const pasv = await c.command(target.family === 6 ? 'EPSV' : 'PASV');
  const port = passivePort(pasv);
  if (port === undefined) return down(`passive mode refused: ${first(pasv)}`);

  const data = download(target.host, port, MAX_FTP_CONTENT, signal);
  data.catch(() => undefined); // awaited below unless RETR is refused, when it no longer matters
  const start = await c.command(`RETR ${target.request}`);
  if (start.code !== 125 && start.code !== 150) return down(`RETR failed: ${first(start)}`);
  const content = await data;
  const done = await c.readReply();
  if (done.code !== 226 && done.code !== 250) return down(`transfer failed: ${first(done)}`);
  c.quit('QUIT');

  if (target.receive && !(await matchReceive(target.receive, content.toString('utf8'), signal))) {
    return down('Response mismatch');
  }
  return up('Success');
}

export const ftpChecker: Checker = {
  check: (target, signal) => runCheck(signal, target.negotiatetimeout, (s) => ftp(target, s)),
};
