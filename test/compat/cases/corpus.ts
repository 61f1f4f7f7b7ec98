// The corpus (test/fixtures/configs) run by both daemons. Each file is used as it is, except:
//  * real= addresses become loopback addresses of the case (192.168.6.2 → 127.<net>.<s>.2, ...),
//    ports kept; virtual addresses stay (they only live in the stand-in's table);
//  * a header of global lines is put in front: logfile= (where ldirectord's CLI commands log;
//    both daemons run with -d and log to stderr), emailalert= and smtp= (the mail sink), and
//    checkinterval=1 (the file's own checkinterval, later in the file, wins where it is 1);
//  * paths that point outside the test (checkcommand=, logfile=) move into the case's
//    directory, and a checkinterval above 1 s becomes 1 (CI time).
// The two files ldirectord rejects are compared as configs with errors (cli.test.ts); the one
// whose only fault is the markdown indentation also runs here, de-indented.
// test/compat/README.md lists the rewrites per file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EDIT_NOTICES, START, STOP, type CaseSpec, type StepSpec, type World } from '../lib/harness.js';
import { mariadbSkip, startCorpusMariaDb } from '../lib/mariadb.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/configs');
export const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

export function header(w: World): string {
  return ['# compat harness: CLI log, alert mail, check interval', `logfile="${w.dir}/ldirectord-cli.log"`, 'emailalert="ops@compat.test"', `smtp=${w.smtp}`, 'checkinterval=1', ''].join('\n');
}

/** Replace `from:` address prefixes (so 192.168.6.2: does not also hit 192.168.6.240:). */
function relocate(text: string, map: Record<string, string>): string {
  for (const [from, to] of Object.entries(map)) text = text.replaceAll(`${from}:`, `${to}:`);
  return text;
}

/** Edit the running config file in place (what an operator's editor does). */
function edit(w: World, change: (text: string, w: World) => string): void {
  const before = readFileSync(w.cfg, 'utf8');
  const after = change(before, w);
  if (after === before) throw new Error('the edit changed nothing');
  w.writeConfig(after);
}

/** Edit, then `reload` through both CLIs (exit codes and output compared). */
function reloadStep(name: string, change: (text: string, w: World) => string): StepSpec {
  return {
    name,
    differences: ['reload-minimal'],
    ignore: EDIT_NOTICES,
    act: async (w) => {
      edit(w, change);
      await w.both([w.cfg, 'reload']);
    },
  };
}

/** Edit a file with autoreload=yes: both notice the change on their own. */
function autoreloadStep(name: string, change: (text: string, w: World) => string): StepSpec {
  return { name, differences: ['reload-minimal'], act: async (w) => edit(w, change) };
}

const DEBIAN = 'debian_ldirectord_examples_ldirectord.cf';
export const debian: CaseSpec = {
  name: 'debian',
  title: `corpus ${DEBIAN}: http gate, per-virtual fallback, autoreload`,
  net: 20,
  async setup(w) {
    for (const [n, h] of [['a', 2], ['b', 3], ['c', 6]] as const) await w.addReal(n, w.ip(h), 80, { body: 'Test Page' });
    w.writeConfig(header(w) + relocate(fixture(DEBIAN), { '192.168.6.2': w.ip(2), '192.168.6.3': w.ip(3), '192.168.6.6': w.ip(6) }));
  },
  steps: [
    START,
    { name: 'a refuses', act: (w) => w.set({ a: 'refuse' }) },
    { name: 'a back, b answers the wrong body', act: (w) => w.set({ a: 'ok', b: 'wrong' }) },
    { name: 'c hangs', act: (w) => w.set({ c: 'hang' }) },
    { name: 'all down', act: (w) => w.set({ a: 'refuse', b: 'refuse', c: 'refuse' }) },
    { name: 'one back', act: (w) => w.set({ a: 'ok' }) },
    autoreloadStep('edited: scheduler rr→wlc, persistent=600', (t) => t.replace('\tscheduler=rr', '\tscheduler=wlc').replace('\t#persistent=600', '\tpersistent=600')),
    STOP,
  ],
};

const GHIK = 'ghik_kubernetes-the-harder-way_setupgateway_ldirectord.cf';
export const ghik: CaseSpec = {
  name: 'ghik',
  title: `corpus ${GHIK}: https gate, quiescent=yes, servicename, autoreload`,
  net: 21,
  async setup(w) {
    // ldirectord's LWP leaves IO::Socket::SSL verifying the chain (only the host name check is
    // off): its checks trust this case's certificate as a CA, as a director trusts its reals' CA.
    // The untrusted case is features.ts "https-verify".
    const tls = await w.tls();
    w.ldEnv = { SSL_CERT_FILE: tls.file };
    for (const [n, h] of [['a', 11], ['b', 12], ['c', 13]] as const) await w.addReal(n, w.ip(h), 6443, { kind: 'https', tls, body: 'ok' });
    w.writeConfig(header(w) + relocate(fixture(GHIK), { '192.168.1.11': w.ip(11), '192.168.1.12': w.ip(12), '192.168.1.13': w.ip(13) }));
  },
  steps: [
    START,
    { name: 'a refuses', act: (w) => w.set({ a: 'refuse' }) },
    { name: 'a back, b answers the wrong body', act: (w) => w.set({ a: 'ok', b: 'wrong' }) },
    { name: 'all down', act: (w) => w.set({ a: 'refuse', b: 'refuse', c: 'refuse' }) },
    { name: 'one back', act: (w) => w.set({ c: 'ok' }) },
    autoreloadStep('edited: persistent=300, netmask=255.255.255.0', (t) => t.replace('    scheduler=wrr', '    scheduler=wrr\n    persistent=300\n    netmask=255.255.255.0')),
    STOP,
  ],
};

/** Stand-in for /opt/check.sh: up when the real answers GET / with a line "OK" (bash's /dev/tcp). */
const CHECK_SH = `#!/bin/bash
# compat harness stand-in for the corpus's /opt/check.sh: VIP VPORT RIP RPORT
exec 3<>"/dev/tcp/$3/$4" || exit 1
printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3
grep -q '^OK' <&3
`;

const WJESUS = 'wjesus374_ldirectord_manager_ld.cf';
export const wjesus: CaseSpec = {
  name: 'wjesus',
  title: `corpus ${WJESUS}: external checks, two virtuals, masq weights`,
  net: 22,
  async setup(w) {
    const map: Record<string, string> = {};
    for (const [n, x, y] of [['a', 1, 1], ['b', 1, 2], ['c', 2, 1], ['d', 2, 2]] as const) {
      await w.addReal(n, w.ip(10 * x + y), 22);
      map[`192.168.${x}.${y}`] = w.ip(10 * x + y);
    }
    const script = w.file('check.sh', CHECK_SH, 0o755);
    const text = relocate(fixture(WJESUS), map)
      .replace('checkinterval=15', 'checkinterval=1')
      .replace('logfile="/var/log/ldirectord/ldirectord.log"', `logfile="${w.dir}/ldirectord-cli.log"`)
      .replaceAll('checkcommand="/opt/check.sh"', `checkcommand="${script}"`);
    w.writeConfig(header(w) + text);
  },
  steps: [
    START,
    { name: 'a refuses', act: (w) => w.set({ a: 'refuse' }) },
    { name: 'a back, c answers the wrong body', act: (w) => w.set({ a: 'ok', c: 'wrong' }) },
    { name: 'all down', act: (w) => w.set({ a: 'refuse', b: 'refuse', c: 'refuse', d: 'refuse' }) },
    { name: 'one back', act: (w) => w.set({ d: 'ok' }) },
    autoreloadStep('edited: a real weight 2→5', (t, w) => t.replace(`real=${w.ip(22)}:22 masq 2`, `real=${w.ip(22)}:22 masq 5`)),
    STOP,
  ],
};

const MARIADB = 'wjesus374_ldirectord_manager_ldirectord-mariadb.cf';
export const mariadb: CaseSpec = {
  name: 'mariadb',
  title: `corpus ${MARIADB}: mysql negotiate with login/database/request, gate weights`,
  net: 23,
  skip: mariadbSkip,
  async setup(w) {
    const db = await startCorpusMariaDb();
    w.onCleanup(db.stop);
    for (const [n, h] of [['a', 101], ['b', 102]] as const) {
      await w.addReal(n, w.ip(h), 3306, { kind: 'proxy', target: { host: '127.0.0.1', port: db.port } });
    }
    w.writeConfig(header(w) + relocate(fixture(MARIADB), { '192.168.208.101': w.ip(101), '192.168.208.102': w.ip(102) }));
  },
  steps: [
    START,
    { name: 'a refuses', act: (w) => w.set({ a: 'refuse' }) },
    { name: 'a back, b answers garbage', act: (w) => w.set({ a: 'ok', b: 'wrong' }) },
    { name: 'all down', act: (w) => w.set({ a: 'refuse', b: 'refuse' }) },
    { name: 'one back', act: (w) => w.set({ b: 'ok' }) },
    reloadStep('edited (weight 2→4) and reloaded', (t) => t.replace(/(real=\S+:3306 gate) 2/, '$1 4')),
    STOP,
  ],
};

/** Stand-in for /usr/local/bin/graylog2-ldirectord: a UDP ping of the real. */
const GRAYLOG_PL = `# compat harness stand-in for graylog2-ldirectord (external-perl): VIP VPORT RIP RPORT
use strict;
use IO::Socket::INET;
my ($vip, $vport, $rip, $rport) = @ARGV;
my $s = IO::Socket::INET->new(PeerAddr => $rip, PeerPort => $rport, Proto => 'udp') or exit(1);
$s->send("ping\\n") or exit(1);
my $rin = '';
vec($rin, fileno($s), 1) = 1;
select(my $rout = $rin, undef, undef, 1) or exit(1);
my $buf = '';
defined($s->recv($buf, 64)) or exit(1);
exit($buf =~ /^pong/ ? 0 : 1);
`;

const HGGH = 'hggh_graylog2-ldirectord_README_ldirectord.cf';
export const hggh: CaseSpec = {
  name: 'hggh',
  title: `corpus ${HGGH} de-indented (as published it is a config error, see cli.test.ts): external-perl over UDP`,
  net: 24,
  async setup(w) {
    for (const [n, h] of [['a', 2], ['b', 3]] as const) await w.addUdpReal(n, w.ip(h), 12201);
    const script = w.file('graylog2-ldirectord', GRAYLOG_PL, 0o755);
    const text = relocate(fixture(HGGH), { '10.10.0.2': w.ip(2), '10.10.0.3': w.ip(3) })
      .replace(/^ {3}/gm, '')
      .replace('checkcommand=/usr/local/bin/graylog2-ldirectord', `checkcommand=${script}`);
    w.writeConfig(header(w) + text);
  },
  steps: [
    START,
    { name: 'a does not answer', act: (w) => w.set({ a: 'hang' }) },
    { name: 'a back, b answers the wrong thing', act: (w) => w.set({ a: 'ok', b: 'wrong' }) },
    { name: 'all down', act: (w) => w.set({ a: 'refuse', b: 'refuse' }) },
    { name: 'one back', act: (w) => w.set({ a: 'ok' }) },
    STOP,
  ],
};

export const CORPUS: CaseSpec[] = [debian, ghik, wjesus, mariadb, hggh];
