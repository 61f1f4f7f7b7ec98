// The differential harness's own rules, on fixed inputs: which log lines are compared, the
// final-effect comparison used at start and reload, counting settled checks, mail parsing.
import t from 'tap';
import { catalogue, effectMismatch, effectOf, multisetDiff } from './lib/compare.js';
import { parseMail } from './lib/mail.js';
import { checksSince } from './lib/views.js';
import type { Side } from './lib/daemons.js';

t.test('catalogue: ldirectord\'s texts in, debug and other lines out', async (t) => {
  const lines = [
    'DEBUG2: Added real server: 10.1.1.1:80 (10.0.0.1:80) (Weight set to 1)',
    'Added real server: 10.1.1.1:80 (10.0.0.1:80) (Weight set to 1)',
    'Running system(./ipvsadm -a -t 10.0.0.1:80 -r 10.1.1.1:80 -m -w 1)',
    'Check negotiate:http:tcp:10.1.1.1:80#x: up 200 OK (3 ms)',
    ' - reread new configuration',
    'emailalert: Added real server: 10.1.1.1:80 (10.0.0.1:80) (Weight set to 1)',
  ];
  t.same(catalogue(lines), [lines[1], lines[4]]);
});

t.test('effects: mapped reals are keyed by their configured address', async (t) => {
  t.same(effectOf('Quiescent real server: 10.1.1.1:80 mapped from 10.1.1.1:8080 (10.0.0.1:80) (Weight set to 0)'), { key: 'real 10.1.1.1:8080 (10.0.0.1:80)', effect: 'weight 0' });
  t.same(effectOf('Deleted real server: 10.1.1.1:80 mapped from 10.1.1.1:8080 (10.0.0.1:80)'), { key: 'real 10.1.1.1:8080 (10.0.0.1:80)', effect: 'absent' });
  t.same(effectOf('Added fallback server: :0 (8) (Weight set to 1)'), { key: 'fallback :0 (8)', effect: 'present' });
  t.equal(effectOf('Soft failure real server: 10.1.1.1:80 (tcp:10.0.0.1:80) failure 1/3'), undefined);
});

t.test('final-effect comparison: ldirectord\'s churn is allowed, lvsd\'s is not', async (t) => {
  const ld = [
    'Added virtual server: 10.0.0.1:80',
    'Added fallback server: 10.9.9.9:80 (10.0.0.1:80) (Weight set to 1)',
    'Added real server: 10.1.1.1:80 (10.0.0.1:80) (Weight set to 2)',
    'Deleted fallback server: 10.9.9.9:80 (10.0.0.1:80)',
    'Deleted real server: 10.1.1.1:80 (10.0.0.1:80)',
    'Added fallback server: 10.9.9.9:80 (10.0.0.1:80) (Weight set to 1)',
    'Added real server: 10.1.1.1:80 (10.0.0.1:80) (Weight set to 2)',
    'Deleted fallback server: 10.9.9.9:80 (10.0.0.1:80)',
  ];
  t.same(effectMismatch(ld, ['Added virtual server: 10.0.0.1:80', 'Added real server: 10.1.1.1:80 (10.0.0.1:80) (Weight set to 2)']), []);
  t.match(effectMismatch(ld, ['Added real server: 10.1.1.1:80 (10.0.0.1:80) (Weight set to 3)']), [/lvsd ends at "weight 3", ldirectord at "weight 2"/]);
  t.match(
    effectMismatch(ld, ['Added fallback server: 10.9.9.9:80 (10.0.0.1:80) (Weight set to 1)', 'Deleted fallback server: 10.9.9.9:80 (10.0.0.1:80)']),
    [/churn: lvsd changed fallback/],
  );
  // A reload's drain: weight 0 first, then the purge ldirectord does at once.
  t.same(
    effectMismatch(['Purged real server (start): 10.1.1.3:80 (10.0.0.1:80)'], [
      'Quiescent real server: 10.1.1.3:80 (10.0.0.1:80) (Weight set to 0)',
      'Purged real server (start): 10.1.1.3:80 (10.0.0.1:80)',
    ]),
    [],
  );
});

t.test('multisets', async (t) => {
  t.same(multisetDiff(['a', 'a', 'b'], ['a', 'c']), { onlyA: ['a', 'b'], onlyB: ['c'] });
});

t.test('settled checks: counted per check id; ids others pass twice are gone', async (t) => {
  const side = (which: 'ldirectord' | 'lvsd', lines: string[]) => ({ which, lines }) as unknown as Side;
  const ld = (id: string) => `DEBUG2: Checking negotiate: real server=${id} (virtual=tcp:10.0.0.1:80)`;
  t.equal(checksSince(side('ldirectord', [ld('a'), ld('b'), ld('a'), ld('b'), 'Added real server: x']), 0), 2);
  t.equal(checksSince(side('ldirectord', [ld('a'), ld('b'), ld('a')]), 0), 1);
  // b's id changed at a reload (b2): the old one is left out once a has passed it twice.
  t.equal(checksSince(side('ldirectord', [ld('a'), ld('b'), ld('a'), ld('b2'), ld('a'), ld('b2'), ld('a'), ld('b2')]), 0), 3);
  t.equal(checksSince(side('lvsd', ['Check k1: up 200 OK (1 ms)', 'Check k2: down timeout after 3s (3000 ms)', 'Check k1: up x']), 1), 1);
  t.equal(checksSince(side('lvsd', []), 0), 0);
});

t.test('mails: sender by body, events per Log-Message, quoted-printable undone', async (t) => {
  const ld = parseMail('From: root@h\nTo: ops@x\nSubject: [web] Deleted real server: 10.1.1.1:80 (10.0.0.1:80)\n\nldirectord host: h\nLog-Message: [web] Deleted real server: 10.1.1.1:80 (10.0.0.1:80)\nDaemon-Status: running\n', ['ops@x']);
  t.same([ld.from, ld.events, ld.status], ['ldirectord', ['[web] Deleted real server: 10.1.1.1:80 (10.0.0.1:80)'], 'running']);
  const lv = parseMail(
    'Subject: 2 real servers down\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nlvsd host: h\r\nLog-Message: Deleted real server: 10.1.1.1:80 (10.0.0.1:8=\r\n0)\r\nLog-Message: Deleted real server: 10.1.1.2:80 (10.0.0.1:80)\r\nDaemon-Status: running\r\n',
    ['ops@x'],
  );
  t.same([lv.from, lv.events.length, lv.events[0]], ['lvsd', 2, 'Deleted real server: 10.1.1.1:80 (10.0.0.1:80)']);
});
