// Operator overrides over the control socket (`lvsd disable|drain|weight|enable ...`), kept in
// their state file (./override-file.ts) across reloads and restarts. Every change is a bus event
// (logged and mailed) and a re-plan of the table; a reload that removes an overridden real drops
// its override with a line of its own. The state is the daemon's Overrides (table/override.ts).
import type { Daemon } from './daemon.js';
import { virtualId } from '../config/effective.js';
import { overrideText, type Override } from '../table/override.js';
import { parseOverride, resolveOverride } from '../table/override-command.js';
import { readOverrideFile, writeOverrideFile } from './override-file.js';

export interface OverrideControl {
  /** the control socket's override command: `ok ...` lines, or `error: ...`. */
  command(words: string[]): string;
  close(): void;
}

export function attachOverrides(daemon: Daemon, file: string, onError: (message: string) => void): OverrideControl {
  const overrides = daemon.overrides;
  const tell = (message: string, o: Pick<Override, 'virtual' | 'real'>) => {
    const virtual = daemon.config.virtuals.find((v) => o.virtual === virtualId(v));
    daemon.bus.emit('override', { message, virtual, subject: `${o.real} (${o.virtual})`, at: Date.now() });
  };
  const save = () => {
    try {
      writeOverrideFile(file, overrides.all());
    } catch (e) {
      onError(`cannot keep the overrides in ${file} (they are lost at a restart): ${(e as Error).message}`);
    }
  };
  const prune = (): boolean => {
    const dropped = overrides.prune(daemon.config);
    for (const o of dropped) tell(`Override dropped, its real server is no longer in the configuration: ${overrideText(o)}`, o);
    return dropped.length > 0;
  };

  let kept: Override[] = [];
  try {
    kept = readOverrideFile(file);
  } catch (e) {
    onError(`cannot read the overrides kept in ${file}, starting with none: ${(e as Error).message}`);
  }
  for (const o of kept) overrides.set(o);
  const droppedAtStart = prune();
  for (const o of overrides.all()) tell(`Override kept from the previous run: ${overrideText(o)}`, o);
  if (droppedAtStart) save();

  const onReload = (e: { ok: boolean }) => {
    if (!e.ok || !prune()) return;
    save();
    daemon.reconciler.request();
  };
  daemon.bus.on('reload', onReload);

  return {
    command(words) {
      const req = parseOverride(words);
      if (typeof req === 'string') return `error: ${req}`;
      const targets = resolveOverride(daemon.config, req);
      if (typeof targets === 'string') return `error: ${targets}`;
      if (req.verb === 'weight') {
        const over = targets.find((t) => req.weight! > t.real.weight);
        if (over) {
          return `error: weight ${req.weight} is above the configured weight ${over.real.weight} of ${over.realId} in ${over.virtualId}; an override can only lower a weight (raise it in the configuration)`;
        }
      }
      const answers: string[] = [];
      let changed = false;
      for (const t of targets) {
        const key = { virtual: t.virtualId, real: t.realId };
        if (req.verb === 'enable') {
          const had = overrides.clear(t.virtualId, t.realId);
          if (!had) {
            answers.push(`ok no override for ${t.realId} (${t.virtualId})`);
            continue;
          }
          tell(`Override cleared, the checks decide again: ${overrideText(had)}`, key);
          answers.push(`ok cleared ${overrideText(had)}`);
          changed = true;
          continue;
        }
        const o: Override = { ...key, action: req.verb, ...(req.verb === 'weight' ? { weight: req.weight } : {}), at: Date.now() };
        const had = overrides.get(t.virtualId, t.realId);
        if (had && had.action === o.action && had.weight === o.weight) {
          answers.push(`ok already ${overrideText(o)}`);
          continue;
        }
        overrides.set(o);
        tell(`Override: ${overrideText(o)}`, key);
        answers.push(`ok ${overrideText(o)}`);
        changed = true;
      }
      if (changed) {
        save();
        daemon.reconciler.request();
      }
      return answers.join('\n');
    },
    close: () => void daemon.bus.off('reload', onReload),
  };
}
