// A receive pattern with catastrophic backtracking, (a+)+$, meets the answer that makes it run
// for ages. The daemon must not stall: the match is cut at its limit with a clear reason and
// every other check, and the IPVS table, go on meanwhile.
import t from 'tap';
import { RealServer, weightOf } from '../helpers/lvsd.js';
import { LogWatch, reals, startDaemon, waitFor } from './helpers.js';

t.test('(a+)+$ on a long answer does not stall other checks', async (t) => {
  const [evil, good] = await reals(t, ['127.0.0.131', '127.0.0.132']) as [RealServer, RealServer];
  evil.body = `${'a'.repeat(48)}b`; // 2^48 ways to split the a's before failing at the b
  const config = [
    'checkinterval=1',
    'checktimeout=3',
    'negotiatetimeout=3',
    'quiescent=no',
    '',
    'virtual=127.0.0.133:80',
    `    real=${evil.addr} masq`,
    '    service=http',
    '    request="/"',
    '    receive="(a+)+$"',
    '',
    'virtual=127.0.0.134:80',
    `    real=${good.addr} masq`,
    '    service=http',
    '    request="/"',
    '    receive="OK"',
    '',
  ].join('\n');
  const d = startDaemon(t, config, { args: ['-d'] });
  const log = new LogWatch(d.lvsd);
  const evilCheck = new RegExp(`^Check negotiate:http:tcp:${evil.host.replace(/\./g, '\\.')}:\\d+#\\w+: down (.*) \\(\\d+ ms\\)$`);
  const goodCheck = new RegExp(`^Check negotiate:http:tcp:${good.host.replace(/\./g, '\\.')}:\\d+#\\w+: up`);

  const cut = await log.waitCount('the evil check ends', evilCheck, 1);
  t.equal(evilCheck.exec(cut[0]!.line)?.[1], 'receive pattern did not finish within 1000 ms (catastrophic backtracking?)', 'a clear reason');
  await waitFor('the good real in the table', async () => (await weightOf(d.state, '127.0.0.134:80', good.addr)) === 1);

  // While evil checks keep burning their limit, the good one keeps its pace and the table follows it.
  const [evil0, good0] = [log.count(evilCheck), log.count(goodCheck)];
  await log.waitCount('two more evil checks', evilCheck, evil0 + 2);
  await log.waitCount('two more good checks meanwhile', goodCheck, good0 + 2);
  await good.stop();
  await waitFor('the stopped real removed', async () => (await weightOf(d.state, '127.0.0.134:80', good.addr)) === undefined);
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});
