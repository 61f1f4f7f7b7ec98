// Health + config → the IPVS table lvsd wants. Pure: no I/O, no clock.
import type { Config, VirtualService } from '../config/model.js';
import { effective } from '../config/effective.js';
import type { Dest, ServiceAttrs, ServiceKey } from '../ipvs/types.js';
import type { Binding } from '../health/targets.js';
import type { Health } from '../events/index.js';

export interface DesiredDest extends Dest {
  role: 'real' | 'fallback';
  /** the port the config gave, before ipvsadm's DR/TUN rewrite (for "mapped from" log text). */
  configuredPort: number;
  binding?: Binding;
  /** a weight stage set the weight (it differs from the configured one). */
  staged?: boolean;
}

export interface DesiredService {
  key: ServiceKey;
  attrs: ServiceAttrs;
  virtual: VirtualService;
  dests: DesiredDest[];
  /**
   * `ip:port` of dests whose health is not known yet: whatever the kernel has for them is kept
   * (adopted), so a start or reload never removes or re-adds a real before it has been checked.
   */
  keep: Set<string>;
  /** where this service's fallback sits in the kernel, whether or not it is active now. */
  fallback?: { address: string; port: number };
}

export function serviceKeyOf(v: VirtualService): ServiceKey {
  if (v.protocol === 'fwm') return { protocol: 'fwm', family: v.family, port: 0, fwmark: v.fwmark };
  return { protocol: v.protocol, family: v.family, address: v.address, port: v.port };
}

export function serviceAttrsOf(v: VirtualService): ServiceAttrs {
  return {
    scheduler: v.scheduler,
    persistent: v.persistent,
    // ldirectord emits -M only together with -p (spec §1.3).
    netmask: v.persistent !== undefined ? v.netmask : undefined,
    schedflags: v.schedflags,
    ops: v.ops && v.protocol === 'udp',
  };
}

/** ipvsadm (and the kernel) store gate/ipip destinations of a non-fwmark service on the service's port. */
export function kernelPort(v: VirtualService, forward: Dest['forward'], port: number): number {
  return v.protocol !== 'fwm' && forward !== 'masq' ? v.port : port;
}

export function destKey(address: string, port: number): string {
  return `${address}|${port}`;
}

/**
 * A pool policy's say on an up real's weight (agent word, slow start, override, ...): it gets the
 * weight so far and returns the new one. Stages run in order; the result is clamped to
 * 0..configured, so no stage can grow a weight past the config.
 */
export type WeightStage = (b: Binding, weight: number) => number;

export function desiredTable(
  cfg: Config,
  bindings: readonly Binding[],
  health: (b: Binding) => Health,
  stages: readonly WeightStage[] = [],
): DesiredService[] {
  const byVirtual = new Map<VirtualService, Binding[]>();
  for (const b of bindings) {
    const list = byVirtual.get(b.virtual) ?? [];
    list.push(b);
    byVirtual.set(b.virtual, list);
  }
  return cfg.virtuals.map((v) => {
    const eff = effective(cfg, v);
    const dests: DesiredDest[] = [];
    const keep = new Set<string>();
    let anyUp = false;
    let anyUnknown = false;
    for (const b of byVirtual.get(v) ?? []) {
      const r = b.real;
      const port = kernelPort(v, r.forward, r.port);
      const h = health(b);
      if (h === 'up') anyUp = true;
      if (h === 'unknown') {
        anyUnknown = true;
        keep.add(destKey(r.address, port));
        continue;
      }
      if (h === 'down' && !eff.quiescent) continue;
      const weight = h === 'up' ? weighed(b, stages) : 0;
      const staged = h === 'up' && weight !== r.weight;
      dests.push({
        role: 'real',
        binding: b,
        address: r.address,
        port,
        configuredPort: r.port,
        forward: r.forward,
        weight,
        ...(staged ? { staged } : {}),
        upper: r.upper,
        lower: r.lower,
      });
    }
    const fb = eff.fallback;
    let fallback: DesiredService['fallback'];
    if (fb) {
      const configured = fb.port ?? v.port;
      const port = kernelPort(v, fb.forward, configured);
      fallback = { address: fb.address, port };
      if (!anyUp && anyUnknown) keep.add(destKey(fb.address, port));
      else if (!anyUp && !dests.some((d) => d.address === fb.address && d.port === port)) {
        // The fallback takes traffic only when no real is up, and is never quiesced.
        dests.push({ role: 'fallback', address: fb.address, port, configuredPort: configured, forward: fb.forward, weight: 1, upper: 0, lower: 0 });
      }
    }
    return { key: serviceKeyOf(v), attrs: serviceAttrsOf(v), virtual: v, dests, keep, fallback };
  });
}

/** An up real's weight after every stage, clamped to 0..configured. */
function weighed(b: Binding, stages: readonly WeightStage[]): number {
  let w = b.real.weight;
  for (const stage of stages) w = stage(b, w);
  return Math.max(0, Math.min(b.real.weight, Math.round(w)));
}
