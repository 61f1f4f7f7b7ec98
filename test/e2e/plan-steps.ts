// For the `lvsd plan` suites (plan*.test.ts): a plan touches nothing, and the reload that
// follows applies that plan and nothing else. Each corpus config (test/fixtures/configs) runs under the real daemon with its reals on
// loopback (127.77.<case>.x, always up: health holds between plan and reload), then goes through
// edits: the corpus harness's own (test/compat/cases/corpus.ts) and synthetic ones (a real added
// or removed, a weight, a scheduler, a forwarding method, a virtual added or removed, the
// fallback). For each: plan, check the kernel untouched, write the file, reload, and compare what
// the daemon applied (its log lines, the stand-in's writes) with the plan; a second plan of the
// file in force then finds nothing left to do.
import type { Test } from 'tap';
import { createServer, type Server } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, daemon, invocations, runCli, saved, waitFor, type Setup } from '../helpers/lvsd.js';
import type { PlanDoc } from '../../src/status/plan.js';

const CORPUS = join(ROOT, 'test/fixtures/configs');

/** Directives whose checks cannot run here (https, mysql, ftp, scripts) or that set timing: each virtual gets a connect check instead. */
const CHECK_LINE = /^\s*(checktype|service|request|receive|virtualhost|checkport|login|passwd|database|checkcommand|negotiatetimeout|checktimeout|checkinterval|logfile|autoreload)\s*=/;

/**
 * A corpus file as this test runs it: comments, INI headers and interface lines out, every
 * virtual with `check` (connect, or on for UDP), reals moved onto 127.77.<net>.<last octet>
 * (ports kept), global timing for a quick test, no autoreload (the test reloads).
 */
function prepare(text: string, net: number, check: string): string {
  const out = ['checkinterval=1', 'checktimeout=2', 'autoreload=no', ''];
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw) || /^\s*\[/.test(raw) || /^\s*eth\d+:\d+=/.test(raw) || CHECK_LINE.test(raw)) continue;
    const line = raw.replace(/^\s+virtual=/, 'virtual=').replace(/(real=)\d+\.\d+\.\d+\.(\d+):/, `$1127.77.${net}.$2:`);
    out.push(line);
    if (line.startsWith('virtual=')) out.push(`\tchecktype=${check}`);
  }
  return `${out.join('\n')}\n`;
}

/** Every `real=ADDR:PORT` of a config text (a TCP listener for each keeps it up). */
export function reals(text: string): string[] {
  return [...text.matchAll(/real=(127\.77\.\d+\.\d+:\d+)/g)].map((m) => m[1]!);
}

export class Listeners {
  private servers = new Map<string, Server>();
  async ensure(addrs: string[]): Promise<void> {
    for (const a of addrs) {
      if (this.servers.has(a)) continue;
      const [host, port] = [a.slice(0, a.lastIndexOf(':')), Number(a.slice(a.lastIndexOf(':') + 1))];
      const srv = createServer((s) => s.destroy());
      await new Promise<void>((ok, fail) => {
        srv.once('error', fail);
        srv.listen(port, host, () => ok());
      });
      this.servers.set(a, srv);
    }
  }
  async close(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => new Promise((r) => s.close(r))));
  }
}

/** Writes to the kernel (the stand-in's -R runs; lvsd sends every batch that way). */
function writes(state: string, from: number): { argv: string[]; restoreLines?: number }[] {
  return invocations(state)
    .slice(from)
    .map((l) => JSON.parse(l) as { argv: string[]; restoreLines?: number })
    .filter((i) => !i.argv.includes('-S') && !i.argv.includes('-L') && !i.argv.includes('-l'));
}

/** The change lines the daemon logged after `from` (the messages plan prints). */
const CHANGE = /((Added|Deleted|Changed|Restored|Purged|Readd Quiescent|Quiescent) (virtual|real|fallback)|Changed weight of real) server.*$/;
function applied(out: string, from: number): string[] {
  return out
    .slice(from)
    .split('\n')
    .map((l) => CHANGE.exec(l)?.[0])
    .filter((m): m is string => m !== undefined);
}

export async function planJson(t: Test, s: Setup, file: string): Promise<PlanDoc> {
  const r = await runCli(['--pid-file', s.pidFile, s.cfgPath, 'plan', file, '--json']);
  t.equal(r.code, 0, `plan exits 0 (${r.stderr.trim()})`);
  return JSON.parse(r.stdout) as PlanDoc;
}

const sorted = (a: string[]) => [...a].sort();

const RELOADING = 'Reloading Linux Director Daemon config on signal';
const count = (text: string, what: string) => text.split(what).length - 1;

/**
 * Plan `text`, check nothing was written, put it in place, reload, and check the daemon applied
 * exactly the plan. The reload's batch holds the plan's first part; a later change that waits
 * for a new real's first check may join it when that check passes before the batch is written.
 */
async function step(t: Test, s: Setup, listeners: Listeners, name: string, text: string, expect?: (p: PlanDoc) => void): Promise<void> {
  await t.test(name, async (t) => {
    await listeners.ensure(reals(text));
    const next = s.dir.file('next.cf', text);
    const table = await saved(s.state);
    const mark = invocations(s.state).length;
    const plan = await planJson(t, s, next);
    t.same(writes(s.state, mark), [], 'plan writes nothing');
    t.same(await saved(s.state), table, 'the kernel table is unchanged');
    expect?.(plan);
    const messages = [...plan.atReload, ...plan.later].map((e) => e.message);

    const out = s.lvsd.out.length;
    const reloads = count(s.lvsd.out, RELOADING);
    writeFileSync(s.cfgPath, text);
    s.lvsd.child.kill('SIGHUP');
    // a plan asked once the reload has begun waits for it to end (Daemon.plan)
    await waitFor('the reload begins', () => count(s.lvsd.out, RELOADING) > reloads);
    await waitFor(`planned changes applied: ${messages.join(' | ')}`, () => applied(s.lvsd.out, out).length >= messages.length);
    // the file in force now plans nothing: the daemon wants no more than the plan said
    await waitFor('nothing left to plan', async () => {
      const again = await planJson(t, s, s.cfgPath);
      return again.atReload.length + again.later.length === 0;
    });
    t.notMatch(s.lvsd.out.slice(out), 'Reload failed', 'the reload succeeded');
    t.same(sorted(applied(s.lvsd.out, out)), sorted(messages), 'the reload applied the plan and nothing else');
    const w = writes(s.state, mark);
    if (plan.atReload.length > 0) t.ok((w[0]?.restoreLines ?? 0) >= plan.atReload.length, "the reload's batch holds the plan's first part");
    t.equal(w.reduce((n, i) => n + (i.restoreLines ?? 0), 0), messages.length, 'as many kernel writes as planned changes');
  });
}

interface CorpusCase {
  file: string;
  check?: string;
  edits: [string, (text: string) => string][];
}

export const CASES: CorpusCase[] = [
  {
    file: 'debian_ldirectord_examples_ldirectord.cf',
    edits: [
      ['corpus edit: scheduler rr→wlc, persistent=600', (x) => x.replace('\tscheduler=rr', '\tscheduler=wlc').replace('\t#persistent=600', '\tpersistent=600')],
      ['a real removed (drained, then deleted), one added, a weight changed', (x) => x.replace('\treal=192.168.6.6:80 gate\n', '').replace('\treal=192.168.6.2:80 gate', '\treal=192.168.6.2:80 gate 3\n\treal=192.168.6.7:80 gate')],
      ['the fallback moved while reals are up: no changes', (x) => x.replace('fallback=127.0.0.1:80 gate', 'fallback=127.0.0.1:8080 masq')],
    ],
  },
  {
    file: 'ghik_kubernetes-the-harder-way_setupgateway_ldirectord.cf',
    edits: [
      ['corpus edit: persistent=300, netmask', (x) => x.replace('    scheduler=wrr', '    scheduler=wrr\n    persistent=300\n    netmask=255.255.255.0')],
      ['quiescent=yes: a real removed; a virtual added', (x) => `${x.replace('    real=192.168.1.13:6443 gate\n', '')}\nvirtual=192.168.1.22:443\n    real=192.168.1.11:443 masq 2\n    real=192.168.1.12:443 masq\n    scheduler=wlc\n`],
    ],
  },
  {
    file: 'wjesus374_ldirectord_manager_ld.cf',
    edits: [
      ['corpus edit: a weight 2→5', (x) => x.replace('real=192.168.1.1:22 masq 2', 'real=192.168.1.1:22 masq 5')],
      ['a virtual removed', (x) => x.slice(0, x.indexOf('virtual=192.168.2.0:22'))],
    ],
  },
  {
    file: 'wjesus374_ldirectord_manager_ldirectord-mariadb.cf',
    edits: [
      ['corpus edit: a weight 2→4', (x) => x.replace(/(real=\S+:3306 gate) 2/, '$1 4')],
      ['a forwarding method gate→masq', (x) => x.replace('real=192.168.208.102:3306 gate 1', 'real=192.168.208.102:3306 masq 1')],
    ],
  },
  {
    file: 'vincentmli_lvsadm_ldirectord.cf',
    edits: [
      ['every real of a virtual removed: its fallback comes in', (x) => x.replace('\treal=10.2.72.99:22 masq\n\treal=10.2.72.100:22 masq\n', '')],
      ['a scheduler changed, a real added back', (x) => x.replace('\tscheduler=rr\n\tservice=http', '\tscheduler=lc\n\tservice=http').replace('\tfallback=127.0.0.1:22\n', '\tfallback=127.0.0.1:22\n\treal=10.2.72.99:22 masq\n')],
    ],
  },
  {
    file: 'hggh_graylog2-ldirectord_README_ldirectord.cf',
    check: 'on',
    edits: [['UDP: scheduler rr→sh, a real added', (x) => x.replace('scheduler=rr', 'scheduler=sh').replace('real=10.10.0.3:12201 masq', 'real=10.10.0.3:12201 masq\n       real=10.10.0.4:12201 masq')]],
  },
];

/** Run corpus case `c` (reals on 127.77.<net>.x): start the daemon, then plan and reload each edit. */
export async function runCase(t: Test, c: CorpusCase, net: number): Promise<void> {
  const original = readFileSync(join(CORPUS, c.file), 'utf8');
  const first = prepare(original, net, c.check ?? 'connect');
  const listeners = new Listeners();
  t.teardown(() => listeners.close());
  await listeners.ensure(reals(first));
  const s = daemon(t, first);
  await waitFor('the first table', async () => (await saved(s.state)).some((l) => l.startsWith('-a')) && s.lvsd.out.includes('Added real server'));
  await waitForPlans(s);
  let text = original;
  for (const [name, edit] of c.edits) {
    const edited = edit(text);
    t.not(edited, text, `${name}: the edit changes the file`);
    text = edited;
    await step(t, s, listeners, name, prepare(text, net, c.check ?? 'connect'), name.endsWith('no changes') ? (p) => t.same([...p.atReload, ...p.later], [], 'no changes planned') : undefined);
  }
}

/** Until the daemon has finished starting (a plan before that is refused). */
export async function waitForPlans(s: Setup): Promise<void> {
  await waitFor('the daemon plans (it runs)', async () => (await runCli(['--pid-file', s.pidFile, s.cfgPath, 'plan'])).code === 0);
}
