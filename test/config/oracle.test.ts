// The real ldirectord as the oracle: for every fixture and every case of ./cases.ts, lvsd
// must accept what ldirectord accepts and reject what it rejects at the same line (except
// the deviations listed in the cases, which are checked to be real).
//
// ldirectord parses its configuration before it looks at the command, so
// `ldirectord -d <cfg> status` is a pure parse: exit 2 with "Error [pid] reading file <cfg>
// at line N: ..." on a config error, exit 3 ("stopped") otherwise. One test also runs
// `start` (killed after 3 s = accepted) to show both commands agree.
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASES } from './cases.js';
import { cf, scratch } from './helpers.js';
import { ConfigError } from '../../src/config/errors.js';

const LDIRECTORD = '/usr/sbin/ldirectord';
const FIXTURES = join(import.meta.dirname, '../fixtures/configs');

interface Verdict {
  accepted: boolean;
  line?: number;
  message?: string;
  warningLines: number[];
}

function run(args: string[], cwd: string, killAfterMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(LDIRECTORD, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

let serial = 0;

/** Runs ldirectord on `text` and reads its verdict. */
async function ldirectord(dir: string, text: string, command: 'status' | 'start' = 'status'): Promise<Verdict> {
  // A unique basename: ldirectord's pid file is /var/run/ldirectord.<basename>.pid.
  const file = join(dir, `lvsd-oracle-${process.pid}-${serial++}.cf`);
  writeFileSync(file, text);
  const r = await run(['-d', file, command], dir, command === 'start' ? 3000 : 20_000);
  const err = /^Error \[\d+\] reading file .* at line (\d+): (.*)$/m.exec(r.stderr);
  const warningLines = [...r.stderr.matchAll(/^Warning \[\d+\] reading file .* at line (\d+):/gm)].map((m) => Number(m[1]));
  if (r.code === 2 && err) return { accepted: false, line: Number(err[1]), message: err[2]!, warningLines };
  if (command === 'status' && r.code === 3) return { accepted: true, warningLines };
  if (command === 'start' && r.signal === 'SIGKILL') return { accepted: true, warningLines };
  throw new Error(`unexpected ldirectord result (code ${r.code}, signal ${r.signal}): ${r.stderr.slice(-2000)}`);
}

async function lvsd(text: string, file: string): Promise<Verdict> {
  try {
    const c = await cf(text, file);
    return { accepted: true, warningLines: c.warnings.map((w) => w.line) };
  } catch (e) {
    if (e instanceof ConfigError) return { accepted: false, line: e.line, message: e.detail, warningLines: [] };
    throw e;
  }
}

function describe(v: Verdict): string {
  return v.accepted ? 'accepts' : `rejects at line ${v.line}: ${v.message}`;
}

if (!existsSync(LDIRECTORD)) {
  t.comment(`skipping: ${LDIRECTORD} is not installed (Debian package "ldirectord"), so there is no oracle to compare with`);
  t.pass('nothing to compare without ldirectord');
} else {
  // ~160 ldirectord runs of ~0.3 s CPU each: allow for a loaded machine.
  t.setTimeout(600_000);
  const dir = scratch(t);
  // ldirectord -d uses ./ipvsadm from its cwd; this stub makes `start` touch nothing.
  writeFileSync(join(dir, 'ipvsadm'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(dir, 'ipvsadm'), 0o755);

  t.test('fixtures: same verdict and error line as ldirectord', async (t) => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.cf'));
    t.ok(files.length >= 6, 'all fixtures present');
    for (const f of files) {
      const text = readFileSync(join(FIXTURES, f), 'utf8');
      const ours = await lvsd(text, join(FIXTURES, f));
      const theirs = await ldirectord(dir, text);
      t.equal(describe(ours).split(':')[0], describe(theirs).split(':')[0], `${f}: lvsd ${describe(ours)} / ldirectord ${describe(theirs)}`);
      t.same(ours.warningLines.filter((l) => theirs.warningLines.includes(l)), theirs.warningLines, `${f}: lvsd warns where ldirectord does`);
    }
  });

  t.test('the annotated sample etc/ldirectord.cf is accepted by both', async (t) => {
    const file = join(import.meta.dirname, '../../etc/ldirectord.cf');
    const text = readFileSync(file, 'utf8');
    t.equal(describe(await ldirectord(dir, text)), 'accepts', 'ldirectord');
    t.equal(describe(await lvsd(text, file)), 'accepts', 'lvsd');
  });

  t.test('cases: same verdict and error line as ldirectord', async (t) => {
    let compared = 0;
    for (const c of CASES) {
      const text = c.text.replaceAll('{{TMP}}', dir);
      const ours = await lvsd(text, '/x.cf');
      const theirs = await ldirectord(dir, text);
      compared++;
      if (c.ldirectord) {
        const expected = c.ldirectord === 'accepts' ? 'accepts' : `rejects at line ${c.ldirectord.line}`;
        t.equal(describe(theirs).split(':')[0], expected, `${c.name}: deviation is real (${c.deviation}) — ldirectord ${describe(theirs)}`);
        continue;
      }
      t.equal(describe(ours).split(':')[0], describe(theirs).split(':')[0], `${c.name}: lvsd ${describe(ours)} / ldirectord ${describe(theirs)}`);
      for (const l of theirs.warningLines) t.ok(ours.warningLines.includes(l), `${c.name}: ldirectord warns at line ${l}, lvsd too`);
    }
    t.comment(`${compared} cases compared with ldirectord`);
  });

  t.test('`start` and `status` give the same verdict', async (t) => {
    const ok = 'checktimeout=3\nvirtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate\n\tchecktype=on\n';
    const bad = ok + '\tquiescent=maybe\n';
    for (const text of [ok, bad]) {
      const a = await ldirectord(dir, text, 'status');
      const b = await ldirectord(dir, text, 'start');
      t.equal(describe(a), describe(b), `status: ${describe(a)}; start: ${describe(b)}`);
    }
  });
}
