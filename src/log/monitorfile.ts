// Per-virtual monitorfile (spec §3.7): one line per finished check, changed or not, for each
// virtual that uses the checked real and has a monitorfile:
//   [<ctime>] [<pid>] <real id, ':' runs as one space, '\' removed> [up|down] <message>
// ldirectord dies when such a write fails; we report it once and keep checking.
import type { DaemonBus, DaemonEvents } from '../events/index.js';
import type { RealServer, VirtualService } from '../config/model.js';
import { AppendFile } from './append-file.js';
import { ctime } from './text.js';

/** A (virtual, real) pair that uses one check. */
export interface CheckUser {
  virtual: VirtualService;
  real: RealServer;
}

export interface MonitorOptions {
  /** the (virtual, real) pairs a check key stands for; the daemon knows them. */
  usersOf(key: string): readonly CheckUser[];
  /** a monitorfile cannot be written (reported once per failure episode). */
  onError?(message: string): void;
  pid?: number;
}

export interface MonitorFiles {
  /** Reopen every monitorfile (logrotate). */
  reopen(): void;
  close(): void;
}

/** Perl's quotemeta on an ASCII/UTF-16 string: a backslash before every non-word character. */
function quotemeta(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '\\$&');
}

/** ldirectord's get_real_id_str (L5015). */
export function realIdString(v: VirtualService, r: RealServer): string {
  let check: string = v.checktype;
  if (v.checktype === 'negotiate' || v.checktype === 'combined') check = `${v.checktype}:${v.service}`;
  else if (v.checktype === 'external' || v.checktype === 'external-perl') check = `${v.checktype}:${v.checkcommand}`;
  const server = r.family === 6 ? `[${r.address}]` : r.address;
  return [
    check, v.protocol, server, r.port, v.virtualhost ?? '', v.checkport ?? '', r.weight, r.forward,
    quotemeta(r.request ?? v.request), quotemeta(r.receive ?? v.receive),
  ].join(':');
}

/** The monitorfile's rendering of a real id: `tr/:/ /s` then `s/\\//g`. */
export function monitorId(v: VirtualService, r: RealServer): string {
  return realIdString(v, r).replace(/:+/g, ' ').replace(/\\/g, '');
}

/** `%`, `|`, CR and LF as %xx, as ldirectord escapes check messages; empty is `-`. */
export function monitorMessage(m: string): string {
  if (m === '') return '-';
  return m.replace(/[%|\r\n]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function attachMonitorFiles(bus: DaemonBus, opts: MonitorOptions): MonitorFiles {
  const files = new Map<string, AppendFile>();
  const pid = opts.pid ?? process.pid;
  const fileFor = (path: string) => {
    let f = files.get(path);
    if (!f) {
      f = new AppendFile(path, {
        onError: (e) => opts.onError?.(`Error writing to monitorfile '${path}': ${e.code ?? e.message}`),
      });
      files.set(path, f);
    }
    return f;
  };
  const onCheck = (e: DaemonEvents['check'][0]) => {
    let users: readonly CheckUser[];
    try {
      users = opts.usersOf(e.key);
    } catch {
      return; // a key the daemon no longer knows (reload in between)
    }
    if (!users.some((u) => u.virtual.monitorfile)) return; // the common case: nothing to format
    const now = ctime(new Date(e.at));
    const state = e.result.ok ? 'up' : 'down';
    const msg = monitorMessage(e.result.message);
    for (const { virtual, real } of users) {
      if (!virtual.monitorfile) continue;
      fileFor(virtual.monitorfile).write(`[${now}] [${pid}] ${monitorId(virtual, real)} [${state}] ${msg}`);
    }
  };
  bus.on('check', onCheck);
  return {
    reopen: () => files.forEach((f) => f.reopen()),
    close: () => {
      bus.off('check', onCheck);
      files.forEach((f) => f.close());
      files.clear();
    },
  };
}
