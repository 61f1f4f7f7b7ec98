#!/usr/bin/env node
// The kernel suite: boots the VM once and runs test/kernel/*.test.js inside it with node's test
// runner (TAP output), one file after another, each in a fresh network namespace.
//
//   node test/kernel/run.js [--timeout SECONDS] [files...]      (npm run test:kernel)
//
// The project is compiled into a private tree (test/kernel/.cache/tree-*: dist/, bin/, package.json) that
// the guest tests use through $LVSD_KERNEL_TREE.
//
// Exits 0 when every test passed, 1 on failures, and 0 with a "skip" line naming the missing
// Debian package when the VM cannot run here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot, runInVm, unavailableReason } from './vm.js';

const args = process.argv.slice(2);
let timeoutS = 3600; // measured 28 min for the suite without the failover file (2026-12-07); that file adds ~10-15
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--timeout') timeoutS = Number(args[++i]);
  else files.push(path.relative(projectRoot, path.resolve(args[i])));
}
const here = path.join(projectRoot, 'test/kernel');
if (files.length === 0) {
  for (const f of fs.readdirSync(here).sort()) if (f.endsWith('.test.js')) files.push(path.join('test/kernel', f));
}

const why = unavailableReason();
if (why) {
  console.log(`1..0 # SKIP kernel suite: ${why}`);
  process.exit(0);
}
// A private build: others may rebuild dist/ while the guest reads it (it would see half-written
// files). tsc emits despite type errors; those fail `npm test`, not this suite.
fs.mkdirSync(path.join(here, '.cache'), { recursive: true }); // a fresh clone has none yet
const tree = fs.mkdtempSync(path.join(here, '.cache', 'tree-'));
const cleanup = () => fs.rmSync(tree, { recursive: true, force: true });
process.on('exit', cleanup);
const t0 = Date.now();
const tsc = spawnSync(process.execPath, [path.join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', path.join(projectRoot, 'tsconfig.json'),
  '--outDir', path.join(tree, 'dist')], { encoding: 'utf8' });
if (!fs.existsSync(path.join(tree, 'dist/cli.js'))) {
  console.error(`kernel suite: the build emitted nothing\n${tsc.stdout}${tsc.stderr}`);
  process.exit(1);
}
if (tsc.status !== 0) console.error(`kernel suite: tsc reported errors (running with what it emitted):\n${tsc.stdout.split('\n').slice(0, 5).join('\n')}`);
fs.cpSync(path.join(projectRoot, 'bin'), path.join(tree, 'bin'), { recursive: true });
fs.copyFileSync(path.join(projectRoot, 'package.json'), path.join(tree, 'package.json')); // lvsd --version reads it
console.error(`kernel suite: built into ${path.relative(projectRoot, tree)} in ${Date.now() - t0} ms`);
// package.test.js installs the Debian package: built here (npm run package's script) and passed
// through lintian, since the guest has no network for npm and lintian would take minutes under
// emulation. A failed build or a lintian error is that test's failure, reported by it.
const debEnv = {};
if (files.some((f) => path.basename(f) === 'package.test.js') && !process.env.LVSD_KERNEL_DEB) { // LVSD_KERNEL_DEB=FILE: that one
  const t1 = Date.now();
  const b = spawnSync(process.execPath, [path.join(projectRoot, 'packaging/build-deb.js'), '--lintian', '--out', path.join(tree, 'deb')], { encoding: 'utf8' });
  const deb = b.stdout.trim().split('\n').pop();
  if (b.status === 0 && deb?.endsWith('.deb')) debEnv.LVSD_KERNEL_DEB = deb;
  else debEnv.LVSD_KERNEL_DEB_ERROR = `npm run package failed (exit ${b.status}): ${b.stderr.trim().split('\n').slice(-5).join(' | ')}`;
  console.error(`kernel suite: ${debEnv.LVSD_KERNEL_DEB ?? debEnv.LVSD_KERNEL_DEB_ERROR} in ${Date.now() - t1} ms`);
}

console.error(`kernel suite: ${files.join(' ')}`);
// Each file in a network namespace of its own: its own IPVS table, nothing left over from the
// file before (connection entries outlive `ipvsadm -C` and come back with a re-added destination).
const perFile = 'rc=0; for f; do unshare --net sh -c \'ip link set lo up && exec node --test --test-reporter=tap "$0"\' "$f" || rc=1; done; exit $rc';
const r = await runInVm({
  argv: ['sh', '-c', perFile, 'sh', ...files],
  cwd: projectRoot,
  env: { LVSD_KERNEL_TREE: tree, ...debEnv },
  timeoutMs: timeoutS * 1000,
  onStdout: (b) => process.stdout.write(b),
  onStderr: (b) => process.stderr.write(b),
  log: (s) => console.error(`kernel suite: ${s}`),
});
const tap = r.stdout.toString();
const count = (re) => [...tap.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0); // summed over the files
const pass = count(/^# pass (\d+)/gm);
const fail = count(/^# fail (\d+)/gm) + count(/^# cancelled (\d+)/gm);
console.error(`kernel suite: initramfs ${r.initramfsMs} ms, boot ${r.bootMs ?? '?'} ms, `
  + `suite ${r.bootMs !== undefined ? r.totalMs - r.initramfsMs - r.bootMs : '?'} ms, total ${r.totalMs} ms; `
  + `${pass} passed, ${fail} failed, guest exit ${r.code}`);
if (r.code === null) {
  console.error(r.timedOut ? `kernel suite: timed out after ${timeoutS} s` : 'kernel suite: the guest stopped without an exit status');
  console.error(r.console.split('\n').slice(-40).join('\n'));
  process.exit(1);
}
process.exitCode = r.code === 0 && fail === 0 ? 0 : 1;
