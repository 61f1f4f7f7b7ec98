// Which receive patterns are safe to match on the daemon's own thread. A pattern without
// quantifiers (*, +, ?, {n,m}) and without alternation (|) has no choice points: at each start
// position the engine follows one path of at most the pattern's length (groups, classes,
// lookarounds and backreferences included), so a match costs O(answer × pattern) and cannot
// backtrack catastrophically. Most receive patterns are such literals ("OK", "HTTP/1\.1 200");
// they skip the worker round trip, which costs more CPU than the health check itself.
// Anything else — or anything this scan is unsure of — goes to the worker.

/** True when `re` certainly matches in linear time (see above). */
export function cannotBacktrack(re: RegExp): boolean {
  // v-mode classes nest; not worth parsing here.
  if (re.flags.includes('v')) return false;
  const s = re.source;
  let afterParen = false; // the previous token was an unescaped "("
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const opened = afterParen;
    afterParen = c === '(';
    if (c === '\\') {
      i++; // the escaped character is literal (a following "{" of \u{…} is seen and refused)
    } else if (c === '[') {
      // A class is one character: skip to its unescaped closing bracket (in JavaScript "[]" is
      // an empty class, so a "]" right after "[" or "[^" closes it).
      i++;
      if (s[i] === '^') i++;
      while (i < s.length && s[i] !== ']') i += s[i] === '\\' ? 2 : 1;
      if (i >= s.length) return false;
    } else if (c === '*' || c === '+' || c === '{' || c === '|') {
      return false;
    } else if (c === '?' && !opened) {
      // "(?" opens a group kind (?:, ?=, ?!, ?<=, ?<name>); any other "?" is a quantifier.
      return false;
    }
  }
  return true;
}
