// Reals a reload removed from a virtual that stays: kept in the kernel at weight 0 for a while
// (at least one check interval and DRAIN_MIN_SECONDS) so their connections drain, then deleted.
// Pure: the daemon keeps the list and its timer; `lvsd plan` computes the same list unapplied.
import type { Config } from '../config/model.js';
import { effective } from '../config/effective.js';
import { serviceKeyString } from '../ipvs/types.js';
import { destKey, type DesiredDest, type DesiredService } from './desired.js';

export const DRAIN_MIN_SECONDS = 5;

/** A destination removed from the config by a reload: kept at weight 0 until `until` (monotonic ms), then deleted. */
export interface Draining {
  service: string;
  dest: DesiredDest;
  until: number;
}

/**
 * What a reload starts draining: the up reals of `previous` (the table before it) that `next`
 * (the new config's table with every real up) no longer has, in services that stay.
 */
export function drainsFor(previous: readonly DesiredService[], next: readonly DesiredService[], cfg: Config, now: number): Draining[] {
  const byKey = new Map(next.map((s) => [serviceKeyString(s.key), s]));
  const out: Draining[] = [];
  for (const s of previous) {
    const k = serviceKeyString(s.key);
    const still = byKey.get(k);
    if (!still) continue; // the whole service goes: nothing to drain into
    // Long enough for the weight-0 entry to be seen, and at least one check interval.
    const ms = Math.max(effective(cfg, still.virtual).checkinterval, DRAIN_MIN_SECONDS) * 1000;
    // a set, not a scan per dest: a reload of a virtual with thousands of reals stays linear
    const kept = new Set(still.dests.map((x) => destKey(x.address, x.port)));
    for (const d of s.dests) {
      if (d.role !== 'real' || d.weight === 0) continue;
      if (kept.has(destKey(d.address, d.port))) continue;
      out.push({ service: k, dest: { ...d, weight: 0, binding: undefined }, until: now + ms });
    }
  }
  return out;
}

/** Put the draining destinations into `services` (the desired table), where nothing else holds their place. */
export function addDraining(services: DesiredService[], draining: readonly Draining[]): void {
  if (draining.length === 0) return;
  // Looked up in maps (the first service of a key wins, as find() did), not scanned per entry.
  const byKey = new Map<string, DesiredService>();
  for (const x of services) {
    const k = serviceKeyString(x.key);
    if (!byKey.has(k)) byKey.set(k, x);
  }
  const present = new Map<DesiredService, Set<string>>();
  for (const d of draining) {
    const s = byKey.get(d.service);
    if (!s) continue;
    let keys = present.get(s);
    if (!keys) present.set(s, (keys = new Set(s.dests.map((x) => destKey(x.address, x.port)))));
    const k = destKey(d.dest.address, d.dest.port);
    if (keys.has(k)) continue;
    s.dests.push(d.dest);
    keys.add(k);
  }
}
