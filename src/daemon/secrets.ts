// Check messages are masked with every secret of the running configuration, not only with the
// checked target's own (src/status/redact.ts does that): a real server shared by two virtual
// services, or a hostile one, may echo another service's passwd, secret or URL password.
import type { Config } from '../config/model.js';
import type { Checker, CheckTarget } from '../checks/types.js';
import { redactor, type Redact } from '../status/redact.js';

export function maskingAllSecrets(checkerFor: (t: CheckTarget) => Checker, config: () => Config): (t: CheckTarget) => Checker {
  let masked: { config: Config; redact: Redact } | undefined;
  const redact = (text: string): string => {
    const c = config();
    if (masked?.config !== c) masked = { config: c, redact: redactor(c) }; // once per (re)load
    return masked.redact(text);
  };
  return (target) => {
    const inner = checkerFor(target);
    return {
      check: async (t, signal) => {
        const r = await inner.check(t, signal);
        return { ...r, message: redact(r.message) };
      },
    };
  };
}
