// lvsd against keepalived's checkers and ldirectord, in the test VM (real IPVS; see
// kernel-checkers.js for what runs there). Usage (after `npm run build`):
//   node bench/keepalived.js [--n 100,500] [--window 20] [--out DIR]
// Writes DIR/keepalived.json and DIR/keepalived.md (default bench/results). Under QEMU's software
// emulation absolute figures are inflated many times: the ratios are the result.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, loadAverage, log } from './lib/util.js';

const { values: o } = parseArgs({ options: { n: { type: 'string', default: '100,500' }, window: { type: 'string', default: '20' }, out: { type: 'string' }, daemons: { type: 'string', default: 'keepalived,ldirectord,lvsd' }, checks: { type: 'string', default: 'connect,http' } } });
const sizes = o.n.split(',').map(Number);
const outDir = path.resolve(o.out ?? path.join(ROOT, 'bench', 'results'));
if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/ is missing: run `npm run build` first');

const vm = await import('../test/kernel/vm.js');
const why = vm.unavailableReason();
if (why) throw new Error(`the kernel VM cannot run here: ${why}`);
const loadBefore = loadAverage();
const startedAt = new Date().toISOString();
log(`booting the kernel VM: sizes ${sizes.join(',')}, ${o.window} s per daemon and check`);
const r = await vm.runInVm({
  argv: ['node', 'bench/kernel-checkers.js', JSON.stringify(sizes), o.window, o.daemons, o.checks], cwd: ROOT, timeoutMs: 1_800_000,
  onStderr: (b) => process.stderr.write(b),
});
const line = r.stdout.toString().split('\n').find((l) => l.startsWith('KERNEL-CHECKERS '));
if (!line) throw new Error(`no result from the VM (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${r.stderr.toString().slice(-2000)}`);
const result = JSON.parse(line.slice('KERNEL-CHECKERS '.length));
const loadAfter = loadAverage();

/** lvsd's figure over another daemon's, for one size and check. */
function ratios(rows) {
  const out = [];
  const key = (x) => `${x.n} ${x.check}`;
  for (const k of [...new Set(rows.map(key))]) {
    const get = (d) => rows.find((x) => key(x) === k && x.daemon === d);
    const lv = get('lvsd');
    for (const other of ['keepalived', 'ldirectord']) {
      const b = get(other);
      if (!lv || !b) continue;
      out.push({ n: lv.n, check: lv.check, versus: other, cpuPerCheck: lv.cpuPerCheckMs / b.cpuPerCheckMs, peakRss: lv.peakRssMB / b.peakRssMB });
    }
  }
  return out;
}

const meta = { startedAt, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter, windowS: result.windowS, vmBootMs: r.bootMs, totalMs: r.totalMs };
const data = { meta, rows: result.rows, ratios: ratios(result.rows), errors: result.errors };
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const md = [
  `# lvsd vs keepalived -C and ldirectord (kernel VM, real IPVS)`,
  '',
  `Run ${startedAt.slice(0, 16)}Z, host load average ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after; ` +
    `${result.windowS} s window per daemon after warm-up; checks every 1 s. QEMU without KVM: absolute figures are inflated, compare the ratios.`,
  '',
  '| N reals | check | daemon | checks/s | CPU per check (ms) | peak RSS (MB, summed) | VM busy (cores) | processes |',
  '|---|---|---|---|---|---|---|---|',
  ...data.rows.map((x) => `| ${x.n} | ${x.check} | ${x.daemon} | ${f(x.checksPerSec, 1)} | ${f(x.cpuPerCheckMs, 3)} | ${f(x.peakRssMB, 1)} | ${f(x.vmBusy)} | ${x.processes.length} |`),
  '',
  '| N reals | check | lvsd / … | CPU per check | peak RSS |',
  '|---|---|---|---|---|',
  ...data.ratios.map((x) => `| ${x.n} | ${x.check} | ${x.versus} | ×${f(x.cpuPerCheck)} | ×${f(x.peakRss)} |`),
  '',
  ...(data.errors.length ? ['Failed:', '', ...data.errors.map((e) => `- ${e.split('\n')[0]}`), ''] : []),
].join('\n');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'keepalived.json'), `${JSON.stringify(data, null, 2)}\n`);
fs.writeFileSync(path.join(outDir, 'keepalived.md'), `${md}\n`);
process.stdout.write(`${md}\n`);
log(`written ${path.join(outDir, 'keepalived.json')} and keepalived.md`);
