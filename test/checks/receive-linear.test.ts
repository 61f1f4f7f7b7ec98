// Which receive patterns are matched on the daemon's thread: only those with no choice point
// (no quantifier, no alternation). Everything else, and anything unclear, goes to a worker.
import t from 'tap';
import { cannotBacktrack } from '../../src/checks/receive-linear.js';
import { translatePerlRegex } from '../../src/config/perl-regex.js';

const perl = (src: string): RegExp => {
  const r = translatePerlRegex(src);
  if ('error' in r) throw new Error(r.error);
  return r.regex;
};

t.test('literals, anchors, classes, groups, lookarounds and backreferences cannot backtrack', async (t) => {
  for (const p of ['OK', '^HTTP/1\\.[01] 200', 'ok$', '\\bfoo\\b', '^$', '(?:ab)c', '(a)\\1', '(?=x)x', '(?<=a)b', '[*+?{|]', '[\\]*]x', '\\*\\+\\?\\{\\|', '(?<n>a)\\k<n>']) {
    t.ok(cannotBacktrack(new RegExp(p)), p);
  }
  t.ok(cannotBacktrack(perl('(?i)welcome')), 'a Perl inline flag');
});

t.test('quantifiers and alternation go to a worker', async (t) => {
  for (const p of ['(a+)+$', 'a*', 'a?b', 'x{2,3}', 'a|b', '(a|a)(a|a)', '\\(?\\(?x', '[]a*', '[^]a+', '\\p{L}+', '.*OK']) {
    t.notOk(cannotBacktrack(new RegExp(p, p.startsWith('\\p') ? 'u' : '')), p);
  }
  t.notOk(cannotBacktrack(/[[a]]/v), 'v-mode classes are not parsed');
  for (const p of ['(?>a+)b', 'a++b', '(a+)+$']) t.notOk(cannotBacktrack(perl(p)), `Perl ${p}`);
});
