// checktype=external (spec §3.3 item 5): run checkcommand with `vip vport rip rport`
// (fwmark services: `mark 0 rip rport`); exit 0 means up. No shell, PATH-only environment,
// own process group killed as a whole at checktimeout (ldirectord only TERMed the child).
import { runCheck, up, down } from './deadline.js';
import { describeOutcome, runProcessGroup } from './process-group.js';
import type { CheckTarget, Checker } from './types.js';

export function externalArgs(t: CheckTarget): string[] {
  return [t.vip, String(t.vport), t.host, String(t.rport)];
}

/** Run `file args` as a check under checktimeout: up on exit 0. */
export function programChecker(argv: (t: CheckTarget) => [string, ...string[]]): Checker {
  return {
    check: (target, signal) =>
      runCheck(signal, target.checktimeout, async (s) => {
        const [file, ...args] = argv(target);
        const outcome = await runProcessGroup(file, args, s);
        const result = outcome.code === 0 ? up('Success') : down(describeOutcome(outcome));
        const output = target.agentoutput ? firstLine(outcome.output) : undefined;
        return output ? { ...result, output } : result;
      }),
  };
}

/** The program's first non-empty output line, trimmed and cut to 200 characters. */
function firstLine(output: string): string | undefined {
  return output.split('\n').map((l) => l.trim()).find(Boolean)?.slice(0, 200);
}

export const externalChecker: Checker = programChecker((t) => [t.checkcommand, ...externalArgs(t)]);
