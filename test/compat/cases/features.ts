// Feature cases: small ldirectord.cf files written for one behaviour each (quiescent and
// readdquiescent, fallbacks, failurecount, checktype=N, fwmark, IPv6, DR port rewrite, weights
// and reloads, maintenancedir, a shared real, a broken reload). Reals listen on 8080 of the
// case's own loopback addresses unless said otherwise.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogue, effectOf, isMailed } from '../lib/compare.js';
import { EDIT_NOTICES, START, STOP, type CaseSpec, type DifferenceUse, type StepSpec, type View, type World } from '../lib/harness.js';
import { header } from './corpus.js';

/** Header, global lines, then one block per virtual (its lines indented by 4 spaces here). */
function cf(w: World, globals: string[], ...virtuals: string[][]): string {
  return [header(w), ...globals, '', ...virtuals.flatMap(([first, ...rest]) => [first!, ...rest.map((l) => `    ${l}`), ''])].join('\n');
}

// Generous timeouts: no step here needs a check to time out, and a loaded machine must not fail one.
const TIMEOUTS = ['checkinterval=1', 'checktimeout=5', 'negotiatetimeout=5'];
const HTTP = ['service=http', 'request="/"', 'receive="OK"'];

async function reals(w: World, names: Record<string, number>, port = 8080): Promise<void> {
  for (const [n, h] of Object.entries(names)) await w.addReal(n, w.ip(h), port);
}

function step(name: string, modes: Record<string, 'ok' | 'refuse' | 'wrong' | 'hang'>, extra: Partial<StepSpec> = {}): StepSpec {
  return { name, act: (w) => w.set(modes), ...extra };
}

/** Edit the config (a full new text), then `reload` through both CLIs. */
function reload(name: string, text: (w: World) => string, extra: Partial<StepSpec> = {}): StepSpec {
  return {
    name,
    differences: ['reload-minimal'],
    ignore: EDIT_NOTICES,
    ...extra,
    act: async (w) => {
      w.writeConfig(text(w));
      await w.both([w.cfg, 'reload']);
    },
  };
}

/**
 * mail-rcpt-list: with smtp=, ldirectord gives the whole comma list to one RCPT TO, which the
 * server refuses, so no mail goes out; lvsd makes each address a recipient. Expected: lvsd mails
 * every mailed change of ldirectord's log to both addresses (daemon status not compared here).
 */
const RCPTS = 'oncall@compat.test,ops@compat.test';
const rcptList: DifferenceUse = {
  id: 'mail-rcpt-list',
  apply(ld: View, lv: View) {
    const out = ld.raw.length ? [`mail-rcpt-list: ldirectord sent ${ld.raw.length} mail(s) through a refused RCPT`] : [];
    ld.mails = ld.log.filter(isMailed).map((l) => `${RCPTS} [*] ${l}`);
    lv.mails = lv.mails.map((m) => m.replace(/ \[\w+\] /, ' [*] '));
    return out;
  },
};

export const quiescent: CaseSpec = {
  name: 'quiescent',
  title: 'quiescent=yes, readdquiescent=yes: a real down at start is re-added at weight 0; weights restored; two alert addresses',
  net: 40,
  async setup(w) {
    await reals(w, { a: 11, b: 12, c: 13 });
    await w.set({ c: 'refuse' });
    w.writeConfig(cf(w, [...TIMEOUTS, 'quiescent=yes', 'readdquiescent=yes'],
      [`virtual=${w.ip(100)}:80`, `real=${w.ip(11)}:8080 masq 1`, `real=${w.ip(12)}:8080 masq 2`, `real=${w.ip(13)}:8080 masq 3`, ...HTTP, 'scheduler=wrr',
        'emailalert="ops@compat.test, oncall@compat.test"']));
  },
  steps: [
    START,
    step('a refuses: quiesced', { a: 'refuse' }),
    step('a and c back: weights restored', { a: 'ok', c: 'ok' }),
    step('b answers the wrong body', { b: 'wrong' }),
    STOP,
  ].map((s) => ({ ...s, differences: [...(s.differences ?? []), rcptList] })),
};

export const fallbacks: CaseSpec = {
  name: 'fallbacks',
  title: 'global and per-virtual fallback, failurecount=3, quiescent=no',
  net: 41,
  checks: 5,
  async setup(w) {
    await reals(w, { a: 11, b: 12, c: 13 });
    w.writeConfig(cf(w, [...TIMEOUTS, `fallback=${w.ip(9)}:80 masq`, 'quiescent=no'],
      [`virtual=${w.ip(100)}:80`, `real=${w.ip(11)}:8080 masq 1`, `real=${w.ip(12)}:8080 masq 2`, ...HTTP, 'failurecount=3'],
      [`virtual=${w.ip(101)}:80`, `real=${w.ip(13)}:8080 masq`, `fallback=${w.ip(10)}:80 masq`, ...HTTP]));
  },
  steps: [
    START,
    step('a refuses: two soft failures, then removed', { a: 'refuse' }),
    step('b refuses too: the global fallback', { b: 'refuse' }),
    step('c refuses: the per-virtual fallback', { c: 'refuse' }),
    step('a and c back: the fallbacks go', { a: 'ok', c: 'ok' }),
    STOP,
  ],
};

export const combined: CaseSpec = {
  name: 'combined',
  title: 'checktype=2 (negotiate every 3rd check), cleanstop=no',
  net: 42,
  checks: 6,
  async setup(w) {
    await reals(w, { a: 11, b: 12 });
    w.writeConfig(cf(w, [...TIMEOUTS, 'cleanstop=no'],
      [`virtual=${w.ip(100)}:80`, `real=${w.ip(11)}:8080 masq 2`, `real=${w.ip(12)}:8080 masq 3`, ...HTTP, 'checktype=2']));
  },
  steps: [
    START,
    step('a answers the wrong body: seen at the next negotiate', { a: 'wrong' }),
    step('a back', { a: 'ok' }),
    step('b refuses: the connect check sees it', { b: 'refuse' }),
    step('b back', { b: 'ok' }),
    STOP,
  ],
};

/**
 * fwmark-global-fallback: ldirectord's fallback for fwmark 8 is the broken `-r :0` (its ipvsadm
 * command fails, its log and mail say ":0"); lvsd's is the global fallback's address with port 0.
 */
function fwmarkFallback(stage: 'start' | 'on' | 'off'): DifferenceUse {
  return {
    id: 'fwmark-global-fallback',
    apply(ld: View, _lv: View, w: World) {
      const fb = `${w.ip(9)}:0`;
      const fix = (s: string) => s.replace(/fallback server: :0 \(8\)/, `fallback server: ${fb} (8)`);
      ld.log = ld.log.map(fix);
      ld.mails = ld.mails.map(fix);
      if (stage === 'on') ld.table = [...ld.table, `-a -f 8 -r ${fb} -g -w 1`].sort();
      if (stage === 'off') {
        // ldirectord's fallback never got into the table, so it has nothing to delete (or log).
        const line = `Deleted fallback server: ${fb} (8)`;
        ld.log.push(line);
        ld.mails.push(`ops@compat.test [running] ${line}`);
      }
    },
  };
}

export const fwmark: CaseSpec = {
  name: 'fwmark',
  title: 'fwmark virtuals (gate, checkport), per-virtual and global fallback',
  net: 43,
  async setup(w) {
    await reals(w, { a: 11, b: 12, c: 13 });
    w.writeConfig(cf(w, [...TIMEOUTS, `fallback=${w.ip(9)} gate`],
      ['virtual=7', `real=${w.ip(11)} gate 1`, `real=${w.ip(12)} gate 2`, `fallback=${w.ip(10)}:80 gate`, ...HTTP, 'checkport=8080', 'scheduler=wrr'],
      ['virtual=8', `real=${w.ip(13)} gate`, ...HTTP, 'checkport=8080']));
  },
  steps: [
    { ...START, differences: ['start-churn', fwmarkFallback('start')] },
    step('a refuses', { a: 'refuse' }),
    step('all down: fallbacks', { a: 'refuse', b: 'refuse', c: 'refuse' }, { differences: [fwmarkFallback('on')] }),
    step('a and c back', { a: 'ok', c: 'ok' }, { differences: [fwmarkFallback('off')] }),
    STOP,
  ],
};

export const ipv6: CaseSpec = {
  name: 'ipv6',
  title: 'IPv6 virtual6/real6 on ::1 (connect checks), fallback6',
  net: 44,
  async setup(w) {
    // ::1 only (no addresses are added to lo): the reals differ by port.
    const a = await w.addReal('a', '::1', 0);
    const b = await w.addReal('b', '::1', 0);
    w.writeConfig(cf(w, [...TIMEOUTS, 'fallback6=[::1]:9 masq'],
      ['virtual6=[2001:db8::44]:80', `real6=${a.addr} masq 1`, `real6=${b.addr} masq 2`, 'checktype=connect', 'scheduler=wrr']));
  },
  steps: [
    START,
    step('a refuses', { a: 'refuse' }),
    step('all down: fallback6', { a: 'refuse', b: 'refuse' }),
    step('one back', { b: 'ok' }),
    STOP,
  ],
};

/**
 * dr-quiescent-restore: under quiescent=yes ldirectord quiesces the gate real through its kernel
 * entry ip:80 but restores ip:8080, which fails ("Destination already exists") while its log
 * says it was added: the real stays at weight 0. lvsd restores it.
 */
function drRestore(stage: 'start' | 'quiesce' | 'restore'): DifferenceUse {
  return {
    id: 'dr-quiescent-restore',
    apply(ld: View, _lv: View, w: World) {
      const configured = `${w.ip(12)}:8080`;
      const vip = `${w.ip(101)}:80`;
      const entry = (weight: number | string) => `-a -t ${vip} -r ${w.ip(12)}:80 -g -w ${weight}`;
      if (stage === 'quiesce') {
        // ldirectord left it at 0 since start, so it has nothing to quiesce; lvsd quiesces it now.
        const line = `Quiescent real server: ${w.ip(12)}:80 mapped from ${configured} (${vip}) (Weight set to 0)`;
        if (!ld.log.includes(line)) {
          ld.log.push(line);
          ld.mails.push(`ops@compat.test [running] ${line}`);
        }
        return;
      }
      const claimed = [...catalogue(w.ld.lines)].reverse().map(effectOf).find((e) => e?.key === `real ${configured} (${vip})`);
      const weight = claimed?.effect.startsWith('weight ') ? claimed.effect.slice(7) : undefined;
      if (weight && weight !== '0') ld.table = ld.table.map((l) => (l === entry(0) ? entry(weight) : l));
      if (stage === 'restore') {
        const fix = (s: string) => s.replace(`Added real server: ${configured} (${vip})`, `Restored real server: ${configured} (${vip})`);
        ld.log = ld.log.map(fix);
        ld.mails = ld.mails.map(fix);
      }
    },
  };
}

export const drPorts: CaseSpec = {
  name: 'dr-ports',
  title: 'DR real on another port than the virtual (ipvsadm maps it), quiescent no and yes',
  net: 45,
  async setup(w) {
    await reals(w, { a: 11, b: 12 });
    w.writeConfig(cf(w, TIMEOUTS,
      [`virtual=${w.ip(100)}:80`, `real=${w.ip(11)}:8080 gate 2`, ...HTTP, 'quiescent=no'],
      [`virtual=${w.ip(101)}:80`, `real=${w.ip(12)}:8080 gate 3`, ...HTTP, 'quiescent=yes']));
  },
  steps: [
    { ...START, differences: ['start-churn', drRestore('start')] },
    step('a and b refuse: "mapped from"', { a: 'refuse', b: 'refuse' }, { differences: [drRestore('quiesce')] }),
    step('a and b back', { a: 'ok', b: 'ok' }, { differences: [drRestore('restore')] }),
    STOP,
  ],
};

/** The reload case's configs: before, after one reload, after another. */
function weightsConfig(w: World, stage: 0 | 1 | 2): string {
  const v1 = [`virtual=${w.ip(100)}:80`, `real=${w.ip(11)}:8080 masq ${stage ? 5 : 1}`, `real=${w.ip(12)}:8080 masq 2`];
  if (stage === 0) v1.push(`real=${w.ip(13)}:8080 masq 3`);
  v1.push(...HTTP, `scheduler=${stage ? 'wlc' : 'wrr'}`);
  if (stage === 1) v1.push('persistent=300', 'netmask=255.255.255.0');
  if (stage === 2) v1.push('persistent=300', 'netmask=255.255.0.0');
  const v2 = [`virtual=${w.ip(101)}:80`, `real=${w.ip(14)}:8080 masq`, ...HTTP, 'scheduler=rr'];
  const v3 = [`virtual=${w.ip(102)}:80`, `real=${w.ip(15)}:8080 masq 4`, ...HTTP, `scheduler=${stage === 2 ? 'lc' : 'rr'}`, 'persistent=60'];
  return cf(w, [...TIMEOUTS, 'quiescent=no', 'autoreload=no'], v1, ...(stage === 0 ? [v2] : [v3]));
}

export const weights: CaseSpec = {
  name: 'weights',
  title: 'weights; reloads that change weights, scheduler, persistent and netmask, add and remove virtuals and reals',
  net: 46,
  async setup(w) {
    await reals(w, { a: 11, b: 12, c: 13, d: 14, e: 15 });
    w.writeConfig(weightsConfig(w, 0));
  },
  steps: [
    START,
    reload('reload: weight 1→5, wrr→wlc, persistent+netmask; c removed; a virtual removed, one added', (w) => weightsConfig(w, 1), {
      differences: ['reload-minimal', 'reload-drain'],
      convergeMs: 20_000,
    }),
    reload('reload: netmask 255.255.255.0→255.255.0.0; scheduler rr→lc', (w) => weightsConfig(w, 2)),
    step('b refuses (checks go on under the new config)', { b: 'refuse' }),
    STOP,
  ],
};

/** Create (or remove) a file in the maintenance directory. */
function maintenance(name: string, file: (w: World) => string, present: boolean): StepSpec {
  return {
    name,
    act: async (w) => {
      const p = join(w.dir, 'maint', file(w));
      if (present) writeFileSync(p, '');
      else rmSync(p);
    },
  };
}

export const maint: CaseSpec = {
  name: 'maintenance',
  title: 'maintenancedir: files named ip:port and ip take a real out',
  net: 47,
  async setup(w) {
    mkdirSync(join(w.dir, 'maint'));
    await reals(w, { a: 11, b: 12 });
    w.writeConfig(cf(w, [...TIMEOUTS, `maintenancedir=${join(w.dir, 'maint')}`, 'quiescent=no'],
      [`virtual=${w.ip(100)}:80`, `real=${w.ip(11)}:8080 masq`, `real=${w.ip(12)}:8080 masq 2`, ...HTTP]));
  },
  steps: [
    START,
    maintenance('a in maintenance (file ip:port)', (w) => `${w.ip(11)}:8080`, true),
    maintenance('a out of maintenance', (w) => `${w.ip(11)}:8080`, false),
    maintenance('b in maintenance (file ip)', (w) => w.ip(12), true),
    maintenance('b out of maintenance', (w) => w.ip(12), false),
    STOP,
  ],
};

/**
 * shared-real-failcount: ldirectord's one counter for a real in two virtuals is bumped once per
 * virtual per check. lvsd counts each virtual once per check: 1/3, 2/3 for each.
 */
const sharedSoft: DifferenceUse = {
  id: 'shared-real-failcount',
  apply(ld: View, lv: View, w: World) {
    const soft = /^(Soft failure real server|Resetting soft failure count): /;
    ld.log = ld.log.filter((l) => !soft.test(l));
    const mine = lv.log.filter((l) => soft.test(l));
    lv.log = lv.log.filter((l) => !soft.test(l));
    const a = `${w.ip(11)}:8080`;
    const want = [100, 101].flatMap((v) => [1, 2].map((n) => `Soft failure real server: ${a} (tcp:${w.ip(v)}:80) failure ${n}/3`));
    const have = mine.filter((l) => l.startsWith('Soft failure')).sort();
    return JSON.stringify(have) === JSON.stringify(want.sort()) ? [] : [`shared-real-failcount: lvsd soft failures ${JSON.stringify(have)}, expected ${JSON.stringify(want)}`];
  },
};

export const shared: CaseSpec = {
  name: 'shared',
  title: 'a real shared by two virtuals, failurecount=3',
  net: 48,
  checks: 5,
  async setup(w) {
    await reals(w, { a: 11, b: 12, c: 13 });
    w.writeConfig(cf(w, [...TIMEOUTS, 'failurecount=3'],
      [`virtual=${w.ip(100)}:80`, `real=${w.ip(11)}:8080 masq`, `real=${w.ip(12)}:8080 masq`, ...HTTP],
      [`virtual=${w.ip(101)}:80`, `real=${w.ip(11)}:8080 masq`, `real=${w.ip(13)}:8080 masq`, ...HTTP]));
  },
  steps: [
    START,
    step('a refuses', { a: 'refuse' }, { differences: [sharedSoft] }),
    step('a back', { a: 'ok' }, { differences: [{ id: 'shared-real-failcount', apply: (ld, lv) => void ((ld.log = ld.log.filter((l) => !l.startsWith('Resetting'))), (lv.log = lv.log.filter((l) => !l.startsWith('Resetting')))) }] }),
    STOP,
  ],
};

/** failed-reload: after a reload that fails, ldirectord acts on nothing; lvsd keeps the running config. */
const afterBrokenReload: DifferenceUse = {
  id: 'failed-reload',
  apply(ld: View, _lv: View, w: World) {
    const vip = `${w.ip(100)}:80`;
    const a = `${w.ip(11)}:8080`;
    ld.table = ld.table.filter((l) => l !== `-a -t ${vip} -r ${a} -m -w 1`);
    ld.log.push(`Deleted real server: ${a} (${vip})`);
    ld.mails.push(`ops@compat.test [running] Deleted real server: ${a} (${vip})`);
  },
};

function brokenConfig(w: World, broken: boolean): string {
  return cf(w, [...TIMEOUTS, 'autoreload=yes'],
    [`virtual=${w.ip(100)}:80`, `real=${w.ip(11)}:8080 masq`, `real=${w.ip(12)}:8080 masq 2`, ...HTTP, broken ? 'quiescent=maybe' : 'quiescent=no']);
}

/**
 * The file is edited under autoreload=yes: the CLI's `reload` would refuse the broken file before
 * signalling (both exit 2, cli.test.ts), so the daemons meet it on their own.
 */
export const brokenReload: CaseSpec = {
  name: 'broken-reload',
  title: 'autoreload of a config with an error, then a real fails, then the config is fixed',
  net: 49,
  async setup(w) {
    await reals(w, { a: 11, b: 12 });
    w.writeConfig(brokenConfig(w, false));
  },
  steps: [
    START,
    {
      name: 'config edited: an error (autoreload)',
      act: async (w) => w.writeConfig(brokenConfig(w, true)),
      differences: [
        {
          id: 'failed-reload-mail',
          apply: (ld, lv, w) => {
            const mine = lv.mails.filter((m) => m.includes(' [reloading] Reload failed, keeping the running configuration: '));
            ld.mails.push(...mine);
            return mine.length === 1 && mine[0]!.includes(`${w.cfg}:`) ? [] : [`failed-reload-mail: expected one mail naming ${w.cfg}:LINE, got ${JSON.stringify(mine)}`];
          },
        },
      ],
    },
    step('a refuses', { a: 'refuse' }, { differences: [afterBrokenReload] }),
    { name: 'config fixed (autoreload)', differences: ['reload-minimal'], act: async (w) => w.writeConfig(brokenConfig(w, false)) },
    STOP,
  ],
};

/**
 * https-cert-verify: ldirectord (LWP with verify_hostname => 0 on a current IO::Socket::SSL)
 * still verifies the real's certificate chain, so a self-signed one fails its check; lvsd does
 * not verify unless sslverify=yes. Expected: ldirectord's table and log as if the real were up.
 */
const httpsUp: DifferenceUse = {
  id: 'https-cert-verify',
  apply(ld: View, lv: View, w: World) {
    const vip = `${w.ip(100)}:443`;
    const added = `Added real server: ${w.ip(11)}:443 (${vip}) (Weight set to 3)`;
    ld.table = [...ld.table, `-a -t ${vip} -r ${w.ip(11)}:443 -m -w 3`].sort();
    // ldirectord's own start churn for the real ends in a delete; lvsd adds it once, after its check.
    ld.log.push(added);
    return lv.log.includes(added) ? [] : [`https-cert-verify: lvsd did not add the real with the self-signed certificate`];
  },
};

export const httpsVerify: CaseSpec = {
  name: 'https-verify',
  title: 'https real with a self-signed certificate that no CA signed',
  net: 50,
  async setup(w) {
    const tls = await w.tls();
    await w.addReal('a', w.ip(11), 443, { kind: 'https', tls });
    w.writeConfig(cf(w, TIMEOUTS, [`virtual=${w.ip(100)}:443`, `real=${w.ip(11)}:443 masq 3`, 'service=https', 'request="/"', 'receive="OK"']));
  },
  steps: [{ ...START, differences: ['start-churn', httpsUp] }, STOP],
};

export const FEATURES_1: CaseSpec[] = [quiescent, fallbacks, combined, fwmark, ipv6, httpsVerify];
export const FEATURES_2: CaseSpec[] = [drPorts, weights, maint, shared, brokenReload];
