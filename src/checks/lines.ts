// Splits a byte stream from a server into lines, with a cap on how much is read in total,
// so a server that talks forever cannot make a check grow without bound.
import { StringDecoder } from 'node:string_decoder';

export const REPLY_CAP = 1024 * 1024;

export class LineReader {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private total = 0;

  constructor(private readonly cap = REPLY_CAP) {}

  /** Complete lines (without CR/LF) in this chunk. Throws once more than `cap` bytes came. */
  push(chunk: Buffer): string[] {
    this.total += chunk.length;
    if (this.total > this.cap) throw new Error(`reply longer than ${this.cap} bytes`);
    const parts = (this.pending + this.decoder.write(chunk)).split('\n');
    this.pending = parts.pop() ?? '';
    return parts.map(stripCr);
  }

  /** The last line when the stream ended without a newline. */
  end(): string[] {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest ? [stripCr(rest)] : [];
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Lines of one datagram (a UDP reply is complete in itself). */
export function datagramLines(msg: Buffer): string[] {
  const r = new LineReader(Infinity);
  return [...r.push(msg), ...r.end()];
}
