// `lvsd status` in a terminal: one block per virtual service, one line per real server, then
// the recent transitions. Control characters from check messages are shown escaped, so what a
// real server sent cannot drive the operator's terminal.
import type { RealStatus, StatusSnapshot, VirtualStatus } from './types.js';
import type { SyncDaemon } from '../ipvs/types.js';

const TRANSITIONS_SHOWN = 10;

export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

/** Safe for a terminal: C0/C1 controls and DEL become \xNN. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function hp(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function table(rows: string[][], indent = '  '): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  // the last column is free text: no padding after it
  return rows.map((r) => (indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).trimEnd());
}

/** `disabled by lvsd disable 5m ago; ` first: an override wins over what the checks say. */
function overrideNote(r: RealStatus, now: number): string {
  const o = r.override;
  if (!o) return '';
  const what = o.action === 'weight' ? `weight ${o.weight} set` : o.action === 'drain' ? 'drained' : 'disabled';
  return `${what} by lvsd ${o.action} ${duration((now - Date.parse(o.since)) / 1000)} ago; `;
}

function reason(r: RealStatus, now: number): string {
  return (overrideNote(r, now) + checkReason(r, now)).replace(/; $/, '');
}

function checkReason(r: RealStatus, now: number): string {
  if (r.health === 'unknown') return 'waiting for the first check';
  if (r.health === 'down') return (r.successes > 0 ? `rising ${r.successes}/${r.rise}; ` : '') + printable(r.lastMessage ?? '');
  const ramp = r.slowstart ? `slow start ${r.slowstart.weight}/${r.slowstart.target}, ${duration(r.slowstart.secondsLeft)} left; ` : '';
  const soft = ramp + (r.failures > 0 ? `${r.failures}/${r.failurecount} failures; ` : '');
  if (!r.lastFailure) return soft.replace(/; $/, '');
  return `${soft}last failure ${duration((now - Date.parse(r.lastFailure.at)) / 1000)} ago: ${printable(r.lastFailure.message)}`;
}

/** `41d left` / `EXPIRED 2d ago`, marked `!` when within certwarndays. */
export function certText(r: RealStatus): string {
  const c = r.cert;
  if (!c) return '-';
  const text = c.daysLeft < 0 ? `EXPIRED ${Math.abs(c.daysLeft)}d ago` : `${c.daysLeft}d left`;
  return c.expiring && c.daysLeft >= 0 ? `${text}!` : text;
}

function virtualBlock(v: VirtualStatus, now: number): string[] {
  const proto = v.protocol === 'fwm' ? 'FWM' : v.protocol.toUpperCase();
  const head = `${proto} ${v.label}  ${v.scheduler}  ${v.service}, check ${v.checktype} every ${v.checkinterval}s${v.quiescent ? ', quiescent' : ''}  ${v.counts.up}/${v.reals.length} up${v.inKernel ? '' : '  (not in the kernel table)'}`;
  // a CERT column only for services whose checks speak TLS (before REASON, the free-text column)
  const tls = v.reals.some((r) => r.cert);
  const withCert = (row: string[], cert: string): string[] => (tls ? [...row.slice(0, -1), cert, row.at(-1)!] : row);
  const rows = [withCert(['HEALTH', 'REAL', 'KERNEL WEIGHT', 'FOR', 'LATENCY', 'CHECKED', 'REASON'], 'CERT')];
  for (const r of v.reals) {
    rows.push(withCert([
      r.health === 'down' ? 'DOWN' : r.health,
      `${hp(r.address, r.port)} ${r.forward}`,
      r.kernelWeight === null ? '-' : String(r.kernelWeight),
      duration(r.inStateSeconds),
      r.lastLatencyMs === null ? '-' : `${r.lastLatencyMs}ms`,
      r.lastCheckAt ? `${duration((now - Date.parse(r.lastCheckAt)) / 1000)} ago` : '-',
      reason(r, now),
    ], certText(r)));
  }
  if (v.fallback) {
    const f = v.fallback;
    rows.push(withCert([f.active ? 'FALLBACK' : 'standby', `${hp(f.address, f.port)} ${f.forward}`, f.kernelWeight === null ? '-' : String(f.kernelWeight), '', '', '', f.active ? 'fallback server taking the traffic' : 'fallback server'], ''));
  }
  for (const o of v.others) rows.push(withCert(['draining', hp(o.address, o.port), String(o.weight), '', '', '', 'in the kernel, no longer in the configuration'], ''));
  if (v.reals.some((r) => r.agent)) addAgentColumn(rows, v.reals);
  return [head, ...table(rows)];
}

/** An AGENT column after KERNEL WEIGHT (virtuals with agents only): word, share, weight asked. */
function addAgentColumn(rows: string[][], reals: RealStatus[]): void {
  rows[0]!.splice(3, 0, 'AGENT');
  rows.slice(1).forEach((row, i) => {
    const a = reals[i]?.agent;
    const share = a && a.state === 'up' && a.percent !== null ? ` ${a.percent}%` : '';
    row.splice(3, 0, a ? `${a.state}${share} -> ${a.weight}${a.error ? ' (no reply)' : ''}` : '');
    if (a?.error) row[row.length - 1] = [row[row.length - 1], `agent: ${printable(a.error.message)}`].filter(Boolean).join('; ');
  });
}

function daemonText(d: SyncDaemon): string {
  const opts = [`syncid ${d.syncid}`, ...(['group', 'port', 'ttl', 'maxlen'] as const).filter((k) => d[k] !== undefined).map((k) => `${k} ${d[k]}`)];
  return `${d.state} on ${printable(d.ifname)} (${opts.join(', ')})`;
}

/** One line: which sync daemons run, and whether lvsd manages them. */
function syncLines(sync: StatusSnapshot['sync']): string[] {
  if (!sync) return [];
  const running = sync.daemons === null ? 'not read yet' : sync.daemons.length ? sync.daemons.map(daemonText).join('; ') : 'none';
  const out = [`sync daemon${sync.managed ? '' : ' (not managed by lvsd)'}: ${running}`];
  if (sync.lastError) out.push(`sync daemon problem: ${printable(sync.lastError.message)}`);
  return out;
}

/** Which virtual addresses are announced through BIRD, which wait out the hold-down, and BIRD's trouble. */
function bgpLines(bgp: StatusSnapshot['bgp']): string[] {
  if (!bgp || (!bgp.enabled && bgp.routes.every((r) => !r.announced))) return [];
  const words = bgp.routes.map((r) =>
    r.announced ? `${r.route} announced` : r.wanted ? `${r.route} waiting (${r.holddownLeftSeconds ?? 0} s of hold-down left)` : `${r.route} withdrawn`,
  );
  const out = [`bgp (BIRD ${printable(bgp.socket ?? '')}): ${words.join('; ') || 'no virtual address'}`];
  if (bgp.lastError) out.push(`bgp problem: ${printable(bgp.lastError.message)}`);
  return out;
}

export function formatStatus(s: StatusSnapshot): string {
  const now = Date.parse(s.lvsd.generatedAt);
  const out = [`lvsd ${s.lvsd.version}  ${s.lvsd.state}  role ${s.role}  pid ${s.lvsd.pid}  up ${duration((now - Date.parse(s.lvsd.startedAt)) / 1000)}  ${s.lvsd.config}`];
  if (s.http) out.push(`status page: ${s.http.url}`);
  out.push(...syncLines(s.sync));
  out.push(...bgpLines(s.bgp));
  if (s.ipvs.failing) out.push(`IPVS update failing: ${printable(s.ipvs.lastError?.message ?? '')}`);
  if (!s.ipvs.kernelKnown) out.push('IPVS table not read yet');
  if (s.lastReload && !s.lastReload.ok) out.push(`last reload failed (${s.lastReload.at}): ${printable(s.lastReload.error ?? '')}; the previous configuration stays in force`);
  for (const v of s.virtuals) out.push('', ...virtualBlock(v, now));
  if (s.virtuals.length === 0) out.push('', 'no virtual services configured');
  const shown = s.transitions.slice(0, TRANSITIONS_SHOWN);
  if (shown.length) {
    out.push('', 'Recent transitions (newest first):');
    out.push(...table(shown.map((t) => [t.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), `${t.real} (${t.virtual})`, `${t.from} -> ${t.to}`, printable(t.message)])));
  }
  return `${out.join('\n')}\n`;
}
