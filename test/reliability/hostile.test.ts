// Hostile real servers on loopback against the real daemon: endless bodies and headers, one byte
// per second, garbage and half-finished TLS, resets mid-response, redirect loops, DNS answers that
// lie in their counts and lengths, endless lines. Every check ends (by its deadline at the latest)
// with a reason that says what went wrong, again and again, while a healthy real beside them
// keeps being checked.
import t from 'tap';
import { RealServer, weightOf } from '../helpers/lvsd.js';
import { LogWatch, reals, startDaemon, waitFor } from './helpers.js';
import { allHostile, hostileConfig } from './hostile-servers.js';

const TIMEOUT = 2;
const timedOut = new RegExp(`^timeout after ${TIMEOUT}s$`);

/** Per kind: the reason it must give (`specific`), and what else load may turn it into (a timeout). */
const EXPECT: Record<string, { specific: RegExp; alsoTimeout: boolean }> = {
  'http-endless-body': { specific: /^Response mismatch$/, alsoTimeout: true },
  'http-byte-per-second': { specific: timedOut, alsoTimeout: true },
  'http-huge-header': { specific: /^Headers Overflow Error$/, alsoTimeout: true },
  'http-endless-headers': { specific: /^Headers Overflow Error$/, alsoTimeout: true },
  'http-reset-mid-response': { specific: /^(Connection reset by peer|other side closed)$/, alsoTimeout: true },
  'http-redirect-loop': { specific: /^302 Found$/, alsoTimeout: true },
  'http-garbage': { specific: /does not match the HTTP\/1\.1 protocol|^Parse Error/, alsoTimeout: true },
  'tls-garbage': { specific: /^TLS error: |socket disconnected before secure TLS connection/, alsoTimeout: true },
  'tls-half-handshake': { specific: timedOut, alsoTimeout: true },
  'dns-tcp-length-lie': { specific: timedOut, alsoTimeout: true },
  'simpletcp-endless-line': { specific: /^reply longer than 1048576 bytes$/, alsoTimeout: true },
  'smtp-byte-per-second': { specific: timedOut, alsoTimeout: true },
  'smtp-endless-reply': { specific: /^(reply longer than 200 lines|server sent more than \d+ bytes)$/, alsoTimeout: true },
  'http-redos-answer': { specific: /^receive pattern did not finish within 1000 ms \(catastrophic backtracking\?\)$/, alsoTimeout: true },
  'dns-udp-lying-fields': { specific: /^Malformed answer: (Cannot decode name \((buffer overflow|bad pointer)\)|a record runs past the end of the packet)$/, alsoTimeout: true },
};

function checkLines(out: string, h: { host: string; port: number }): { ok: boolean; reason: string }[] {
  const re = new RegExp(`^Check \\S+:${h.host.replace(/\./g, '\\.')}:${h.port}#\\w+: (up|down) (.*) \\(\\d+ ms\\)$`, 'gm');
  return [...out.matchAll(re)].map((m) => ({ ok: m[1] === 'up', reason: m[2]! }));
}

t.test('every hostile server gets a clear verdict, every time, and the healthy real stays checked', async (t) => {
  const hostile = await allHostile(20);
  t.teardown(() => Promise.all(hostile.map((h) => h.close())));
  t.same(Object.keys(EXPECT).sort(), [...new Set(hostile.map((h) => h.kind))].sort(), 'an expectation for every kind');
  const [good] = (await reals(t, ['127.0.0.141'])) as [RealServer];
  const config = `${hostileConfig(hostile, TIMEOUT)}\nvirtual=127.0.0.142:80\n    real=${good.addr} masq\n    service=http\n    receive="OK"\n`;
  const d = startDaemon(t, config, { args: ['-d'] });
  const log = new LogWatch(d.lvsd);
  await waitFor('the healthy real in the table', async () => (await weightOf(d.state, '127.0.0.142:80', good.addr)) === 1, 60_000);

  const ROUNDS = 3;
  await waitFor(`${ROUNDS} verdicts for every hostile server`, () => hostile.every((h) => checkLines(d.lvsd.out, h).length >= ROUNDS), 120_000);
  for (const h of hostile) {
    const results = checkLines(d.lvsd.out, h);
    const e = EXPECT[h.kind]!;
    const allowed = (r: string) => e.specific.test(r) || (e.alsoTimeout && timedOut.test(r));
    t.ok(results.every((r) => !r.ok), `${h.kind}: never up`);
    t.same(results.filter((r) => !allowed(r.reason)).map((r) => r.reason), [], `${h.kind}: every reason is one we expect`);
    t.ok(results.some((r) => e.specific.test(r.reason)), `${h.kind}: says what went wrong (${[...new Set(results.map((r) => r.reason))].join(' | ')})`);
  }
  const goodUp = log.count(new RegExp(`^Check \\S+:127\\.0\\.0\\.141:${good.port}#\\w+: up`));
  t.ok(goodUp >= ROUNDS, `the healthy real was checked all along (${goodUp} times)`);
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});

