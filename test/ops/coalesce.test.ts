// Alert coalescing as a sliding window: failures that keep coming close together (over several
// check rounds or IPVS batches) are one mail; a quiet spell ends the mail; a cap bounds the wait.
import t, { type Test } from 'tap';
import { attachMailer } from '../../src/alerts/mailer.js';
import { config, eventually, real, recordingBus, sleep, virtual } from '../log/helpers.js';
import { startSmtp } from '../alerts/smtp.js';
import type { DaemonBus } from '../../src/events/index.js';
import type { VirtualService } from '../../src/config/model.js';

async function setup(t: Test, over: { coalesceMs: number; maxCoalesceMs?: number }) {
  const s = await startSmtp();
  t.teardown(() => s.close());
  const v = virtual({ reals: Array.from({ length: 30 }, (_, i) => real(`10.1.1.${i + 1}`)), overrides: { emailalert: ['ops@example.test'], smtp: `127.0.0.1:${s.port}` } });
  const cfg = config([v]);
  const { bus } = recordingBus();
  const m = attachMailer(bus, { config: cfg, hostname: 'lb1.test', ...over });
  t.teardown(() => m.close(2000));
  bus.emit('state', { state: 'running', config: cfg });
  return { s, v, bus };
}

function down(bus: DaemonBus, v: VirtualService, i: number): void {
  const r = v.reals[i]!;
  const id = `${r.address}:80 (10.0.0.1:80)`;
  const service = { protocol: 'tcp' as const, family: 4 as const, address: v.address, port: v.port };
  bus.emit('ipvs', { kind: 'deleted-real', change: { op: 'del-dest', service, address: r.address, port: 80 }, virtual: v, message: `Deleted real server: ${id}`, subject: id, at: Date.now() });
}

const items = (body: string) => body.split('\n').filter((l) => l.startsWith('Log-Message: ')).length;

t.test('failures spread over twice the window, each close to the last: one mail', async (t) => {
  const { s, v, bus } = await setup(t, { coalesceMs: 1000 });
  for (let i = 0; i < 10; i++) {
    down(bus, v, i);
    await sleep(200); // 1.8 s in all: a fixed 1 s window would have split it
  }
  await eventually(() => s.mails.length, 30, 'the mail');
  await sleep(1500);
  t.equal(s.mails.length, 1);
  t.equal(items(s.mails[0]!.body), 10);
  t.match(s.mails[0]!.subject, /^10 real servers down: /);
});

t.test('a quiet spell ends a mail', async (t) => {
  const { s, v, bus } = await setup(t, { coalesceMs: 500 });
  down(bus, v, 0);
  down(bus, v, 1);
  await eventually(() => s.mails.length, 30, 'the first mail');
  down(bus, v, 2);
  await eventually(() => s.mails.length >= 2, 30, 'the second mail');
  t.same(s.mails.map((m) => items(m.body)), [2, 1]);
});

t.test('a never-ending stream is cut at maxCoalesceMs', async (t) => {
  const { s, v, bus } = await setup(t, { coalesceMs: 1000, maxCoalesceMs: 1500 });
  for (let i = 0; i < 20; i++) {
    down(bus, v, i);
    await sleep(200); // 4 s of events, never 1 s apart
  }
  await eventually(() => s.mails.reduce((n, m) => n + items(m.body), 0) === 20, 30, 'every event mailed');
  t.ok(s.mails.length >= 2, `cut into ${s.mails.length} mails`);
  t.ok(items(s.mails[0]!.body) < 20, 'the first did not wait for the stream to end');
});
