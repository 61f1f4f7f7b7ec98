// Bounds for connections that a client library owns (ldapts, mysql2, pg): the library gets a
// socket we created, so a hostile server still cannot send us more than `max` bytes, and the
// check's signal still closes the connection however far the library got.
import type net from 'node:net';

export interface SocketTracker {
  /** wrap a freshly created socket: count its bytes and close it on abort. */
  track<T extends net.Socket>(sock: T): T;
}

export function socketTracker(max: number, signal: AbortSignal): SocketTracker {
  const open = new Set<net.Socket>();
  signal.addEventListener('abort', () => open.forEach((s) => s.destroy()), { once: true });
  return {
    track(sock) {
      if (signal.aborted) sock.destroy();
      open.add(sock);
      let received = 0;
      sock.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > max) sock.destroy(new Error(`server sent more than ${max} bytes`));
      });
      sock.once('close', () => open.delete(sock));
      return sock;
    },
  };
}
