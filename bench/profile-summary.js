#!/usr/bin/env node
// Where a daemon's CPU went, from a V8 .cpuprofile (`npm run bench -- --only 1 --profile DIR`
// writes one per lvsd run): self time grouped into what bounds a check's cost, then the top
// functions. Wall-clock sampling: on a busy machine time spent waiting for a core is charged to
// whatever was running, so read the shares, not the milliseconds.
//
//   node bench/profile-summary.js FILE.cpuprofile [top]
import fs from 'node:fs';

const GROUPS = [
  ['idle (waiting for I/O or timers)', /^\(idle\)@/],
  ['kernel: TCP connect/close/write syscalls', /^(internalConnect|close|writev|writeBuffer|writeLatin1String|writeUtf8String|shutdown|closeSocketHandle)@/],
  ['garbage collector', /^\(garbage collector\)/],
  ['AbortController / EventTarget / DOMException', /node:internal\/(abort_controller|event_target)|per_context\/domexception/],
  ['undici (HTTP client)', /undici|dispatcher\/|core\/errors|llhttp/],
  ['Node sockets and streams', /node:net|node:internal\/(streams|stream_base_commons)|streams\/|node:events|node:internal\/timers|node:timers|process\/task_queues|runMicrotasks/],
  ['logging (winston, log/)', /winston|logform|safe-stable-stringify|\blog\/|readable-stream|triple-beam/],
  ['status / metrics / systemd / alerts subscribers', /\bstatus\/|\bsystemd\/|\balerts\/|histogram|counter\.js/],
  ['checks/ (checkers, deadline)', /\bchecks\//],
  ['core: health/, table/, daemon/, ipvs/', /\b(health|table|daemon|ipvs)\//],
  ['config/ (parse, reload)', /\bconfig\//],
  ['child processes (ipvsadm)', /child_process/],
];

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/profile-summary.js FILE.cpuprofile [top]\n');
  process.exit(2);
}
const p = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
p.samples.forEach((id, i) => {
  const d = p.timeDeltas[i] ?? 0;
  total += d;
  self.set(id, (self.get(id) ?? 0) + d);
});
const label = (n) => `${n.callFrame.functionName || '(anonymous)'}@${n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '')}:${n.callFrame.lineNumber + 1}`;
const groups = new Map();
const fns = new Map();
for (const [id, t] of self) {
  const name = label(byId.get(id));
  fns.set(name, (fns.get(name) ?? 0) + t);
  const g = GROUPS.find(([, re]) => re.test(name))?.[0] ?? 'other';
  groups.set(g, (groups.get(g) ?? 0) + t);
}
const idle = groups.get(GROUPS[0][0]) ?? 0;
const pct = (t, of) => `${((100 * t) / of).toFixed(1).padStart(5)} %`;
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(100 * (1 - idle / total)).toFixed(1)} % not idle\n\nshare of the non-idle time:`);
for (const [g, t] of [...groups].sort((a, b) => b[1] - a[1])) if (g !== GROUPS[0][0]) console.log(`  ${pct(t, total - idle)}  ${g}`);
console.log('\ntop functions (self time, share of non-idle):');
for (const [f, t] of [...fns].sort((a, b) => b[1] - a[1]).filter(([f]) => !f.startsWith('(idle)')).slice(0, Number(topArg ?? 25))) console.log(`  ${pct(t, total - idle)}  ${f}`);
