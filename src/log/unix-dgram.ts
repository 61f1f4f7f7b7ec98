// Unix datagram sockets (syslog's /dev/log, systemd's $NOTIFY_SOCKET). Node has none, so this
// wraps the `unix-dgram` native addon (the one winston-syslog uses), loaded lazily: a machine
// where it did not build still runs, and only the feature that needs it reports why.
import { createRequire } from 'node:module';
import { constants } from 'node:os';

interface NativeSocket {
  on(event: 'error', cb: (err: Error) => void): void;
  on(event: 'message', cb: (buf: Buffer, rinfo: { path?: string }) => void): void;
  bind(path: string): void;
  send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
  close(): void;
}
interface NativeModule {
  createSocket(type: 'unix_dgram', listener?: (buf: Buffer, rinfo: { path?: string }) => void): NativeSocket;
}

let native: NativeModule | Error | undefined;

function load(): NativeModule {
  if (native === undefined) {
    try {
      native = createRequire(import.meta.url)('unix-dgram') as NativeModule;
    } catch (e) {
      native = new Error(`unix datagram sockets need the unix-dgram native module (npm rebuild unix-dgram): ${(e as Error).message}`);
    }
  }
  if (native instanceof Error) throw native;
  return native;
}

/** Whether the native module loads here. */
export function unixDgramAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

/** unix-dgram reports errno as a negative number; turn it into ENOENT & co. */
function errnoName(err: Error & { code?: unknown }): string {
  if (err.message === 'congestion') return 'EAGAIN'; // the receiver's queue is full
  if (typeof err.code === 'number') {
    const n = -err.code;
    const name = Object.entries(constants.errno).find(([, v]) => v === n)?.[0];
    return name ?? `errno ${n}`;
  }
  return typeof err.code === 'string' ? err.code : err.message;
}

/**
 * An unbound, unconnected sender: every send names its destination, so a syslog or systemd
 * that recreated its socket is reached again without any reconnect logic.
 * Filesystem paths only: unix-dgram cannot address abstract (`@name`) sockets.
 */
export class DgramSender {
  private sock: NativeSocket | undefined;

  send(path: string, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        if (!this.sock) {
          const s = load().createSocket('unix_dgram');
          // unix-dgram emits (not throws) some errors; never let one be unhandled.
          s.on('error', () => {});
          this.sock = s;
        }
        this.sock.send(data, 0, data.length, path, (err) => {
          if (err) reject(Object.assign(new Error(`${path}: ${errnoName(err)}`), { code: errnoName(err) }));
          else resolve();
        });
      } catch (e) {
        reject(e);
      }
    });
  }

  close(): void {
    const s = this.sock;
    this.sock = undefined;
    try {
      s?.close();
    } catch {
      /* already closed */
    }
  }
}

/** A bound receiver, for tests (and anything that must listen on a datagram socket). */
export function bindReceiver(path: string, onMessage: (buf: Buffer) => void): { close(): void } {
  const s = load().createSocket('unix_dgram', (buf) => onMessage(buf));
  let error: Error | undefined;
  s.on('error', (e) => (error = e));
  s.bind(path);
  if (error) {
    s.close();
    throw error;
  }
  return { close: () => s.close() };
}
