// E-mail alerts delivered to a real SMTP server on loopback (and a real sendmail stand-in):
// recipients, subject, body, coalescing, emailalertstatus, repeats, SMTP outages, the queue
// bound, header injection and secrets.
import t from 'tap';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attachMailer, parseSmtp, type MailerOptions } from '../../src/alerts/mailer.js';
import { parseMailbox, redactor } from '../../src/alerts/compose.js';
import type { ChangeKind, DaemonBus, DaemonState } from '../../src/events/index.js';
import type { Config, RealServer, VirtualService } from '../../src/config/model.js';
import { hostPort } from '../../src/config/effective.js';
import { config, eventually, real, recordingBus, sleep, tempDir, virtual } from '../log/helpers.js';
import { freePort, startSmtp, type Smtp } from './smtp.js';

const MESSAGES: Partial<Record<ChangeKind, (r: string, v: string) => string>> = {
  'deleted-real': (r, v) => `Deleted real server: ${r} (${v})`,
  'quiesced-real': (r, v) => `Quiescent real server: ${r} (${v}) (Weight set to 0)`,
  'added-real': (r, v) => `Added real server: ${r} (${v}) (Weight set to 1)`,
  'restored-real': (r, v) => `Restored real server: ${r} (${v}) (Weight set to 1)`,
  'added-fallback': (r, v) => `Added fallback server: ${r} (${v}) (Weight set to 1)`,
  'added-virtual': (_r, v) => `Added virtual server: ${v}`,
};

function emitChange(bus: DaemonBus, kind: ChangeKind, v: VirtualService, r: RealServer): void {
  const rs = hostPort(r.address, r.port);
  const vs = hostPort(v.address!, v.port);
  const service = { protocol: 'tcp' as const, family: 4 as const, address: v.address, port: v.port };
  bus.emit('ipvs', {
    kind,
    change: { op: 'del-dest', service, address: r.address, port: r.port },
    virtual: v,
    message: MESSAGES[kind]!(rs, vs),
    subject: kind.endsWith('virtual') ? undefined : `${rs} (${vs})`,
    at: Date.now(),
  });
}

function setState(bus: DaemonBus, state: DaemonState, cfg: Config): void {
  bus.emit('state', { state, config: cfg });
}

async function smtp(t: { teardown(fn: () => Promise<void>): void }, opts?: Parameters<typeof startSmtp>[0]): Promise<Smtp> {
  const s = await startSmtp(opts);
  t.teardown(() => s.close());
  return s;
}

/** A mailer on a bus, closed at teardown; fast windows for tests. */
function mailer(t: { teardown(fn: () => Promise<void>): void }, cfg: Config, over: MailerOptions = {}) {
  const { bus, logs } = recordingBus();
  const m = attachMailer(bus, { config: cfg, hostname: 'lb1.test', coalesceMs: 300, retryInitialMs: 100, retryMaxMs: 400, ...over });
  t.teardown(() => m.close(2000));
  setState(bus, 'running', cfg);
  return { bus, logs, m };
}

t.test('one change: ldirectord subject and body, several RCPTs, From', async (t) => {
  const s = await smtp(t);
  const v = virtual({
    servicename: 'web',
    comment: 'public site',
    overrides: { emailalert: ['ops@example.test, dev@example.test'], smtp: `127.0.0.1:${s.port}` },
  });
  const cfg = config([v], { emailalertfrom: 'LVS <lvs@example.test>' });
  const { bus } = mailer(t, cfg);
  const r = v.reals[0]!;
  bus.emit('transition', { virtual: v, real: r, from: 'up', to: 'down', failures: 1, failurecount: 1, message: 'Connection refused', at: Date.now() });
  emitChange(bus, 'deleted-real', v, r);
  await eventually(() => s.mails.length, 15, 'the mail');
  const m = s.mails[0]!;
  t.same(m.rcptTo.sort(), ['dev@example.test', 'ops@example.test'], 'one RCPT per address (ldirectord sent one bogus RCPT)');
  t.equal(m.mailFrom, 'lvs@example.test');
  t.match(m.headers.get('from')?.[0], /LVS <lvs@example\.test>/);
  t.equal(m.subject, '[web] Deleted real server: 10.1.1.2:80 (10.0.0.1:80)');
  t.equal(
    m.body,
    [
      'lvsd host: lb1.test',
      'Log-Message: [web] Deleted real server: 10.1.1.2:80 (10.0.0.1:80)',
      'Daemon-Status: running',
      '',
      'Service name: web',
      'Comment: public site',
      'Virtual service tcp:10.0.0.1:80 now:',
      '  real 10.1.1.2:80: down, not in IPVS (Connection refused)',
      '  real 10.1.1.3:80: unknown, not in IPVS',
      '',
    ].join('\n'),
  );
});

t.test('the daemon describe() callback supplies the current state', async (t) => {
  const s = await smtp(t);
  const v = virtual({ overrides: { emailalert: ['ops@example.test'], smtp: `127.0.0.1:${s.port}` } });
  const { bus } = mailer(t, config([v]), {
    describe: () => ({
      reals: [
        { address: '10.1.1.2', port: 80, health: 'down', weight: 0, reason: 'timeout after 5s' },
        { address: '10.1.1.3', port: 80, health: 'up', weight: 3 },
      ],
      fallback: { address: '127.0.0.1', port: 80, active: false },
    }),
  });
  emitChange(bus, 'quiesced-real', v, v.reals[0]!);
  await eventually(() => s.mails.length, 15, 'the mail');
  t.equal(s.mails[0]!.subject, 'Quiescent real server: 10.1.1.2:80 (10.0.0.1:80) (Weight set to 0)', 'no [] prefix without servicename');
  t.match(s.mails[0]!.body, [
    'Virtual service tcp:10.0.0.1:80 now:',
    '  real 10.1.1.2:80: down, in IPVS with weight 0 (timeout after 5s)',
    '  real 10.1.1.3:80: up, in IPVS with weight 3',
    '  fallback 127.0.0.1:80: inactive',
  ].join('\n'));
});

t.test('50 transitions together are one mail per recipient set', async (t) => {
  const s = await smtp(t);
  const reals = Array.from({ length: 50 }, (_, i) => real(`10.1.${Math.floor(i / 200)}.${(i % 200) + 2}`));
  const v1 = virtual({ servicename: 'web', reals, overrides: { emailalert: ['ops@example.test'], smtp: `127.0.0.1:${s.port}` } });
  const v2 = virtual({ address: '10.0.0.2', reals: [real('10.2.0.2')], overrides: { emailalert: ['db@example.test'], smtp: `127.0.0.1:${s.port}` } });
  const { bus, m, logs } = mailer(t, config([v1, v2]), { coalesceMs: 1000 });
  for (const r of reals) emitChange(bus, 'deleted-real', v1, r);
  emitChange(bus, 'added-fallback', v1, real('127.0.0.1'));
  emitChange(bus, 'deleted-real', v2, v2.reals[0]!);
  await eventually(() => s.mails.length >= 2, 15, 'two mails');
  await m.close(5000);
  t.equal(s.mails.length, 2, 'one mail per recipient set, no more');
  const ops = s.mails.find((x) => x.rcptTo.includes('ops@example.test'))!;
  const db = s.mails.find((x) => x.rcptTo.includes('db@example.test'))!;
  t.match(ops.subject, /^\[web\] 50 real servers down, 1 fallback server added: 10\.1\.0\.2:80 \(10\.0\.0\.1:80\), 10\.1\.0\.3:80 .*, \.\.\. \(\+\d+ more\)$/);
  t.ok(ops.subject.length < 260, 'the subject stays short');
  t.equal(ops.body.split('\n').filter((l) => l.startsWith('Log-Message: [web] ')).length, 51, 'every change is in the body');
  t.equal(db.subject, 'Deleted real server: 10.2.0.2:80 (10.0.0.2:80)');
  t.equal(logs.filter((l) => l.message.startsWith('emailalert: ')).length, 2, 'one `emailalert:` log line per mail');
});

t.test('emailalertstatus filters by daemon state; virtual add and other kinds do not mail', async (t) => {
  const s = await smtp(t);
  const v = virtual({ overrides: { emailalert: ['ops@example.test'], emailalertstatus: ['running'], smtp: `127.0.0.1:${s.port}` } });
  const cfg = config([v]);
  const { bus, m } = mailer(t, cfg);
  setState(bus, 'starting', cfg);
  emitChange(bus, 'added-real', v, v.reals[0]!);
  setState(bus, 'running', cfg);
  emitChange(bus, 'added-virtual', v, v.reals[0]!);
  emitChange(bus, 'restored-real', v, v.reals[1]!);
  setState(bus, 'stopping', cfg);
  emitChange(bus, 'deleted-real', v, v.reals[1]!);
  await m.close(5000);
  t.same(s.mails.map((x) => x.subject), ['Restored real server: 10.1.1.3:80 (10.0.0.1:80) (Weight set to 1)']);
  t.match(s.mails[0]!.body, /Daemon-Status: running/);
});

t.test('emailalertstatus none and an empty emailalert send nothing', async (t) => {
  const s = await smtp(t);
  const v1 = virtual({ overrides: { emailalert: ['ops@example.test'], emailalertstatus: [], smtp: `127.0.0.1:${s.port}` } });
  const v2 = virtual({ address: '10.0.0.2', overrides: { smtp: `127.0.0.1:${s.port}` } });
  const v3 = virtual({ address: '10.0.0.3', overrides: { emailalert: ['ops@example.test'], smtp: `127.0.0.1:${s.port}` } });
  const { bus, m } = mailer(t, config([v1, v2, v3]));
  emitChange(bus, 'deleted-real', v1, v1.reals[0]!);
  emitChange(bus, 'deleted-real', v2, v2.reals[0]!);
  emitChange(bus, 'deleted-real', v3, v3.reals[0]!);
  await m.close(5000);
  t.same(s.mails.map((x) => x.subject), ['Deleted real server: 10.1.1.2:80 (10.0.0.3:80)'], 'only the virtual with recipients and status mails');
});

t.test('emailalertfreq repeats "Inaccessible real server" until the real is back', async (t) => {
  const s = await smtp(t);
  const v = virtual({ servicename: 'web', overrides: { emailalert: ['ops@example.test'], emailalertfreq: 1, smtp: `127.0.0.1:${s.port}` } });
  const { bus } = mailer(t, config([v]), { coalesceMs: 50, repeatTickMs: 100 });
  const r = v.reals[0]!;
  emitChange(bus, 'deleted-real', v, r);
  const inaccessible = () => s.mails.filter((x) => x.subject === '[web] Inaccessible real server: 10.1.1.2:80 (10.0.0.1:80)');
  await eventually(() => inaccessible().length >= 2, 20, 'two repeats');
  t.equal(s.mails[0]!.subject, '[web] Deleted real server: 10.1.1.2:80 (10.0.0.1:80)');
  emitChange(bus, 'restored-real', v, r);
  await eventually(() => s.mails.some((x) => x.subject.startsWith('[web] Restored')), 20, 'the restored mail');
  const after = inaccessible().length;
  await sleep(2500); // more than two repeat periods: none may come now
  t.equal(inaccessible().length, after, 'repeats stopped once the real was restored');
});

t.test('repeats end when a reload removes the virtual service', async (t) => {
  const s = await smtp(t);
  const v = virtual({ overrides: { emailalert: ['ops@example.test'], emailalertfreq: 1, smtp: `127.0.0.1:${s.port}` } });
  const other = virtual({ address: '10.0.0.9' });
  const { bus } = mailer(t, config([v, other]), { coalesceMs: 50, repeatTickMs: 100 });
  emitChange(bus, 'deleted-real', v, v.reals[0]!);
  const inaccessible = () => s.mails.filter((x) => /^Inaccessible/.test(x.subject)).length;
  await eventually(() => inaccessible() >= 1, 20, 'a repeat');
  setState(bus, 'running', config([other]));
  await sleep(300); // a repeat already in its coalescing window may still arrive
  const after = inaccessible();
  await sleep(2500);
  t.equal(inaccessible(), after, 'no repeats for a virtual that is gone');
});

t.test('no repeats with emailalertfreq=0, nor for a fallback', async (t) => {
  const s = await smtp(t);
  const v0 = virtual({ overrides: { emailalert: ['ops@example.test'], smtp: `127.0.0.1:${s.port}` } });
  const v1 = virtual({ address: '10.0.0.2', overrides: { emailalert: ['ops@example.test'], emailalertfreq: 1, smtp: `127.0.0.1:${s.port}` } });
  const { bus } = mailer(t, config([v0, v1]), { coalesceMs: 50, repeatTickMs: 100 });
  emitChange(bus, 'deleted-real', v0, v0.reals[0]!);
  emitChange(bus, 'added-fallback', v1, real('127.0.0.1'));
  await eventually(() => s.mails.length, 20, 'the first mail');
  await sleep(2500);
  t.equal(s.mails.filter((x) => /Inaccessible/.test(x.subject)).length, 0);
});

t.test('SMTP down: the mail waits, is retried, and is delivered once the server is up', async (t) => {
  const port = await freePort();
  const v = virtual({ overrides: { emailalert: ['ops@example.test'], smtp: `127.0.0.1:${port}` } });
  const { bus, logs, m } = mailer(t, config([v]), { coalesceMs: 50 });
  emitChange(bus, 'deleted-real', v, v.reals[0]!);
  await eventually(() => logs.filter((l) => l.message.startsWith('failed to send e-mail alert')).length >= 2, 20, 'two failed attempts');
  t.equal(m.queued, 1, 'still queued');
  const s = await smtp(t, { port });
  await eventually(() => s.mails.length, 20, 'delivery after the server came up');
  t.equal(s.mails[0]!.subject, 'Deleted real server: 10.1.1.2:80 (10.0.0.1:80)');
  await eventually(() => logs.some((l) => /^E-mail alert delivered after \d+ attempts/.test(l.message)), 10, 'the delivery log line');
  t.equal(m.queued, 0);
});

t.test('the outbox is bounded: the oldest waiting mail is dropped and the drop logged', async (t) => {
  const port = await freePort();
  const v = virtual({ overrides: { emailalert: ['ops@example.test'], smtp: `127.0.0.1:${port}` } });
  const { bus, logs, m } = mailer(t, config([v]), { coalesceMs: 10_000, queueLimit: 2 });
  const subjects: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = real(`10.1.1.${10 + i}`);
    emitChange(bus, 'deleted-real', v, r);
    subjects.push(`Deleted real server: 10.1.1.${10 + i}:80 (10.0.0.1:80)`);
    m.flush(); // a window of its own: four mails
  }
  const drops = logs.filter((l) => l.level === 'error' && l.message.startsWith('Dropped e-mail alert (queue full'));
  t.equal(drops.length, 2, 'two dropped');
  t.equal(m.queued, 2);
  const s = await smtp(t, { port });
  await eventually(() => s.mails.length >= 2, 20, 'the two kept mails');
  await m.close(5000);
  t.equal(s.mails.length, 2);
  const delivered = s.mails.map((x) => x.subject);
  const dropped = drops.map((d) => d.message.replace(/^.*?: /, ''));
  t.same([...delivered, ...dropped].sort(), [...subjects].sort(), 'every mail delivered or reported dropped');
  t.ok(delivered.includes(subjects[3]!), 'the newest is kept');
});

t.test('a permanent (5xx) rejection is dropped, not retried', async (t) => {
  const s = await smtp(t, { reject: (a) => a === 'gone@example.test' });
  const v = virtual({ overrides: { emailalert: ['gone@example.test'], smtp: `127.0.0.1:${s.port}` } });
  const { bus, logs, m } = mailer(t, config([v]), { coalesceMs: 50 });
  emitChange(bus, 'deleted-real', v, v.reals[0]!);
  await eventually(() => logs.find((l) => l.message.startsWith('Dropped e-mail alert (rejected')), 20, 'the drop');
  t.equal(m.queued, 0);
  t.equal(logs.filter((l) => l.message.startsWith('failed to send')).length, 0, 'no retry');
});

t.test('CR/LF in emailalert, emailalertfrom and servicename never reach a header', async (t) => {
  const s = await smtp(t);
  const v = virtual({
    servicename: 'web\r\nBcc: evil@example.test',
    comment: 'line1\r\n.\r\nline3',
    overrides: { emailalert: ['ops@example.test\r\nBcc: evil@example.test', 'ok@example.test'], smtp: `127.0.0.1:${s.port}` },
  });
  const cfg = config([v], { emailalertfrom: 'lvs@example.test\r\nBcc: evil@example.test' });
  const { bus, logs } = mailer(t, cfg);
  emitChange(bus, 'deleted-real', v, v.reals[0]!);
  await eventually(() => s.mails.length, 15, 'the mail');
  const m = s.mails[0]!;
  t.same(m.rcptTo, ['ok@example.test'], 'the poisoned address is dropped, evil is no recipient');
  t.notOk(m.headerLines.some((l) => /^bcc:/i.test(l)), 'no Bcc header');
  t.notMatch(m.mailFrom, /evil/);
  t.equal(m.subject, '[web Bcc: evil@example.test] Deleted real server: 10.1.1.2:80 (10.0.0.1:80)', 'one subject line');
  t.match(m.body, 'Comment: line1\n.\nline3', 'a lone dot in the body is delivered, not the end of DATA');
  t.ok(logs.some((l) => l.message.startsWith('emailalert: ignoring unusable address')));
  t.ok(logs.some((l) => l.message.startsWith('emailalertfrom: ignoring unusable address')));
});

t.test('secrets never reach a mail', async (t) => {
  const s = await smtp(t);
  const v = virtual({
    servicename: 'db',
    passwd: 'S3cretPassw0rd',
    secret: 'radius-shared',
    overrides: { emailalert: ['ops@example.test'], smtp: `127.0.0.1:${s.port}` },
  });
  const { bus } = mailer(t, config([v]));
  const r = v.reals[0]!;
  bus.emit('transition', {
    virtual: v, real: r, from: 'up', to: 'down', failures: 1, failurecount: 1, at: Date.now(),
    message: 'GET http://admin:hunter22@10.1.1.2/ failed: login S3cretPassw0rd refused, radius-shared',
  });
  emitChange(bus, 'deleted-real', v, r);
  await eventually(() => s.mails.length, 15, 'the mail');
  const raw = s.mails[0]!.raw + s.mails[0]!.body;
  for (const secret of ['S3cretPassw0rd', 'radius-shared', 'hunter22']) t.notMatch(raw, secret, `${secret} is not in the mail`);
  t.match(s.mails[0]!.body, 'http://***@10.1.1.2/');
});

t.test('without smtp=, the local sendmail gets one argument per recipient', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'sendmail.out');
  const fake = join(dir, 'sendmail');
  // a stand-in for /usr/sbin/sendmail: records its arguments and the message
  writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > ${out}.args\ncat > ${out}\n`);
  chmodSync(fake, 0o755);
  const v = virtual({ overrides: { emailalert: ['ops@example.test', 'root'] } });
  const { bus } = mailer(t, config([v], { emailalertfrom: 'lvs@example.test' }), { sendmailPath: fake, coalesceMs: 50 });
  emitChange(bus, 'deleted-real', v, v.reals[0]!);
  const args = await eventually(() => {
    try {
      return readFileSync(`${out}.args`, 'utf8');
    } catch {
      return undefined;
    }
  }, 15, 'sendmail to run');
  await eventually(() => readFileSync(out, 'utf8').includes('Daemon-Status'), 10, 'the message on stdin');
  t.same(args.trim().split('\n'), ['-i', '-f', 'lvs@example.test', 'ops@example.test', 'root']);
  t.match(readFileSync(out, 'utf8'), /Subject: Deleted real server: 10\.1\.1\.2:80 \(10\.0\.0\.1:80\)/);
});

t.test('address, smtp= and redaction parsing', async (t) => {
  t.same(parseMailbox('ops@example.test'), { name: '', address: 'ops@example.test' });
  t.same(parseMailbox(' "ops@example.test" '), { name: '', address: 'ops@example.test' }, 'one pair of quotes dropped');
  t.same(parseMailbox('Ops Team <ops@example.test>'), { name: 'Ops Team', address: 'ops@example.test' });
  t.same(parseMailbox('root'), { name: '', address: 'root' });
  for (const bad of ['a@b\nBcc: c@d', 'a b@c', '<>', 'a@b, c@d', 'x@-bad-', '']) t.equal(parseMailbox(bad), undefined, JSON.stringify(bad));
  t.same(parseSmtp('mail.example.test'), { host: 'mail.example.test', port: 25 });
  t.same(parseSmtp('mail.example.test:2525'), { host: 'mail.example.test', port: 2525 });
  t.same(parseSmtp('[::1]:2525'), { host: '::1', port: 2525 });
  const r = redactor(config([virtual({ passwd: 'pw', secret: 'longsecret' })]));
  t.equal(r('pw longsecret ftp://u:p@h/x'), 'pw *** ftp://***@h/x', 'short values are left alone, long ones and URL credentials go');
});

t.test('a role change is mailed to the global recipients', async (t) => {
  const s = await smtp(t);
  const cfg = config([virtual()], { emailalert: ['ops@example.test'], smtp: `127.0.0.1:${s.port}` });
  const { bus } = mailer(t, cfg);
  bus.emit('role', { from: 'backup', to: 'master', at: Date.now(), source: 'command' });
  await eventually(() => s.mails.length, 15, 'the mail');
  t.equal(s.mails[0]!.subject, 'Role: backup -> master');
  t.match(s.mails[0]!.body, /Log-Message: Role: backup -> master\nDaemon-Status: running\n/);
  bus.emit('role', { from: 'unknown', to: 'backup', at: Date.now(), source: 'restored' });
  await eventually(() => s.mails.length >= 2, 15, 'the second mail');
  t.equal(s.mails[1]!.subject, 'Role: backup (kept from the previous run)');
});
