// Operator hooks: `fallbackcommand` (run `<cmd> start|stop <vip:vport> <proto>` when a virtual
// service loses its last real or gets one back, spec §2.5) and `callback` (run `<cmd> <configpath>`
// when the config file's content changes, spec §2.7). Never through a shell: the command line is
// split into words (quotes honoured), and anything a shell would interpret is refused.
import { parse } from 'shell-quote';
import { virtualId, virtualLabel } from '../config/effective.js';
import { effective } from '../config/effective.js';
import type { VirtualService } from '../config/model.js';
import { runProcessGroup, describeOutcome } from '../checks/process-group.js';
import type { Daemon } from './daemon.js';

const HOOK_TIMEOUT_MS = 30_000;

/** Split a command line into argv without a shell; undefined if it uses shell syntax. */
export function splitCommand(line: string): string[] | undefined {
  let words: ReturnType<typeof parse>;
  try {
    words = parse(line, (name) => `$${name}`);
  } catch {
    return undefined; // shell-quote throws on some syntax ("${" is a bad substitution)
  }
  if (words.length === 0 || words.some((w) => typeof w !== 'string')) return undefined;
  return words as string[];
}

export async function runHook(daemon: Daemon, what: string, line: string, args: string[]): Promise<void> {
  const argv = splitCommand(line);
  if (!argv) {
    daemon.bus.emit('log', { level: 'error', message: `${what}: refusing "${line}": shell syntax is not supported (no shell is used)` });
    return;
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), HOOK_TIMEOUT_MS);
  try {
    const [file, ...rest] = argv as [string, ...string[]];
    const out = await runProcessGroup(file, [...rest, ...args], abort.signal);
    if (out.code !== 0) daemon.bus.emit('log', { level: 'error', message: `${what} ${[...argv, ...args].join(' ')} failed: ${describeOutcome(out)}` });
  } catch (e) {
    daemon.bus.emit('log', { level: 'error', message: `${what} ${line} failed: ${(e as Error).message}` });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Watch per-virtual "any real up" and run fallbackcommand on each change of it. Runs for one
 * virtual never overlap and keep their order (ldirectord ran them synchronously): a slow
 * `start` must not finish after the `stop` that followed it.
 */
export function attachFallbackCommand(daemon: Daemon): () => void {
  const last = new Map<string, 'start' | 'stop'>();
  const running = new Map<string, Promise<void>>();
  const consider = (v: VirtualService): void => {
    const cmd = effective(daemon.config, v).fallbackcommand;
    if (!cmd) return;
    const states = daemon.book.all().filter((b) => b.virtual === v).map((b) => daemon.book.health(b));
    if (states.includes('unknown') && !states.includes('up')) return; // not known yet
    const want = states.includes('up') ? 'stop' : 'start';
    const id = virtualId(v);
    if (last.get(id) === want) return;
    last.set(id, want);
    const args = [want, v.protocol === 'fwm' ? `${virtualLabel(v)}:0` : virtualLabel(v), v.protocol];
    const next = (running.get(id) ?? Promise.resolve()).then(() => runHook(daemon, 'fallbackcommand', cmd, args));
    running.set(id, next);
    void next.finally(() => running.get(id) === next && running.delete(id));
  };
  const onTransition = (e: { virtual: VirtualService }) => consider(e.virtual);
  const onState = (e: { state: string }) => {
    if (e.state === 'running') for (const v of daemon.config.virtuals) consider(v);
  };
  daemon.bus.on('transition', onTransition);
  daemon.bus.on('state', onState);
  return () => {
    daemon.bus.off('transition', onTransition);
    daemon.bus.off('state', onState);
  };
}
