// Every case of ./cases.ts: lvsd's acceptance, error line and message, and warnings.
import t from 'tap';
import { CASES } from './cases.js';
import { cf, configError, scratch } from './helpers.js';

t.test('lexical rules and errors', async (t) => {
  const tmp = scratch(t);
  for (const c of CASES) {
    await t.test(c.name, async (t) => {
      const text = c.text.replaceAll('{{TMP}}', tmp);
      if (c.error) {
        const e = await configError(t, cf(text));
        if (!e) return;
        t.equal(e.line, c.error.line, `line (${e.detail})`);
        t.match(e.detail, c.error.message);
        t.equal(e.file, '/test/ldirectord.cf');
      } else {
        const cfg = await cf(text);
        t.ok(cfg, 'accepted');
        if (c.warn) {
          const w = cfg.warnings.find((x) => c.warn!.message.test(x.message));
          t.ok(w, `warning ${c.warn.message} in ${JSON.stringify(cfg.warnings)}`);
          t.equal(w?.line, c.warn.line, 'warning line');
        }
      }
    });
  }
});
