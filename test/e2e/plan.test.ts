// `lvsd plan`: its text and JSON forms, a broken config, no daemon. The corpus edits, planned
// and reloaded, are plan-corpus-*.test.ts.
import t from 'tap';
import { daemon, runCli, saved, waitFor } from '../helpers/lvsd.js';
import type { PlanDoc } from '../../src/status/plan.js';
import { Listeners, reals, waitForPlans } from './plan-steps.js';

t.test('text output, a broken config, no daemon', async (t) => {
  const listeners = new Listeners();
  t.teardown(() => listeners.close());
  const base = ['checkinterval=1', 'checktimeout=2', 'virtual=10.77.0.1:80', '\tchecktype=connect', '\treal=127.77.30.1:80 masq 2', '\treal=127.77.30.2:80 masq', ''].join('\n');
  await listeners.ensure(reals(base));
  const s = daemon(t, base);
  await waitFor('the first table', async () => (await saved(s.state)).filter((l) => l.startsWith('-a')).length === 2);
  await waitForPlans(s);

  const table = await saved(s.state);
  const same = await runCli(['--pid-file', s.pidFile, s.cfgPath, 'plan']);
  t.same([same.code, same.stdout], [0, 'no changes\n'], 'the file in force: no changes');

  await listeners.ensure(['127.77.30.3:80']);
  const next = s.dir.file('next.cf', base.replace('\treal=127.77.30.2:80 masq\n', '\treal=127.77.30.3:80 masq 4\n').replace('masq 2', 'masq 5'));
  const text = await runCli(['--pid-file', s.pidFile, 'plan', next]);
  const json = await runCli(['--pid-file', s.pidFile, 'plan', next, '--json']);
  t.equal(text.code, 0);
  const doc = JSON.parse(json.stdout) as PlanDoc & { config: string };
  t.equal(doc.file, next, 'the JSON names the file planned');
  t.same(
    text.stdout.split('\n'),
    [
      'At reload:',
      '  Restored real server: 127.77.30.1:80 (10.77.0.1:80) (Weight set to 5)',
      '  Quiescent real server: 127.77.30.2:80 (10.77.0.1:80) (Weight set to 0)',
      'Later, if health holds:',
      '  Added real server: 127.77.30.3:80 (10.77.0.1:80) (Weight set to 4) (when new reals pass their first check)',
      `  Purged real server (start): 127.77.30.2:80 (10.77.0.1:80) (when its drain ends, in ${doc.later.find((e) => e.after === 'drain')?.seconds} s)`,
      '2 changes at reload, 2 later',
      '',
    ],
    'the log lines, grouped, and a summary',
  );
  t.same(doc.atReload.map((e) => [e.op, e.kind]), [['edit-dest', 'restored-real'], ['edit-dest', 'quiesced-real']]);
  t.same(doc.later.map((e) => [e.op, e.kind, e.after]), [['add-dest', 'added-real', 'check'], ['del-dest', 'purged-real', 'drain']]);
  t.equal(doc.later[1]!.seconds, 5, 'the drain: 5 s (checkinterval=1, at least 5 s)');

  const broken = s.dir.file('broken.cf', base.replace('masq 2', 'masq 2\n\tquiescent=maybe'));
  const bad = await runCli(['--pid-file', s.pidFile, 'plan', broken]);
  t.equal(bad.code, 2, 'a config error: exit 2');
  t.match(bad.stderr, `${broken}:6: `, 'FILE:LINE: message');
  t.equal(bad.stdout, '');

  const none = await runCli(['--pid-file', s.dir.file('none.pid'), 'plan', next]);
  t.equal(none.code, 3, 'no daemon: exit 3');
  t.match(none.stderr, /lvsd is stopped for .*: no daemon to plan a reload for/);
  t.same(await saved(s.state), table, 'none of the plans changed the table');
});
