// checktype=external-perl (spec §3.3 item 6): ldirectord eval()s the file inside the daemon;
// lvsd runs `perl <file> vip vport rip rport` as a separate process with the external
// contract instead (exit 0 = up), so a script can neither crash nor block the daemon.
import { externalArgs, programChecker } from './external.js';
import type { Checker } from './types.js';

export const externalPerlChecker: Checker = programChecker((t) => ['perl', t.checkcommand, ...externalArgs(t)]);
