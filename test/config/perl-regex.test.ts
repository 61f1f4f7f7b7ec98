// translatePerlRegex: each case states what Perl does; when perl is installed the whole
// table is also run through real Perl first, so the expectations themselves are checked.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { translatePerlRegex } from '../../src/config/perl-regex.js';

// [pattern, subject, does Perl match]
const CASES: Array<[string, string, boolean]> = [
  // patterns seen in real configurations
  ['^HTTP/1\\.[01] 200', 'HTTP/1.1 200 OK\r\n', true],
  ['<title>.*</title>', '<html><title>Home</title>', true],
  ['(?s)<html>.*</html>', '<html>\n<body/>\n</html>\n', true],
  ['<html>.*</html>', '<html>\n</html>', false],
  ['(?i)content-type:\\s*text/html', 'Content-Type: text/html; charset=utf-8', true],
  ['"status"\\s*:\\s*"UP"', '{"status" : "UP"}', true],
  ['Server: nginx/1\\.\\d+', 'Server: nginx/1.24.0', true],
  ['\\btrue\\b', 'healthy=true', true],
  ['\\btrue\\b', 'healthy=untrue', false],
  ['^\\+OK', '+OK POP3 ready', true],
  ['^220 ', '220 mail ESMTP', true],
  ['^\\* OK', '* OK IMAP4rev1', true],
  ['It works oh yes', '<h1>It works oh yes</h1>', true],
  ['[[:alpha:]]+\\s+OK$', 'Service OK\n', true],
  ['(?x) ^ 200 \\# \\s ok  # an x-mode comment', '200# ok', true],
  ['^[\\\\]$', '\\', true],
  ['^[\\-]$', '-', true],
  ['(?<!\\d)42', 'x42', true],
  ['(?<!\\d)42', '142', false],
  ['a$|b', 'xb', true],
  // plain text and metacharacters
  ['Test Page', '<h1>Test Page</h1>', true],
  ['Test Page', 'test page', false],
  ['a.c', 'abc', true],
  ['a.c', 'a\nc', false],
  ['a.c', 'a\rc', true], // Perl's . matches \r (JS's does not)
  ['a.c', 'a\u2028c', true],
  ['^ok$', 'ok', true],
  ['^ok$', 'ok\n', true], // $ matches before a final newline
  ['^ok$', 'ok\n\n', false],
  ['^ok\\z', 'ok\n', false],
  ['^ok\\Z', 'ok\n', true],
  ['^ok\\Z', 'ok\nx', false],
  ['\\Aok', 'ok', true],
  ['\\Aok', 'x\nok', false],
  ['^ok', 'x\nok', false],
  ['(?m)^ok$', 'x\nok\ny', true],
  ['(?m)^ok$', 'x\rok\ry', false], // only \n is a line break for Perl
  ['(?m)\\Aok', 'x\nok', false],
  ['(?s)a.c', 'a\nc', true],
  ['(?i)test page', 'TEST PAGE', true],
  ['(?i)^ok$', 'OK', true],
  ['(?x) t e s t  # comment', 'test', true],
  ['(?x) a [ ] b', 'a b', true],
  ['(?x)a\\ b', 'a b', true],
  ['(?x)a b', 'a b', false],
  ['(?xx)^[a b]+$', 'a b', false],
  ['(?xx)^[a b]+$', 'ab', true],
  ['(?ix) O K', 'ok', true],
  // scoped and mid-pattern flags (case emulated per character)
  ['a(?i)b', 'aB', true],
  ['a(?i)b', 'AB', false],
  ['(?i:a)b', 'Ab', true],
  ['(?i:a)b', 'AB', false],
  ['(?i)a(?-i)b', 'Ab', true],
  ['(?i)a(?-i)b', 'AB', false],
  ['(?i)a(?-i:b)c', 'AbC', true],
  ['(?i)a(?-i:b)c', 'ABC', false],
  ['x(?i:[a-c]+)', 'xAbC', true],
  ['x(?i:[^a-c])', 'xB', false],
  ['x(?i:[[:upper:]])', 'xq', true],
  ['(?^i:a)', 'A', true],
  ['(?i)(?^:a)', 'A', false],
  ['(a(?i)b)c', 'aBc', true],
  ['(a(?i)b)c', 'aBC', false],
  ['(?s:a.)b', 'a\nb', true],
  ['(?m:^b)', 'a\nb', true],
  // classes and escapes
  ['^\\d+$', '12345', true],
  ['^\\d+$', '12a45', false],
  ['^\\w+$', 'ab_9', true],
  ['^\\w$', '\u00e9', false], // byte semantics: é is not a word character
  ['^\\s$', '\u000b', true],
  ['^\\s$', '\u00a0', false],
  ['^\\S$', '\u00a0', true],
  ['^\\h$', '\t', true],
  ['^\\h$', '\u00a0', true],
  ['^\\h$', '\n', false],
  ['^\\H$', 'x', true],
  ['^\\v$', '\r', true],
  ['^\\v$', ' ', false],
  ['^\\V$', 'a', true],
  ['^\\R$', '\r\n', true],
  ['^\\R$', '\n', true],
  ['^\\N$', 'a', true],
  ['^\\N$', '\n', false],
  ['^[[:digit:]]+$', '0123', true],
  ['^[[:alpha:]]+$', 'abcXYZ', true],
  ['^[[:alpha:]]$', '1', false],
  ['^[[:^digit:]]$', 'a', true],
  ['^[[:^digit:]]$', '5', false],
  ['^[[:space:][:punct:]]+$', ' !\t?', true],
  ['^[[:xdigit:]]+$', 'DeadBeef', true],
  ['^[[:word:]]+$', 'a_1', true],
  ['^[[:alnum:]-]+$', 'a-1', true],
  ['^[[:cntrl:]]$', '\u0007', true],
  ['^[[:blank:]]$', '\t', true],
  ['^[[:print:]]$', '~', true],
  ['^[[:graph:]]$', ' ', false],
  ['^[[:lower:]]$', 'a', true],
  ['^[[:lower:]]$', 'A', false],
  ['^[[:ascii:]]$', '\u0080', false],
  ['^[]a]$', ']', true],
  ['^[^]a]$', 'b', true],
  ['^[^]a]$', ']', false],
  ['^[a-]$', '-', true],
  ['^[-a]$', '-', true],
  ['^[\\w-z]$', '-', true],
  ['^[\\d.]+$', '1.2', true],
  ['^[\\s\\d]+$', ' 1 ', true],
  ['^[\\S]$', ' ', false],
  ['^[\\D]$', '1', false],
  ['^[\\h]$', '\u00a0', true],
  ['^[\\b]$', '\b', true],
  ['^[\\x41-\\x43]+$', 'ABC', true],
  ['^[\\1]$', '\u0001', true],
  ['^[[]$', '[', true],
  ['^[a\\]]+$', 'a]', true],
  ['^[\\Q]$', 'Q', true],
  ['^\\x41$', 'A', true],
  ['^\\x{263A}$', '\u263a', true],
  ['^\\x4$', '\u0004', true],
  ['^\\x$', '\u0000', true],
  ['^\\o{101}$', 'A', true],
  ['^\\101$', 'A', true],
  ['^\\0$', '\u0000', true],
  ['^\\01$', '\u0001', true],
  ['^\\cA$', '\u0001', true],
  ['^\\c?$', '\u007f', true],
  ['^\\e$', '\u001b', true],
  ['^\\a$', '\u0007', true],
  ['^\\t\\n\\r\\f$', '\t\n\r\f', true],
  ['^\\N{U+41}$', 'A', true],
  ['^\\/\\.\\-$', '/.-', true],
  // Perl passes unknown letter escapes through as the letter (\Q..\E is not quoting here)
  ['\\Qa.b\\E', 'Qa.bE', true],
  ['\\Qa.b\\E', 'a.b', false],
  ['^\\y$', 'y', true],
  ['^\\u0041$', 'u0041', true],
  ['^\\l$', 'l', true],
  ['^\\_$', '_', true],
  ['\\bword\\b', 'a word here', true],
  ['\\bword\\b', 'swordfish', false],
  ['\\Bor\\B', 'word', true],
  ['foo\\Kbar', 'foobar', true],
  ['foo\\Kbar', 'bar', false],
  // quantifiers
  ['^a{2}$', 'aa', true],
  ['^a{2,}$', 'aaaa', true],
  ['^a{2,3}$', 'aaaa', false],
  ['^a{,3}$', 'aaa', true],
  ['^a{,3}$', 'a{,3}', false],
  ['^a{ 1 , 2 }$', 'a', true],
  ['^a{1 }$', 'a', true],
  ['^x{1,2$', 'x{1,2', true],
  ['^a{$', 'a{', true],
  ['^a{}$', 'a{}', true],
  ['^a{,}$', 'a{,}', true],
  ['^{$', '{', true],
  ['^a}$', 'a}', true],
  ['^a]$', 'a]', true],
  ['^a+?b$', 'aaab', true],
  ['^a*?$', '', true],
  ['^a??b$', 'ab', true],
  ['^a++$', 'aa', true],
  ['^a++a$', 'aaa', false],
  ['^a*+a$', 'aa', false],
  ['^a?+a$', 'a', false],
  ['^a{1,3}+a$', 'aaa', false],
  ['^a{1,3}+a$', 'aaaa', true],
  ['^(?>a+)a$', 'aa', false],
  ['^(?>a+)b$', 'aab', true],
  ['^(?>(a)+)\\1$', 'aaa', false],
  ['^(?>x|xy)z$', 'xyz', false],
  ['^(?:ab)++c$', 'ababc', true],
  ['^(a)(?>b)(c)\\2$', 'abcc', true],
  // groups and backreferences
  ['^(a)(b)\\2\\1$', 'abba', true],
  ['^(a)\\1$', 'ab', false],
  ['^(a)\\g1$', 'aa', true],
  ['^(a)\\g{1}$', 'aa', true],
  ['^(a)(b)\\g{-1}$', 'abb', true],
  ['^(a)(b)\\g-2$', 'aba', true],
  ['^(?<x>a)\\k<x>$', 'aa', true],
  ["^(?'x'a)\\k'x'$", 'aa', true],
  ['^(?P<x>a)(?P=x)$', 'aa', true],
  ['^(?<x>a)\\k{x}$', 'aa', true],
  ['^(?<x>a)\\g{x}$', 'aa', true],
  ['^(a)+\\1$', 'aaa', true],
  ['^(?:(a)b)\\1$', 'aba', true],
  ['^(?i)(a)\\1$', 'aA', true],
  ['^(a)\\10$', 'a\u0008', true], // \10 is octal with fewer than 10 groups
  ['^(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10$', 'abcdefghijj', true],
  ['^(?:a|b)+$', 'abba', true],
  ['^(?#comment)ok$', 'ok', true],
  ['^(?=abc)a', 'abc', true],
  ['^(?!abc)a', 'abc', false],
  ['(?<=a)b', 'ab', true],
  ['(?<!a)b', 'ab', false],
  ['(?n)(a)(?:b)', 'ab', true],
  ['a|b|c', 'xcx', true],
  ['^(?:a|)$', '', true],
  ['', 'anything', true],
  ['^\u00e9t\u00e9$', '\u00e9t\u00e9', true],
  ['^\u{1F600}+$', '\u{1F600}\u{1F600}', true],
  ['^\\x{1F600}$', '\u{1F600}', true],
];

// [pattern, substring of the error]
const REJECTED: Array<[string, string]> = [
  ['a(?{ print "x" })b', 'code blocks'],
  ['a(??{ "b" })', 'code blocks'],
  ['(a|b(?R))', 'recursion'],
  ['(a)(?1)', 'recursion'],
  ['(?<n>a)(?&n)', 'recursion'],
  ['(?P>n)', 'recursion'],
  ['\\Gabc', '\\G'],
  ['(?|(a)|(b))', 'branch reset'],
  ['(?(1)a|b)', 'conditionals'],
  ['\\p{L}', 'Unicode properties'],
  ['\\X', '\\X is not supported'],
  ['(*FAIL)', '(*VERB)'],
  ['a\\', 'trailing backslash'],
  ['a(b', 'unmatched "("'],
  ['a)b', 'unmatched ")"'],
  ['[abc', 'unmatched "["'],
  ['*a', 'follows nothing'],
  ['a|+', 'follows nothing'],
  ['a**', 'nested quantifiers'],
  ['a{2,1}', 'minimum above its maximum'],
  ['[z-a]', 'invalid range'],
  ['[[:foo:]]', 'unknown POSIX class'],
  ['[[=a=]]', 'POSIX syntax'],
  ['\\1(a)', 'does not exist before it'],
  ['(a\\1)', 'not closed before it'],
  ['\\2', 'does not exist'],
  ['(?n)(a)\\1', 'does not exist'],
  ['\\k<nope>', 'does not exist'],
  ['(a)?\\1', 'may be unset'],
  ['(a)*\\1', 'may be unset'],
  ['(?:(a)|b)\\1', 'may be unset'],
  ['(?:(a)b)*\\1', 'may be unset'],
  ['(?!(a))\\1', 'may be unset'],
  ['(a)|\\1', 'another alternative'],
  ['(?<x>a)(?<x>b)', 'used twice'],
  ['a(?i)(b)\\1', 'partly case-insensitive'],
  ['(?q)a', 'unknown regex modifier'],
  ['\\N{LATIN SMALL LETTER A}', 'named characters'],
  ['[\\x{1F600}]', 'above U+FFFF'],
  ['\\b{wb}', 'boundaries are not supported'],
  ['\\o', '\\o{octal}'],
  ['('.repeat(150) + 'a' + ')'.repeat(150), 'nested deeper than 100'],
];

/** JSON with every non-ASCII char escaped (U+2028 in a test name would break TAP). */
function show(s: string): string {
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Perl's verdict per case: 1 match, 0 no match, -1 the pattern does not compile. */
function perlResults(cases: Array<[string, string, boolean]>): number[] | undefined {
  const script = `
use strict; no warnings; use JSON::PP;
local $/; my $in = decode_json(<STDIN>); my @out;
for my $c (@$in) { my ($p, $s) = @$c; utf8::downgrade($s, 1); my $r = eval { $s =~ /$p/ ? 1 : 0 }; push @out, defined $r ? $r : -1; }
print encode_json(\\@out);`;
  const r = spawnSync('perl', ['-e', script], { input: JSON.stringify(cases.map(([p, s]) => [p, s])), encoding: 'utf8', timeout: 20_000 });
  if (r.error || r.status !== 0) return undefined;
  return JSON.parse(r.stdout) as number[];
}

t.test('expectations agree with real Perl', (t) => {
  const perl = perlResults(CASES);
  if (!perl) {
    t.skip('perl (with JSON::PP) is not installed: the table cannot be checked against Perl');
    return t.end();
  }
  CASES.forEach(([p, s, expected], i) => t.equal(perl[i], expected ? 1 : 0, `perl: ${show(p)} on ${show(s)}`));
  t.end();
});

t.test('translated regexes match like Perl', (t) => {
  for (const [p, s, expected] of CASES) {
    const r = translatePerlRegex(p);
    if ('error' in r) {
      t.fail(`${show(p)} rejected: ${r.error}`);
      continue;
    }
    t.equal(r.regex.test(s), expected, `${show(p)} on ${show(s)} (js: ${show(r.regex.source)} ${r.regex.flags})`);
  }
  t.end();
});

t.test('untranslatable constructs are rejected with a reason', (t) => {
  for (const [p, msg] of REJECTED) {
    const r = translatePerlRegex(p);
    t.ok('error' in r && r.error.includes(msg), `${show(p)} → ${'error' in r ? r.error : 'accepted ' + show(r.regex.source)}`);
  }
  t.end();
});

t.test('whole-pattern case-insensitivity uses the i flag', (t) => {
  const r = translatePerlRegex('(?i)abc');
  t.ok('regex' in r && r.regex.flags === 'i' && r.regex.source === 'abc');
  const m = translatePerlRegex('x(?i)abc');
  t.ok('regex' in m && m.regex.flags === '' && m.regex.source.includes('[Aa]'));
  t.end();
});
