// Asks the running daemon over its control socket (used by `lvsd status`). Bounded in time and
// size: a hung or hostile peer cannot hold the CLI.
import { createConnection } from 'node:net';
import type { StatusSnapshot } from './types.js';

const MAX_ANSWER = 16 * 1024 * 1024;

export function queryControl(path: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (e: Error) => {
      sock.destroy();
      reject(e);
    };
    sock.setTimeout(timeoutMs, () => fail(new Error(`no answer within ${timeoutMs / 1000} s`)));
    sock.on('connect', () => sock.write(`${command}\n`));
    sock.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_ANSWER) return fail(new Error('answer too large'));
      chunks.push(d);
    });
    sock.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.on('error', (e) => fail(e));
  });
}

export async function fetchStatus(path: string, timeoutMs?: number): Promise<StatusSnapshot> {
  const text = await queryControl(path, 'status', timeoutMs);
  if (text.startsWith('error:')) throw new Error(text.trim());
  return JSON.parse(text) as StatusSnapshot;
}
