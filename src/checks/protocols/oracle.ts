// service=oracle: ldirectord needs DBD::Oracle, and lvsd would need Oracle's client libraries;
// neither is installable from Debian or npm here. The check says so plainly rather than guess,
// and the config check is expected to refuse service=oracle with the same reason.
import { down } from '../deadline.js';
import type { Checker } from '../types.js';

export const ORACLE_UNSUPPORTED =
  'service=oracle is not supported: no Oracle client library is available to lvsd';

export const oracleChecker: Checker = {
  check: () => Promise.resolve(down(ORACLE_UNSUPPORTED)),
};
