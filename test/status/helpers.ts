// Shared by the status tests: an lvsd daemon (the real binary, the stand-in ipvsadm, real HTTP
// servers) with its control socket, and a small Prometheus text reader.
import type { Test } from 'tap';
import { statSync } from 'node:fs';
import { TempDir, RealServer, LvsdProcess, daemon, waitFor } from '../helpers/lvsd.js';
import { queryControl, fetchStatus } from '../../src/status/client.js';
import { readPid } from '../../src/daemon/pidfile.js';
import type { StatusSnapshot, RealStatus } from '../../src/status/types.js';

export const VIP = '127.0.0.100:80';

export interface Lvsd {
  dir: TempDir;
  reals: RealServer[];
  fallback?: RealServer;
  state: string;
  cfg: string;
  pid: string;
  sock: string;
  lvsd: LvsdProcess;
  status(): Promise<StatusSnapshot>;
  /** the real's entry in the first virtual service. */
  real(s: StatusSnapshot, r: RealServer): RealStatus | undefined;
}

export function configText(reals: RealServer[], opts: { extra?: string[]; fallback?: RealServer; virtualExtra?: string[] } = {}): string {
  return [
    // a loaded CI machine must not make a healthy real miss its deadline
    'checkinterval=1',
    'checktimeout=3',
    'negotiatetimeout=3',
    ...(opts.extra ?? []),
    '',
    `virtual=${VIP}`,
    ...reals.map((r, i) => `\treal=${r.addr} masq ${i + 2}`),
    ...(opts.fallback ? [`\tfallback=${opts.fallback.addr} masq`] : []),
    '\tservice=http',
    '\trequest="/"',
    '\treceive="OK"',
    '\tscheduler=wrr',
    ...(opts.virtualExtra ?? []),
    '',
  ].join('\n');
}

/**
 * Start real servers on `hosts` and the daemon in the foreground. The socket is the default
 * one (beside the pid file) unless `args` name another.
 */
export async function startLvsd(
  t: Test,
  hosts: string[],
  opts: {
    extra?: string[];
    fallbackHost?: string;
    args?: string[];
    virtualExtra?: string[];
    text?: (reals: RealServer[], fb?: RealServer) => string;
    /** the socket is not at the default place: wait for the pid file instead. */
    noSocket?: boolean;
  } = {},
): Promise<Lvsd> {
  const reals = await Promise.all(hosts.map((h) => new RealServer(h).start()));
  const fallback = opts.fallbackHost ? await new RealServer(opts.fallbackHost).start() : undefined;
  const text = opts.text ? opts.text(reals, fallback) : configText(reals, { extra: opts.extra, fallback, virtualExtra: opts.virtualExtra });
  // teardowns run last first: the daemon stops before its reals do
  t.teardown(() => Promise.all([...reals, ...(fallback ? [fallback] : [])].map((r) => r.stop())));
  const { dir, state, cfgPath: cfg, pidFile: pid, lvsd } = daemon(t, text, { flags: opts.args });
  const sock = dir.file('lvsd.sock');
  const ready = () => (opts.noSocket ? readPid(pid).state === 'running' : exists(sock));
  await waitFor('the daemon up', () => ready() || lvsd.child.exitCode !== null);
  if (lvsd.child.exitCode !== null) throw new Error(`lvsd exited: ${lvsd.out}`);
  return {
    dir, reals, fallback, state, cfg, pid, sock, lvsd,
    status: () => fetchStatus(sock),
    real: (s, r) => s.virtuals[0]?.reals.find((x) => x.address === r.host && x.port === r.port),
  };
}

function exists(p: string): boolean {
  try {
    return statSync(p).isSocket();
  } catch {
    return false;
  }
}

/** `name{labels}` → value, as the exposition text writes them (labels in prom-client's order). */
export function parseMetrics(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

/** The value of the series `name` whose labels include all of `labels` (first match). */
export function metric(m: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const [k, v] of m) {
    const brace = k.indexOf('{');
    if ((brace < 0 ? k : k.slice(0, brace)) !== name) continue;
    if (Object.entries(labels).every(([l, val]) => k.includes(`${l}="${val}"`))) return v;
  }
  return undefined;
}

export { queryControl, waitFor };
