// service=nntp against a real NNTP server (JamNNTPd) on loopback.
import t from 'tap';
import { nntpChecker } from '../../../src/checks/protocols/nntp.js';
import { jamnntpdMissing, startJamnntpd } from '../../helpers/daemons/jamnntpd.js';
import { never, settles, target } from '../helpers.js';
import { BOUND, tcpFailures } from './common.js';

const check = (port: number) => settles(nntpChecker.check(target({ service: 'nntp', port, negotiatetimeout: 10 }), never), BOUND);

t.test('against JamNNTPd', { skip: jamnntpdMissing() ?? false }, async (t) => {
  const good = await startJamnntpd();
  t.teardown(good.stop);
  const broken = await startJamnntpd({ broken: true });
  t.teardown(broken.stop);

  t.test('a 200 banner is up', async (t) => {
    t.same(await check(good.port), { ok: true, message: 'Success' });
  });

  t.test('a 503 banner (no newsgroups configured) is down', async (t) => {
    t.same(await check(broken.port), { ok: false, message: 'unexpected banner: 503 Failed to read group configuration file' });
  });
});

t.test('nntp failures', async (t) => tcpFailures(t, nntpChecker, { service: 'nntp' }));
