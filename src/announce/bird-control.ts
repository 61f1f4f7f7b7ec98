// BIRD's control socket, spoken directly (what birdc does): BIRD greets with `0001 BIRD ... ready.`;
// each reply is lines of a 4-digit code followed by `-` (more follows) or a space (the last
// line); a line that starts with a space continues the previous code. 0xxx/1xxx/2xxx codes are
// answers, 8xxx (runtime) and 9xxx (parse) errors.
import { connect } from 'node:net';

export interface BirdReply {
  /** the code of the last line. */
  code: number;
  /** the reply's text, codes stripped, one entry per line. */
  lines: string[];
}

export class BirdError extends Error {}

/** BIRD's answer to a command is an error (8xxx, 9xxx). */
export function isBirdError(code: number): boolean {
  return code >= 8000;
}

/** Reads BIRD's replies out of a byte stream, one complete reply at a time. */
export class ReplyReader {
  private buf = '';
  private lines: string[] = [];

  /** Feed bytes; returns the replies they complete. */
  push(chunk: string): BirdReply[] {
    this.buf += chunk;
    const out: BirdReply[] = [];
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      const m = /^(\d{4})([ -])(.*)$/.exec(line);
      if (!m) {
        this.lines.push(line.replace(/^ /, ''));
        continue;
      }
      this.lines.push(m[3]!);
      if (m[2] === ' ') {
        out.push({ code: Number(m[1]), lines: this.lines });
        this.lines = [];
      }
    }
    // a peer that never ends a line must not grow us without bound
    if (this.buf.length > 65536) throw new BirdError('BIRD sent a line longer than 64 KiB');
    return out;
  }
}

/**
 * Run one command on BIRD's control socket and return its reply; rejects (BirdError) when BIRD
 * cannot be reached, does not greet, answers with an error code, or takes longer than `timeoutMs`.
 */
export function birdCommand(socket: string, command: string, timeoutMs: number): Promise<BirdReply> {
  if (/[\r\n]/.test(command)) return Promise.reject(new BirdError('a BIRD command is one line'));
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    const reader = new ReplyReader();
    let greeted = false;
    let settled = false;
    const done = (err: Error | undefined, reply?: BirdReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => done(new BirdError(`no answer from BIRD on ${socket} within ${timeoutMs / 1000} s (${greeted ? command : 'greeting'})`)), timeoutMs);
    conn.setEncoding('utf8');
    conn.on('error', (e: NodeJS.ErrnoException) => done(new BirdError(`cannot reach BIRD on ${socket}: ${e.code ?? e.message}`)));
    conn.on('close', () => done(new BirdError(`BIRD closed its control socket ${socket} before answering`)));
    conn.on('data', (chunk: string) => {
      let replies: BirdReply[];
      try {
        replies = reader.push(chunk);
      } catch (e) {
        return done(e as Error);
      }
      for (const r of replies) {
        if (!greeted) {
          if (r.code !== 1) return done(new BirdError(`BIRD on ${socket} did not greet: ${r.code} ${r.lines.join(' / ')}`));
          greeted = true;
          conn.write(`${command}\n`);
          continue;
        }
        if (isBirdError(r.code)) return done(new BirdError(`BIRD refused ${command}: ${r.code} ${r.lines.join(' / ')}`));
        return done(undefined, r);
      }
    });
  });
}
