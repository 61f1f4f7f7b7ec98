// Model → YAML in the schema ./yaml.ts reads (same directive names as ldirectord.cf).
import { stringify } from 'yaml';
import type { Config, Fallback, RealServer } from './model.js';
import { fallbackText, globalEntries, headerValue, realAddressText, virtualEntries, type Entry } from './write-cf.js';

function real(r: RealServer): string | Record<string, unknown> {
  if (r.request === undefined) return realAddressText(r);
  return {
    address: r.address,
    ...(r.port !== 0 ? { port: r.port } : {}),
    forward: r.forward,
    weight: r.weight,
    request: r.request,
    receive: r.receive ?? '',
    ...(r.lower ? { lower: r.lower } : {}),
    ...(r.upper ? { upper: r.upper } : {}),
  };
}

function toMap(entries: Entry[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of entries) {
    if (name === 'real' || name === 'real6') {
      ((out[name] ??= []) as unknown[]).push(real(value as RealServer));
    } else if (typeof value === 'object' && !Array.isArray(value)) {
      out[name] = fallbackText(value as Fallback);
    } else out[name] = value;
  }
  return out;
}

export function writeYaml(cfg: Config): string {
  const doc: Record<string, unknown> = toMap(globalEntries(cfg.global));
  if (cfg.virtuals.length) {
    doc.virtuals = cfg.virtuals.map((v) => ({ [v.family === 6 ? 'virtual6' : 'virtual']: headerValue(v), ...toMap(virtualEntries(v)) }));
  }
  return `# lvsd configuration written from ${cfg.file}\n` + stringify(doc, { lineWidth: 0 });
}
