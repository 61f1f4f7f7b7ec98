// Secrets must never reach a status view: the status snapshot leaves out passwd=, secret=,
// login= and request= altogether, and every free text it does carry (check messages,
// reload and IPVS errors) goes through this first, because a check or a parse error may quote them.
import type { Config } from '../config/model.js';

export type Redact = (text: string) => string;

const MASK = '***';
/** Shorter values would mask ordinary words; see the README's note on short passwords. */
const MIN_SECRET = 3;
/** `scheme://user:password@` — keep the user, mask the password. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]*@/gi;
/** `passwd=...` / `secret="..."` as a config line quoted in an error. */
const DIRECTIVE = /\b(passwd|secret)(\s*[=:]\s*)("[^"]*"?|\S+)/gi;

/** The secret values a config holds: passwd=, secret= and passwords in request URLs. */
export function secretsOf(cfg: Config): string[] {
  const out = new Set<string>();
  const add = (s: string | undefined) => {
    if (s && s.length >= MIN_SECRET) out.add(s);
  };
  const fromUrl = (request: string | undefined) => {
    for (const m of (request ?? '').matchAll(/:\/\/[^\s/:@]*:([^\s/@]*)@/g)) {
      add(m[1]);
      try {
        add(decodeURIComponent(m[1] ?? ''));
      } catch {
        // not percent-encoded text: the raw form is already listed
      }
    }
  };
  for (const v of cfg.virtuals) {
    add(v.passwd);
    add(v.secret);
    fromUrl(v.request);
    for (const r of v.reals) fromUrl(r.request);
  }
  // Longest first, so a secret containing another is masked whole.
  return [...out].sort((a, b) => b.length - a.length);
}

export function redactor(cfg: Config): Redact {
  const secrets = secretsOf(cfg);
  return (text) => {
    let s = text.replace(URL_CREDENTIALS, `$1:${MASK}@`).replace(DIRECTIVE, `$1$2${MASK}`);
    for (const secret of secrets) s = s.split(secret).join(MASK);
    return s;
  };
}
