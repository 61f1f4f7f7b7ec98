// The control socket: a unix stream socket only its owner (root) can use, next to the pid file.
// Line protocol: the client sends one command line and gets one answer, then EOF.
//   status        → the status document as one JSON line
//   metrics       → the Prometheus exposition text
//   ping          → pong
//   role          → the current role (master, backup, fault or unknown)
//   role WORD     → a write: take role master, backup or fault; `ok WORD` or `error: ...`
//   plan FILE     → what a reload to FILE would change in the kernel, changing nothing: one
//                   JSON line (status/plan.ts PlanAnswer); FILE is the rest of the line
//   disable|drain|enable [VIRTUAL] REAL, weight [VIRTUAL] REAL N
//                 → writes: an operator override; `ok ...` lines or `error: ...`
// The socket is owner-only (0600, root's): whoever may use it may also run ipvsadm, so the write
// commands give nobody a power they lack.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { OVERRIDE_USAGE, OVERRIDE_VERBS, type OverrideVerb } from '../table/override-command.js';

export interface ControlHandlers {
  status(): string;
  metrics(): Promise<string>;
  /** the current role, or (with a word) take that role: the answer line. */
  role?(word?: string): string;
  /** `lvsd plan`: the PlanAnswer for a reload to `file`, as one JSON line. */
  plan?(file: string): Promise<string>;
  /** an override command's words (`disable 10.0.0.1:80 10.0.0.2:80`): the answer. */
  override?(words: string[]): string;
}

/** a command and a path up to PATH_MAX. */
const MAX_LINE = 4200;
const IDLE_MS = 5000;
const MAX_CLIENTS = 32;

/** ldirectord keeps one pid file per config; the socket sits beside it with the same stem. */
export function defaultControlSocket(pidFile: string): string {
  return pidFile.endsWith('.pid') ? `${pidFile.slice(0, -4)}.sock` : `${pidFile}.sock`;
}

export class ControlServer {
  private server?: Server;

  constructor(
    readonly path: string,
    private readonly handlers: ControlHandlers,
  ) {}

  async listen(): Promise<void> {
    await clearStale(this.path);
    const server = createServer((sock) => this.serve(sock));
    server.maxConnections = MAX_CLIENTS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // bind() creates the socket file with the umask's mode: owner-only from the first instant.
      const umask = process.umask(0o177);
      try {
        server.listen(this.path, () => {
          server.off('error', reject);
          resolve();
        });
      } finally {
        process.umask(umask);
      }
    });
    chmodSync(this.path, 0o600);
    server.on('error', () => {}); // a failing client must not take the daemon down
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((r) => server.close(() => r()));
    try {
      unlinkSync(this.path);
    } catch {
      // node already removed it
    }
  }

  private serve(sock: Socket): void {
    let buf = '';
    sock.setEncoding('utf8');
    sock.setTimeout(IDLE_MS, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    const onData = (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0 && buf.length <= MAX_LINE) return;
      sock.off('data', onData);
      // the idle bound is for the client's line; a plan may read the kernel before it answers
      sock.setTimeout(0);
      const line = (nl < 0 ? '' : buf.slice(0, nl)).trim();
      void this.answer(line).then(
        (text) => sock.end(text),
        (e: Error) => sock.end(`error: ${e.message}\n`),
      );
    };
    sock.on('data', onData);
  }

  private async answer(command: string): Promise<string> {
    switch (command) {
      case 'status':
        return `${this.handlers.status()}\n`;
      case 'metrics':
        return this.handlers.metrics();
      case 'ping':
        return 'pong\n';
      default: {
        const role = /^role(?:[ \t]+(\S+))?$/.exec(command);
        if (role && this.handlers.role) return `${this.handlers.role(role[1])}\n`;
        const plan = /^plan[ \t]+(\S.*)$/.exec(command);
        if (plan && this.handlers.plan) return `${await this.handlers.plan(plan[1]!)}\n`;
        const words = command.split(/[ \t]+/);
        if (OVERRIDE_VERBS.includes(words[0] as OverrideVerb) && this.handlers.override) return `${this.handlers.override(words)}\n`;
        return `error: unknown command ${JSON.stringify(command.slice(0, 40))} (commands: status, metrics, ping, role [master|backup|fault], plan FILE, ${OVERRIDE_USAGE})\n`;
      }
    }
  }
}

/** A socket file left by a daemon that died is removed; a live one, or any other file, is not. */
async function clearStale(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (live) throw new Error(`${path} is in use by another process`);
  unlinkSync(path);
}
