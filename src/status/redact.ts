// Secrets must never reach a log line, an alert or a status view. Two layers:
//  - at the source, every check result's message is masked with its own target's secrets
//    (`redactingChecks`), so the log, mails, monitorfiles and status all get a clean text even
//    when a server echoes a password back in its error reply;
//  - the status snapshot leaves out passwd=, secret=, login= and request= altogether and masks
//    every free text it carries (check messages, reload and IPVS errors) once more (`redactor`).
import type { Config } from '../config/model.js';
import type { Checker, CheckTarget } from '../checks/types.js';

export type Redact = (text: string) => string;

const MASK = '***';
/** Shorter values would mask ordinary words; see the README's note on short passwords. */
const MIN_SECRET = 3;
/** `scheme://user:password@` — keep the user, mask the password. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]*@/gi;
/** `passwd=...` / `secret="..."` as a config line quoted in an error. */
const DIRECTIVE = /\b(passwd|secret)(\s*[=:]\s*)("[^"]*"?|\S+)/gi;

/** passwd, secret and request URL passwords (raw and percent-decoded) worth masking. */
function collect(into: Set<string>, passwd: string, secret: string, requests: (string | undefined)[]): void {
  const add = (s: string | undefined) => {
    if (s && s.length >= MIN_SECRET) into.add(s);
  };
  add(passwd);
  add(secret);
  for (const request of requests) {
    for (const m of (request ?? '').matchAll(/:\/\/[^\s/:@]*:([^\s/@]*)@/g)) {
      add(m[1]);
      try {
        add(decodeURIComponent(m[1] ?? ''));
      } catch {
        // not percent-encoded text: the raw form is already listed
      }
    }
  }
}

/** The secret values a config holds. */
export function secretsOf(cfg: Config): string[] {
  const out = new Set<string>();
  for (const v of cfg.virtuals) collect(out, v.passwd, v.secret, [v.request, ...v.reals.map((r) => r.request)]);
  return [...out];
}

export function redactorOf(secrets: Iterable<string>): Redact {
  // Longest first, so a secret containing another is masked whole.
  const list = [...secrets].sort((a, b) => b.length - a.length);
  return (text) => {
    let s = text.replace(URL_CREDENTIALS, `$1:${MASK}@`).replace(DIRECTIVE, `$1$2${MASK}`);
    for (const secret of list) s = s.split(secret).join(MASK);
    return s;
  };
}

export function redactor(cfg: Config): Redact {
  return redactorOf(secretsOf(cfg));
}

/** Wrap a checker lookup so that no result message carries its target's secrets. */
export function redactingChecks(checkerFor: (t: CheckTarget) => Checker): (t: CheckTarget) => Checker {
  return (target) => {
    const inner = checkerFor(target);
    const secrets = new Set<string>();
    collect(secrets, target.passwd, target.secret, [target.request]);
    const redact = redactorOf(secrets);
    return {
      check: async (t, signal) => {
        const r = await inner.check(t, signal);
        return { ...r, message: redact(r.message) };
      },
    };
  };
}
