// matchReceive: the one place receive patterns run, on worker threads that are killed when a
// match overruns. Same answers as String#search; a catastrophic pattern costs one worker for at
// most its limit, never the caller's event loop.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { MATCH_LIMIT_MS, ReceiveTimeout, matchReceive, receiveLoad } from '../../src/checks/receive.js';
import { translatePerlRegex } from '../../src/config/perl-regex.js';

const perl = (src: string): RegExp => {
  const r = translatePerlRegex(src);
  if ('error' in r) throw new Error(r.error);
  return r.regex;
};
const EVIL = perl('(a+)+$');
const EVIL_TEXT = `${'a'.repeat(40)}b`;

t.test('answers as String#search does, for translated Perl patterns too', async (t) => {
  const patterns = ['OK', '^HTTP/1\\.[01] 200', 'ok$', '(?i)welcome', '(?>a+)b', 'a++b', '(\\w)\\1', '\\bfoo\\b', '^$', 'x{2,3}'];
  const texts = ['OK', 'HTTP/1.1 200 OK', 'not ok\n', 'WELCOME home', 'aaab', 'aab', 'hello', 'a foo b', '', 'xxxx', 'Ünïcödé ok'];
  for (const p of patterns) {
    const re = perl(p);
    for (const text of texts) t.equal(await matchReceive(re, text), text.search(re) >= 0, `${p} on ${JSON.stringify(text)}`);
    t.equal(await matchReceive(re, texts), texts.some((x) => x.search(re) >= 0), `${p} on any of the texts`);
  }
  t.equal(await matchReceive(/x/, []), false, 'no text, no match');
  t.equal(await matchReceive(/b/g, 'abc'), true, 'a global flag does not make matching stateful');
  t.equal(await matchReceive(/b/g, 'abc'), true, 'twice');
});

t.test('catastrophic backtracking ends at the limit with a clear reason, and others are not held up', async (t) => {
  const order: string[] = [];
  // A generous limit: the plain match may have to boot a second worker on a loaded machine.
  const evil = matchReceive(EVIL, EVIL_TEXT, undefined, 5000).then(
    () => order.push('evil matched?!'),
    (e: Error) => {
      order.push('evil stopped');
      return e;
    },
  );
  // Started after the evil one, on the same thread: it must not wait for it.
  const plain = await matchReceive(/OK/, 'HTTP/1.1 200 OK');
  order.push('plain');
  const e = await evil;
  t.equal(plain, true);
  t.same(order, ['plain', 'evil stopped'], 'the plain match finished while the evil one ran');
  t.type(e, ReceiveTimeout);
  t.match((e as Error).message, /receive pattern did not finish within 5000 ms \(catastrophic backtracking\?\)/);
  t.equal(MATCH_LIMIT_MS, 1000, 'the default limit');
});

t.test('an aborted match stops at once', async (t) => {
  const ac = new AbortController();
  const p = matchReceive(EVIL, EVIL_TEXT, ac.signal, 60_000);
  setTimeout(() => ac.abort(), 100);
  await t.rejects(p, /aborted/);
  await t.rejects(matchReceive(/x/, 'x', ac.signal), /aborted/, 'an already aborted signal is refused');
});

/** Threads of this process (each matcher worker is one). */
const threads = (): number => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

t.test('many catastrophic matches at once: bounded workers, a queue, and recovery afterwards', async (t) => {
  await matchReceive(/warm/, 'warm'); // one idle worker, kept
  const before = threads();
  const all = Array.from({ length: 7 }, () => matchReceive(EVIL, EVIL_TEXT, undefined, 300));
  const load = receiveLoad();
  t.ok(load.running <= 4, `at most 4 running (${load.running})`);
  t.ok(load.queued >= 3, `the rest wait (${load.queued})`);
  const results = await Promise.allSettled(all);
  t.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof ReceiveTimeout), 'each ends with its own timeout');
  t.equal(await matchReceive(/fine/, 'all fine'), true, 'matching works afterwards');
  t.equal(receiveLoad().running, 0, 'nothing left running');
  // Killed means gone: no overrun worker keeps a thread (and a core, and its heap) behind.
  const end = Date.now() + 20_000;
  while (threads() > before + 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  t.ok(threads() <= before + 1, `the overrun workers' threads are gone (${threads()} threads, ${before} before)`);
});
