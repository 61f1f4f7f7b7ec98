// E-mail alerts (spec §4) as a subscriber of the daemon bus.
//
// Which changes mail, emailalertstatus, emailalertfreq repeats and the subject/body follow
// ldirectord. What differs, on purpose:
//   * several emailalert addresses are separate recipients (ldirectord: one bogus RCPT);
//   * events that follow each other within `coalesceMs` (for at most `maxCoalesceMs`) are
//     one mail per recipient set, so a failed switch sends one mail, not 200;
//   * sending never blocks checks: a bounded outbox per transport, retried with back-off;
//   * `Readd Quiescent` mails say what the log says (ldirectord's mail said `Quiescent`);
//   * a reload whose config does not parse is mailed (ldirectord mailed no reloads);
//   * the body ends with the virtual service's current state.
import type { Mail } from 'nodemailer';
import { existsSync } from 'node:fs';
import { hostname as osHostname, userInfo } from 'node:os';
import { effective, hostPort, virtualId } from '../config/effective.js';
import type { Config, EmailStatus, VirtualService } from '../config/model.js';
import { roleMessage, type ChangeKind, type DaemonBus, type DaemonEvents, type DaemonState, type Health } from '../events/index.js';
import { compose, bareSubject, parseMailbox, redactor, type AlertItem, type Mailbox, type VirtualState } from './compose.js';
import { Outbox } from './queue.js';

export type { VirtualState, RealState } from './compose.js';

export interface MailerOptions {
  /** the running configuration; later ones arrive with `state` events. */
  config?: Config;
  /** the virtual service's state now (reals, health, IPVS weight); default: what the bus told us. */
  describe?(v: VirtualService): VirtualState | undefined;
  /**
   * the operator took this real out or quiesced it on purpose (`lvsd disable|drain|weight`): its
   * change is mailed once, but it is not `Inaccessible` and starts no repeats.
   */
  deliberate?(e: DaemonEvents['ipvs'][0]): boolean;
  /** default os.hostname(). */
  hostname?: string;
  /**
   * Events join one mail while each comes within this long of the previous one (default 1500 ms):
   * failures found over a few check rounds or IPVS batches still make one mail.
   */
  coalesceMs?: number;
  /** ...but a mail waits at most this long after its first event (default 10 s). */
  maxCoalesceMs?: number;
  /** mails waiting per transport before the oldest is dropped (default 50). */
  queueLimit?: number;
  /** first retry delay, doubled up to retryMaxMs (defaults 2 s, 5 min). */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** how often repeat alerts are looked for (default 1000 ms; emailalertfreq is in seconds). */
  repeatTickMs?: number;
  /** SMTP connection, greeting and socket timeouts (default 10 s, 10 s, 30 s). */
  smtpTimeoutMs?: number;
  /** default /usr/sbin/sendmail (or /usr/lib/sendmail, or `sendmail` from PATH). */
  sendmailPath?: string;
}

export interface Mailer {
  /** Send what the coalescing window holds now. */
  flush(): void;
  /** Mails waiting in all outboxes. */
  readonly queued: number;
  /** Stop listening, flush, wait up to drainMs (default 5000) for the outboxes; drop the rest. */
  close(drainMs?: number): Promise<void>;
}

/** Changes ldirectord mails about; virtual add/change/purge are not among them. */
const MAILED: ReadonlySet<ChangeKind> = new Set<ChangeKind>([
  'added-real', 'restored-real', 'quiesced-real', 'readd-quiescent-real', 'deleted-real', 'purged-real',
  'added-fallback', 'deleted-fallback',
]);
/** Changes that start (or keep) "Inaccessible real server" repeats; every other mailed one ends them. */
const STARTS_REPEAT: ReadonlySet<ChangeKind> = new Set<ChangeKind>(['quiesced-real', 'readd-quiescent-real', 'deleted-real']);

const ALL_STATUS: EmailStatus[] = ['starting', 'running', 'stopping', 'reloading'];

interface Settings {
  to: string[];
  status: EmailStatus[];
  freq: number;
  smtp?: string;
}

interface OutMail {
  transport: string;
  from?: Mailbox;
  to: Mailbox[];
  subject: string;
  text: string;
}

interface Group {
  transport: string;
  from?: Mailbox;
  to: Mailbox[];
  items: AlertItem[];
}

/** `host`, `host:port`, `[v6]:port` or a bare v6 address. */
export function parseSmtp(s: string): { host: string; port: number } {
  const t = s.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : 25 };
  const hp = /^([^:]+):(\d+)$/.exec(t);
  if (hp) return { host: hp[1]!, port: Number(hp[2]) };
  return { host: t, port: 25 };
}

function defaultSendmail(): string {
  return ['/usr/sbin/sendmail', '/usr/lib/sendmail'].find((p) => existsSync(p)) ?? 'sendmail';
}

/** Worth retrying: anything but an SMTP 5xx answer. */
function transient(err: unknown): boolean {
  const code = (err as { responseCode?: unknown }).responseCode;
  return !(typeof code === 'number' && code >= 500 && code < 600);
}

export function attachMailer(bus: DaemonBus, opts: MailerOptions = {}): Mailer {
  let config = opts.config;
  let daemonState: DaemonState = 'starting';
  const hostname = opts.hostname ?? osHostname();
  const log = (level: 'error' | 'warn' | 'info', message: string) => bus.emit('log', { level, message });
  const warned = new Set<string>();
  const warnOnce = (m: string) => {
    if (warned.has(m)) return;
    warned.add(m);
    log('warn', m);
  };

  // -- settings ------------------------------------------------------------------------------
  const settingsFor = (v?: VirtualService): Settings => {
    if (config && v) {
      const e = effective(config, v);
      return { to: e.emailalert, status: e.emailalertstatus, freq: e.emailalertfreq, smtp: e.smtp };
    }
    const g = config?.global;
    return { to: g?.emailalert ?? [], status: g?.emailalertstatus ?? ALL_STATUS, freq: g?.emailalertfreq ?? 0, smtp: g?.smtp };
  };
  const recipients = (list: string[]): Mailbox[] => {
    const out: Mailbox[] = [];
    for (const raw of list.flatMap((x) => x.split(','))) {
      if (!raw.trim()) continue;
      const mb = parseMailbox(raw);
      if (mb) out.push(mb);
      else warnOnce(`emailalert: ignoring unusable address ${JSON.stringify(raw.trim())}`);
    }
    return out;
  };
  const sender = (): Mailbox | undefined => {
    const raw = config?.global.emailalertfrom;
    if (!raw) return undefined;
    const mb = parseMailbox(raw);
    if (!mb) warnOnce(`emailalertfrom: ignoring unusable address ${JSON.stringify(raw)}`);
    return mb;
  };

  // -- what the body says about a virtual, when the daemon gives no describe() ---------------
  const seen = new Map<string, { health: Health; reason: string }>();
  const realKey = (v: VirtualService, address: string, port: number) => `${virtualId(v)} ${hostPort(address, port)}`;
  const describe = (v: VirtualService): VirtualState | undefined => {
    try {
      if (opts.describe) return opts.describe(v);
    } catch {
      return undefined;
    }
    return {
      reals: v.reals.map((r) => {
        const s = seen.get(realKey(v, r.address, r.port));
        return { address: r.address, port: r.port, health: s?.health ?? 'unknown', reason: s?.reason };
      }),
    };
  };

  // -- outboxes, one per transport -------------------------------------------------------------
  const timeout = opts.smtpTimeoutMs ?? 10_000;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- SMTP and sendmail transports differ
  const transports = new Map<string, Mail<any, any>>();
  const transporter = async (key: string): Promise<Mail<any, any>> => {
    // Imported for the first mail: ~15 MB of RSS that a daemon which never mails need not carry.
    const { default: nodemailer } = await import('nodemailer');
    let t = transports.get(key);
    if (!t) {
      if (key === 'sendmail') {
        t = nodemailer.createTransport({ sendmail: true, newline: 'unix', path: opts.sendmailPath ?? defaultSendmail() });
      } else {
        const { host, port } = parseSmtp(key.slice('smtp:'.length));
        t = nodemailer.createTransport({
          host,
          port,
          secure: false,
          name: hostname,
          // Opportunistic STARTTLS, unverified, as MTAs relay (RFC 7435): an internal relay
          // with a self-signed certificate must not silence alerts.
          tls: { rejectUnauthorized: false },
          connectionTimeout: timeout,
          greetingTimeout: timeout,
          socketTimeout: timeout * 3,
        });
      }
      transports.set(key, t);
    }
    return t;
  };
  const outboxes = new Map<string, Outbox<OutMail>>();
  const outbox = (key: string): Outbox<OutMail> => {
    let o = outboxes.get(key);
    if (!o) {
      o = new Outbox<OutMail>({
        limit: opts.queueLimit ?? 50,
        retryInitialMs: opts.retryInitialMs ?? 2000,
        retryMaxMs: opts.retryMaxMs ?? 300_000,
        transient,
        log,
        describe: (m) => m.subject,
        send: async (m) => {
          const user = (() => {
            try {
              return userInfo().username;
            } catch {
              return 'root';
            }
          })();
          await (await transporter(m.transport)).sendMail({
            from: m.from ?? { name: '', address: `${user}@${hostname}` },
            to: m.to,
            subject: m.subject,
            text: m.text,
          });
        },
      });
      outboxes.set(key, o);
    }
    return o;
  };

  // -- coalescing window ---------------------------------------------------------------------
  const groups = new Map<string, Group>();
  let window: NodeJS.Timeout | undefined;
  let windowOpened = 0;
  const flush = () => {
    if (window) clearTimeout(window);
    window = undefined;
    const redact = redactor(config);
    for (const g of groups.values()) {
      const content = compose(g.items, { hostname, describe, redact });
      log('info', `emailalert: ${redact(bareSubject(g.items))}`);
      outbox(g.transport).push({ transport: g.transport, from: g.from, to: g.to, ...content });
    }
    groups.clear();
  };
  const enqueue = (item: AlertItem, s: Settings = settingsFor(item.virtual)) => {
    if (!s.status.includes(item.status)) return;
    const to = recipients(s.to);
    if (!to.length) return;
    const from = sender();
    const transport = s.smtp ? `smtp:${s.smtp.trim()}` : 'sendmail';
    const key = JSON.stringify([transport, from?.address ?? '', to.map((m) => m.address.toLowerCase()).sort()]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { transport, from, to, items: [] }));
    g.items.push(item);
    // a sliding window: each event waits for a quiet spell, up to the cap from the first one
    const now = performance.now();
    if (!window) windowOpened = now;
    clearTimeout(window);
    const wait = Math.min(opts.coalesceMs ?? 1500, windowOpened + (opts.maxCoalesceMs ?? 10_000) - now);
    window = setTimeout(flush, Math.max(0, wait));
    window.unref();
  };

  // -- repeats (emailalertfreq) ----------------------------------------------------------------
  // alertAt is monotonic (performance.now): a wall-clock jump must neither stop repeats nor burst them.
  const repeats = new Map<string, { virtual?: VirtualService; alertAt: number }>();
  const repeatTimer = setInterval(() => {
    const now = performance.now();
    for (const [subject, r] of repeats) {
      const freq = settingsFor(r.virtual).freq;
      if (freq <= 0) {
        repeats.delete(subject);
        continue;
      }
      if (now - r.alertAt < freq * 1000) continue;
      r.alertAt = now;
      enqueue({ kind: 'inaccessible', message: `Inaccessible real server: ${subject}`, subject, virtual: r.virtual, status: daemonState, at: Date.now() });
    }
  }, opts.repeatTickMs ?? 1000);
  repeatTimer.unref();

  // -- bus -------------------------------------------------------------------------------------
  const onIpvs = (e: DaemonEvents['ipvs'][0]) => {
    if (e.kind === 'purged-virtual' && e.virtual) {
      const label = e.message.replace(/^.*?: /, '');
      for (const k of repeats.keys()) if (k.endsWith(`(${label})`)) repeats.delete(k);
    }
    if (!MAILED.has(e.kind)) return;
    // repeat bookkeeping comes before the status filter, as in ldirectord
    if (e.subject) {
      if (STARTS_REPEAT.has(e.kind) && settingsFor(e.virtual).freq > 0 && !opts.deliberate?.(e)) repeats.set(e.subject, { virtual: e.virtual, alertAt: performance.now() });
      else repeats.delete(e.subject);
    }
    enqueue({ kind: e.kind, message: e.message, subject: e.subject, virtual: e.virtual, status: daemonState, at: e.at });
  };
  const onState = (e: DaemonEvents['state'][0]) => {
    daemonState = e.state;
    config = e.config;
    // a reload may drop virtual services: no repeats or remembered health for those
    const ids = new Set(e.config.virtuals.map(virtualId));
    for (const [k, r] of repeats) if (r.virtual && !ids.has(virtualId(r.virtual))) repeats.delete(k);
    for (const k of seen.keys()) if (!ids.has(k.slice(0, k.indexOf(' ')))) seen.delete(k);
  };
  const onTransition = (e: DaemonEvents['transition'][0]) => {
    seen.set(realKey(e.virtual, e.real.address, e.real.port), { health: e.to, reason: e.message });
  };
  // A config that does not parse leaves the running one in force; the operator who saved it
  // may not be looking at the log. ldirectord mailed nothing here. Everyone the running config
  // alerts hears of it once (global and per-virtual recipient sets), filtered as `reloading`.
  const onReload = (e: DaemonEvents['reload'][0]) => {
    if (e.ok) return;
    const sets = new Map<string, Settings>();
    for (const s of [settingsFor(), ...(config?.virtuals ?? []).map((v) => settingsFor(v))]) {
      if (!s.status.includes('reloading')) continue;
      const key = JSON.stringify([s.smtp?.trim() ?? '', recipients(s.to).map((m) => m.address.toLowerCase()).sort()]);
      if (!sets.has(key)) sets.set(key, s);
    }
    const message = `Reload failed, keeping the running configuration: ${e.error ?? `cannot read ${e.file}`}`;
    for (const s of sets.values()) enqueue({ kind: 'reload-failed', message, status: 'reloading', at: e.at }, s);
  };
  // A role change is news for everyone the global settings alert (a failover happened), under
  // the daemon's current state, as ldirectord's mails are.
  const onRole = (e: DaemonEvents['role'][0]) => {
    enqueue({ kind: 'role', message: roleMessage(e), status: daemonState, at: e.at });
  };
  // An operator's override goes to the recipients of its virtual service (global ones for an
  // override a reload dropped), so the other operators learn who took what out.
  const onOverride = (e: DaemonEvents['override'][0]) => {
    enqueue({ kind: 'override', message: e.message, subject: e.subject, virtual: e.virtual, status: daemonState, at: e.at });
  };
  // certwarndays (health/cert-watch.ts decides when): to the virtual service's recipients
  const onCert = (e: DaemonEvents['cert-expiring'][0]) => {
    enqueue({ kind: 'cert-expiring', message: e.message, subject: e.subject, virtual: e.virtual, status: daemonState, at: e.at });
  };
  bus.on('ipvs', onIpvs);
  bus.on('cert-expiring', onCert);
  bus.on('override', onOverride);
  bus.on('state', onState);
  bus.on('transition', onTransition);
  bus.on('reload', onReload);
  bus.on('role', onRole);

  let closing: Promise<void> | undefined;
  return {
    flush,
    get queued() {
      let n = 0;
      for (const o of outboxes.values()) n += o.size;
      return n;
    },
    close(drainMs = 5000) {
      closing ??= (async () => {
        bus.off('ipvs', onIpvs);
        bus.off('cert-expiring', onCert);
        bus.off('state', onState);
        bus.off('transition', onTransition);
        bus.off('reload', onReload);
        bus.off('role', onRole);
        bus.off('override', onOverride);
        clearInterval(repeatTimer);
        flush();
        await Promise.all([...outboxes.values()].map((o) => o.drain(drainMs)));
        for (const t of transports.values()) t.close();
      })();
      return closing;
    },
  };
}
