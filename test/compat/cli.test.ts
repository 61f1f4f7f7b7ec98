// Differential suite, the command line (spec §5): exit codes and messages of both CLIs.
//  * Configs, valid and broken (the corpus as published and typical mistakes): ldirectord has no
//    -t, and parses its config before it looks at the command, so `ldirectord -d CFG status` is
//    its check: exit 2 with "Error [pid] reading file CFG at line N: ..." (warnings: "Warning
//    [pid] reading file CFG at line N"), or exit 3 (stopped) for a valid file. lvsd -t exits 2
//    with "CFG:N: ...", 0 for a valid file. Compared: verdict, error line, warning lines; and
//    `start`, `status` and `stop` with the broken file.
//  * A daemon's life: status/start/reload/stop while running, stop with a broken config,
//    status/reload/stop when stopped, a stale pid file.
import t from 'tap';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LVSD } from '../helpers/lvsd.js';
import { LDIRECTORD, run, type CliResult } from './lib/daemons.js';
import { START, type CaseSpec, type World } from './lib/harness.js';
import { compareCases, suiteSkip } from './lib/report.js';
import { limit } from './lib/pool.js';
import type { DifferenceId } from './lib/differences.js';

/** The messages differ by design; verdict, line and exit code are compared. */
const TEXT: DifferenceId = 'config-error-text';
import { header } from './cases/corpus.js';

t.setTimeout(1_800_000);

const FIXTURES = join(import.meta.dirname, '../fixtures/configs');

/** Typical mistakes (and one warning), each a whole file. */
const SYNTHETIC: Record<string, string> = {
  'bad-yes-no': 'checkinterval=1\nquiescent=maybe\n\nvirtual=10.0.0.1:80\n    real=10.1.1.1:80 masq\n',
  'bad-checktype': 'checkinterval=1\n\nvirtual=10.0.0.1:80\n    real=10.1.1.1:80 masq\n    checktype=sometimes\n',
  'typo-directive': 'checkinterval=1\nchekinterval=2\n',
  'timeout-keyword': 'timeout=5\n',
  'v6-in-virtual': 'virtual=[2001:db8::1]:80\n    real=[2001:db8::2]:80 masq\n',
  'real-outside-virtual': 'checkinterval=1\nreal=10.1.1.1:80 masq\n',
  'bad-scheduler-value': 'virtual=10.0.0.1:80\n    real=10.1.1.1:80 masq\n    scheduler=\n',
  'missing-maintenancedir (warning)': 'maintenancedir=/nonexistent/compat-maint\n\nvirtual=10.0.0.1:80\n    real=10.1.1.1:80 masq\n',
  valid: 'checkinterval=1\n\nvirtual=10.0.0.1:80\n    real=10.1.1.1:80 masq 2\n    service=http\n    receive="OK"\n',
};

interface Verdict {
  ok: boolean;
  line?: number;
  warnings: number[];
}

function ldVerdict(r: CliResult): Verdict | string {
  const err = /^Error \[\d+\] reading file .* at line (\d+): /m.exec(r.stderr);
  const warnings = [...r.stderr.matchAll(/^Warning \[\d+\] reading file .* at line (\d+):/gm)].map((m) => Number(m[1]));
  if (r.code === 2 && err) return { ok: false, line: Number(err[1]), warnings };
  if (r.code === 3) return { ok: true, warnings };
  return `unexpected: exit ${r.code}, ${r.stderr.trim()}`;
}

function lvVerdict(r: CliResult, file: string): Verdict | string {
  const esc = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const err = new RegExp(`^${esc}:(\\d+): (?!warning: )`, 'm').exec(r.stderr);
  const warnings = [...r.stderr.matchAll(new RegExp(`^${esc}:(\\d+): warning: `, 'gm'))].map((m) => Number(m[1]));
  if (r.code === 2 && err) return { ok: false, line: Number(err[1]), warnings };
  if (r.code === 0) return { ok: true, warnings };
  return `unexpected: exit ${r.code}, ${r.stderr.trim()}`;
}

const skip = suiteSkip();
if (skip) {
  t.comment(`skipping the differential suite: ${skip}`);
  t.pass(`skipped: ${skip}`);
} else {
  t.test('configs: lvsd -t and ldirectord -d CFG status agree on verdict, error line and warning lines', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-compat-cli-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const files: [string, string][] = [];
    for (const f of ['debian_ldirectord_examples_ldirectord.cf', 'ghik_kubernetes-the-harder-way_setupgateway_ldirectord.cf', 'hggh_graylog2-ldirectord_README_ldirectord.cf', 'vincentmli_lvsadm_ldirectord.cf', 'wjesus374_ldirectord_manager_ld.cf', 'wjesus374_ldirectord_manager_ldirectord-mariadb.cf']) {
      const p = join(dir, `compat-cli-${f}`); // a basename of its own: ldirectord's pid file is /var/run/ldirectord.<basename>.pid
      copyFileSync(join(FIXTURES, f), p);
      files.push([`corpus ${f}`, p]);
    }
    for (const [name, text] of Object.entries(SYNTHETIC)) {
      const p = join(dir, `compat-cli-${name.replace(/\W+/g, '-')}.cf`);
      writeFileSync(p, text);
      files.push([name, p]);
    }
    // Every file's runs at once, three files at a time (each run is a perl or node start-up).
    const gate = limit(3);
    const results = await Promise.all(files.map(([name, p]) => gate(async () => {
      const out: { got: unknown; want: unknown; label: string }[] = [];
      const [ld, lv] = await Promise.all([run(LDIRECTORD, ['-d', p, 'status'], dir), run(process.execPath, [LVSD, '-t', p], dir)]);
      const a = ldVerdict(ld);
      out.push({ got: lvVerdict(lv, p), want: a, label: `${name}: ${typeof a === 'string' ? a : a.ok ? 'valid' : `error at line ${a.line} (named difference ${TEXT})`}${typeof a !== 'string' && a.warnings.length ? `, warnings at ${a.warnings.join(', ')}` : ''}` });
      if (typeof a === 'string' || a.ok) return out;
      // The other commands with the broken file (no daemon runs).
      const pid = join(dir, `${name.replace(/\W+/g, '-')}.pid`);
      const lvCmd = (cmd: string) => run(process.execPath, [LVSD, '-f', '--ipvsadm', '/bin/false', '--pid-file', pid, p, cmd], dir);
      const ldCmd = (cmd: string) => run(LDIRECTORD, ['-d', p, cmd], dir);
      const [ldStart, lvStart, ldReload, lvReload, ldStop, lvStatus, lvStop] = await Promise.all([ldCmd('start'), lvCmd('start'), ldCmd('reload'), lvCmd('reload'), ldCmd('stop'), lvCmd('status'), lvCmd('stop')]);
      out.push({ got: [lvStart.code, lvVerdict(lvStart, p)], want: [ldStart.code, ldVerdict(ldStart)], label: `${name}: start refuses it (exit 2, same line)` });
      out.push({ got: [lvReload.code, lvVerdict(lvReload, p)], want: [ldReload.code, ldVerdict(ldReload)], label: `${name}: reload refuses it (exit 2, same line)` });
      // cli-config-error: ldirectord's status and stop fail on the broken file; lvsd's work from the pid file.
      out.push({ got: [ld.code, ldStop.code], want: [2, 2], label: `${name}: ldirectord status/stop exit 2` });
      out.push({ got: [lvStatus.code, lvStop.code], want: [3, 0], label: `${name}: lvsd status/stop work from the pid file (named difference cli-config-error)` });
      return out;
    })));
    for (const r of results.flat()) t.same(r.got, r.want, r.label);
  });

  t.test('config not found and usage errors', async (t) => {
    // -d: ldirectord then logs to stderr, not to /var/log/ldirectord.log (it has no config to say otherwise).
    const missing = '/nonexistent/compat-cli-missing.cf';
    const [ld, lv] = await Promise.all([run(LDIRECTORD, ['-d', missing, 'status'], '/'), run(process.execPath, [LVSD, missing, 'status'], '/')]);
    const text = `Config file ${missing} not found`;
    t.same([lv.code, lv.stderr.includes(text)], [ld.code, ld.stderr.includes(text)], `not found: exit ${ld.code}, "${text}" on stderr`);
    for (const args of [[], ['x.cf', 'frobnicate']]) {
      const [a, b] = await Promise.all([run(LDIRECTORD, args, '/'), run(process.execPath, [LVSD, ...args], '/')]);
      t.same(b.code, a.code, `usage "${args.join(' ')}": exit ${a.code}`);
    }
  });

  /** A pid no process has (a child that has exited). */
  const deadPid = (): Promise<number> =>
    new Promise((resolve) => {
      const c = spawn('true');
      c.on('exit', () => resolve(c.pid!));
    });

  const lifecycle: CaseSpec = {
    name: 'cli',
    title: 'a daemon\'s life through both CLIs: status, start, reload, stop; stopped; stale pid file',
    net: 80,
    async setup(w) {
      await w.addReal('a', w.ip(11), 8080);
      w.writeConfig(`${header(w)}checktimeout=3\n\nvirtual=${w.ip(100)}:80\n    real=${w.ip(11)}:8080 masq 2\n    service=http\n    receive="OK"\n`);
    },
    steps: [
      START,
      { name: 'status while running', checks: 0, act: async (w) => void (await w.both([w.cfg, 'status'])) },
      { name: 'start while running: nothing happens', checks: 0, act: async (w) => void (await w.both([w.cfg, 'start'])) },
      { name: 'reload while running', checks: 2, differences: ['reload-minimal'], act: async (w) => void (await w.both([w.cfg, 'reload'])) },
      {
        // ldirectord parses the config before any command: with a broken one, status and stop
        // exit 2, signal nothing, and (config_error while "starting") delete the running
        // daemon's pid file, which the harness writes again. lvsd works from the pid file.
        name: 'status, reload and stop with a broken config while running',
        stops: true,
        differences: [
          {
            // ldirectord outlives lvsd in this step and sees the file change back as well.
            id: 'cli-config-error',
            apply: (ld, lv) => {
              const notices = (v: string[]) => v.filter((l) => / has changed on disk$| - ignore new configuration$/.test(l)).length;
              for (let extra = notices(ld.log) - notices(lv.log); extra > 0; extra -= 2) {
                ld.log.splice(ld.log.map((l) => l.endsWith(' has changed on disk')).lastIndexOf(true), 2);
              }
            },
          },
          'stop-purge',
        ],
        act: async (w) => {
          const good = readFileSync(w.cfg, 'utf8');
          w.writeConfig(`${good}    quiescent=maybe\n`);
          const exits = (want: [number, number]) => (ld: CliResult, lv: CliResult) => {
            const out = ld.code === want[0] && lv.code === want[1] ? [] : [`exit ldirectord=${ld.code} lvsd=${lv.code} (${want.join('/')} expected)`];
            if (existsSync(w.ld.pidFile)) out.push('ldirectord kept its pid file (it deletes it on a config error)');
            w.ld.plantPidFile();
            return out;
          };
          await w.both([w.cfg, 'status'], exits([2, 0]));
          await w.both([w.cfg, 'reload'], exits([2, 2]));
          await w.both([w.cfg, 'stop'], (ld, lv) => {
            const out = exits([2, 0])(ld, lv);
            if (!w.ld.running) out.push('ldirectord stopped although its stop failed');
            if (existsSync(w.lv.pidFile)) out.push('lvsd stop returned before its daemon was gone');
            return out;
          });
          w.writeConfig(good);
          const again = await w.ld.cli([w.cfg, 'stop']);
          if (again.code !== 0) w.notes.push(`ldirectord stop with the config fixed: exit ${again.code}`);
        },
      },
      { name: 'status when stopped', act: async (w) => void (await w.both([w.cfg, 'status'])) },
      {
        name: 'reload when stopped',
        differences: ['cli-stopped-message'],
        act: async (w: World) => {
          await w.both([w.cfg, 'reload'], (ld, lv) => {
            const out: string[] = [];
            if (ld.code !== 1 || lv.code !== 1) out.push(`exit ldirectord=${ld.code} lvsd=${lv.code} (1 expected)`);
            const log = readFileSync(join(w.dir, 'ldirectord-cli.log'), 'utf8');
            if (!log.includes(`ldirectord is stopped for ${w.cfg}`)) out.push('ldirectord did not log "is stopped"');
            if (!lv.stdout.includes(`lvsd is stopped for ${w.cfg}`)) out.push(`lvsd did not print "is stopped": ${JSON.stringify(lv.stdout)}`);
            return out;
          });
        },
      },
      { name: 'stop when stopped', act: async (w) => void (await w.both([w.cfg, 'stop'])) },
      {
        name: 'stale pid file',
        act: async (w) => {
          const pid = await deadPid();
          for (const s of [w.ld, w.lv]) writeFileSync(s.pidFile, `${pid}\n`);
          await w.both([w.cfg, 'status']);
          for (const s of [w.ld, w.lv]) rmSync(s.pidFile, { force: true });
        },
      },
    ],
  };
  compareCases(t, [lifecycle]);
}
