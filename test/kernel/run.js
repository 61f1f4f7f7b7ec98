#!/usr/bin/env node
// The kernel suite: boots the VM once and runs test/kernel/*.test.js inside it with node's test
// runner (TAP output), one file at a time since they share the kernel's IPVS table.
//
//   node test/kernel/run.js [--timeout SECONDS] [files...]      (npm run test:kernel builds first)
//
// Exits 0 when every test passed, 1 on failures, and 0 with a "skip" line naming the missing
// Debian package when the VM cannot run here.
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot, runInVm, unavailableReason } from './vm.js';

const args = process.argv.slice(2);
let timeoutS = 900;
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
if (!fs.existsSync(path.join(projectRoot, 'dist/ipvs/netlink.js'))) {
  console.error('kernel suite: dist/ is missing; run `npm run build` first (npm run test:kernel does)');
  process.exit(1);
}

console.error(`kernel suite: ${files.join(' ')}`);
const r = await runInVm({
  argv: ['node', '--test', '--test-reporter=tap', '--test-concurrency=1', ...files],
  cwd: projectRoot,
  timeoutMs: timeoutS * 1000,
  onStdout: (b) => process.stdout.write(b),
  onStderr: (b) => process.stderr.write(b),
  log: (s) => console.error(`kernel suite: ${s}`),
});
const tap = r.stdout.toString();
const count = (re) => Number(re.exec(tap)?.[1] ?? 0);
const pass = count(/^# pass (\d+)/m);
const fail = count(/^# fail (\d+)/m) + count(/^# cancelled (\d+)/m);
console.error(`kernel suite: initramfs ${r.initramfsMs} ms, boot ${r.bootMs ?? '?'} ms, `
  + `suite ${r.bootMs !== undefined ? r.totalMs - r.initramfsMs - r.bootMs : '?'} ms, total ${r.totalMs} ms; `
  + `${pass} passed, ${fail} failed, guest exit ${r.code}`);
if (r.code === null) {
  console.error(r.timedOut ? `kernel suite: timed out after ${timeoutS} s` : 'kernel suite: the guest stopped without an exit status');
  console.error(r.console.split('\n').slice(-40).join('\n'));
  process.exit(1);
}
process.exit(r.code === 0 && fail === 0 ? 0 : 1);
