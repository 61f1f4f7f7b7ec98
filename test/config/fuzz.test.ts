// Robustness: mutated configs and random regexes only ever give a model or a ConfigError
// (never another exception), and every accepted config survives both round trips.
// Runs in a child inside `unshare -n`, so host names the mutations invent reach no DNS.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const probe = spawnSync('unshare', ['-n', 'true'], { timeout: 10_000 });
if (probe.error || probe.status !== 0) {
  t.comment('skipping: needs `unshare -n` (util-linux, run as root) so that mutated host names cannot reach the network');
  t.pass('fuzzing skipped');
} else {
  t.test('mutated configs and regexes', (t) => {
    // Keep only the TypeScript loader of tap's node options.
    const loader = process.execArgv.filter((a) => a.includes('typescript') || a === '--enable-source-maps');
    const r = spawnSync('unshare', ['-n', process.execPath, ...loader, join(import.meta.dirname, 'fuzz-child.ts'), '20240611', '400'], {
      encoding: 'utf8',
      timeout: 170_000,
    });
    t.equal(r.status, 0, `child exited cleanly: ${r.stderr.slice(-2000)}`);
    const s = JSON.parse(r.stdout || '{}') as { accepted: number; rejected: number; roundTrips: number; regexOk: number; crashCount: number; crashes: unknown[] };
    t.comment(`accepted ${s.accepted}, rejected ${s.rejected}, cf round trips ${s.roundTrips}, regexes translated ${s.regexOk}`);
    t.ok(s.accepted > 50 && s.rejected > 50, 'the generator produces both accepted and rejected configs');
    t.equal(s.crashCount, 0, 'no exception other than ConfigError');
    t.same(s.crashes, []);
    t.end();
  });
}
