// Checks that touch no network (spec §3.3 items 7–8, §1.4):
//   checktype=on             → up every time;
//   negotiate, service=none  → up every time (ldirectord's check_none);
//   checktype=off            → passive: ldirectord runs nothing and leaves the reals as start
//                              left them. lvsd represents it as a target the scheduler never
//                              schedules (`isPassive`), so no result ever changes its state.
import { down, up } from './deadline.js';
import type { CheckTarget, Checker } from './types.js';

/** True when the scheduler must not run checks for this target (checktype=off). */
export function isPassive(target: Pick<CheckTarget, 'checktype'>): boolean {
  return target.checktype === 'off';
}

export const onChecker: Checker = { check: async () => up('checktype on: not checked') };

export const noneChecker: Checker = { check: async () => up('service none: not checked') };

/**
 * Only reached if a caller ignores `isPassive`. It reports down, which is the state ldirectord
 * leaves such reals in after start (added, then removed or quiesced).
 */
export const offChecker: Checker = { check: async () => down('checktype off: not checked') };
