#!/usr/bin/env node
// Boots Debian's kernel (which has IPVS, unlike the host's) in QEMU with software emulation and runs one
// command inside it, against this machine's own root filesystem mounted read-only over 9p.
//
//   node test/kernel/vm.js run [--timeout SECONDS] [--out DIR] [--env K=V]... [--verbose] -- command args...
//   node test/kernel/vm.js initramfs        (build or reuse the cached initramfs, print its path)
//   node test/kernel/vm.js check            (exit 0 when the VM can be booted here, else print why)
//
// The initramfs (static busybox + init.sh + the modules below and their dependencies) is cached in
// test/kernel/.cache/, keyed by kernel version, module list, init.sh and busybox.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const projectRoot = path.resolve(here, '../..');
const cacheDir = path.join(here, '.cache');
const QEMU = 'qemu-system-x86_64';
const BUSYBOX = '/bin/busybox';

/** Loaded in this order at boot; their dependencies are resolved with `modprobe --show-depends`. */
export const MODULES = [
  // root over 9p, overlay for a scratch-writable root, entropy for node
  'virtio_pci', '9pnet_virtio', '9p', 'overlay', 'virtio_rng',
  // crc32c_generic before libcrc32c, or ip_vs fails with "unknown symbol"
  'crc32c_generic', 'libcrc32c', 'nf_conntrack',
  'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_lc', 'ip_vs_wlc', 'ip_vs_lblc', 'ip_vs_lblcr', 'ip_vs_dh',
  'ip_vs_sh', 'ip_vs_sed', 'ip_vs_nq', 'ip_vs_fo', 'ip_vs_ovf', 'ip_vs_mh',
  // namespaces' plumbing: veth pairs, a bridge, tunnels for ipip reals, dummy for VIPs
  'veth', 'bridge', 'ipip', 'ip6_tunnel', 'dummy',
];

/** Newest kernel that has both an image in /boot and ip_vs among its modules. */
export function findKernel() {
  const env = process.env.LVSD_VM_KVER;
  const kvers = env ? [env] : safeReaddir('/lib/modules').sort(compareVersions).reverse();
  for (const kver of kvers) {
    const image = `/boot/vmlinuz-${kver}`;
    if (fs.existsSync(image) && hasModule(kver, 'ip_vs')) return { kver, image };
  }
  return undefined;
}

/** Why the VM cannot run here, or undefined when it can. */
export function unavailableReason() {
  const missing = [];
  if (!which(QEMU)) missing.push('qemu-system-x86');
  if (!fs.existsSync(BUSYBOX) || !isStatic(BUSYBOX)) missing.push('busybox-static');
  if (!findKernel()) missing.push('linux-image-amd64');
  if (!which('ipvsadm')) missing.push('ipvsadm');
  if (missing.length) return `missing Debian package(s): ${missing.join(' ')}`;
  return undefined;
}

/** Module files (relative to /lib/modules/<kver>) in load order, dependencies first, no duplicates. */
export function resolveModules(kver, names = MODULES) {
  const seen = new Set();
  const out = [];
  for (const name of names) {
    const r = spawnSync('modprobe', ['-S', kver, '--show-depends', name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`modprobe --show-depends ${name}: ${r.stderr.trim()}`);
    for (const line of r.stdout.split('\n')) {
      const m = /^insmod (\S+)/.exec(line.trim()); // "builtin X" lines need nothing
      if (!m) continue;
      const rel = path.relative(`/lib/modules/${kver}`, m[1]);
      if (!seen.has(rel)) { seen.add(rel); out.push(rel); }
    }
  }
  return out;
}

/** Path of the cached initramfs for this kernel, building it when absent. */
export function ensureInitramfs(kernel = findKernel(), log = () => {}) {
  if (!kernel) throw new Error('no kernel with ip_vs found (install linux-image-amd64)');
  const mods = resolveModules(kernel.kver);
  const init = fs.readFileSync(path.join(here, 'init.sh'));
  const key = createHash('sha256')
    .update(kernel.kver).update('\0').update(mods.join('\n')).update('\0').update(init).update('\0')
    .update(String(fs.statSync(BUSYBOX).size))
    .digest('hex').slice(0, 16);
  const file = path.join(cacheDir, `initramfs-${kernel.kver}-${key}.cpio.gz`);
  if (fs.existsSync(file)) return file;

  const t0 = Date.now();
  fs.mkdirSync(cacheDir, { recursive: true });
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'lvsd-initramfs-'));
  try {
    for (const d of ['bin', 'dev', 'proc', 'sys', 'modules']) fs.mkdirSync(path.join(stage, d));
    fs.copyFileSync(BUSYBOX, path.join(stage, 'bin/busybox'));
    fs.chmodSync(path.join(stage, 'bin/busybox'), 0o755);
    fs.symlinkSync('busybox', path.join(stage, 'bin/sh'));
    fs.writeFileSync(path.join(stage, 'init'), init, { mode: 0o755 });
    for (const rel of mods) {
      const dst = path.join(stage, 'modules', rel);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      fs.copyFileSync(path.join('/lib/modules', kernel.kver, rel), dst);
    }
    fs.writeFileSync(path.join(stage, 'modules.list'), mods.join('\n') + '\n');
    // A console node lets the kernel give init its stdio; init reopens it from devtmpfs anyway.
    spawnSync('mknod', [path.join(stage, 'dev/console'), 'c', '5', '1']);
    const tmp = `${file}.${process.pid}.tmp`;
    const r = spawnSync('sh', ['-c', `find . | ${BUSYBOX} cpio -o -H newc 2>/dev/null | gzip -1 > "$0"`, tmp],
      { cwd: stage, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cpio failed: ${r.stderr}`);
    fs.renameSync(tmp, file); // atomic: a concurrent run sees either nothing or the whole file
    for (const old of safeReaddir(cacheDir)) {
      if (old.startsWith(`initramfs-${kernel.kver}-`) && old !== path.basename(file) && !old.endsWith('.tmp')) {
        fs.rmSync(path.join(cacheDir, old), { force: true });
      }
    }
    log(`initramfs built in ${Date.now() - t0} ms (${mods.length} modules): ${file}`);
    return file;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * Boot, run `argv` in the guest (cwd and the selected environment carried over), shut down.
 * Resolves with the exit code (null on timeout or when the guest died first) and the captured output.
 * @param {{argv: string[], cwd?: string, env?: Record<string,string>, timeoutMs?: number, outDir?: string,
 *          onStdout?: (b: Buffer) => void, onStderr?: (b: Buffer) => void, onConsole?: (b: Buffer) => void,
 *          log?: (s: string) => void}} opts
 */
export async function runInVm(opts) {
  const why = unavailableReason();
  if (why) throw new Error(why);
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const kernel = findKernel();
  const initrd = ensureInitramfs(kernel, log);
  const tBuilt = Date.now();
  // The job folder must not live under /tmp: the guest puts a tmpfs there before binding it.
  const jobDir = opts.outDir ? path.resolve(opts.outDir) : fs.mkdtempSync(path.join(cacheDir, 'job-'));
  fs.mkdirSync(jobDir, { recursive: true });
  for (const f of ['stdout', 'stderr', 'exitcode', 'started']) fs.rmSync(path.join(jobDir, f), { force: true });
  fs.writeFileSync(path.join(jobDir, 'hostpath'), jobDir + '\n');
  fs.writeFileSync(path.join(jobDir, 'hostcwd'), (opts.cwd ?? process.cwd()) + '\n'); // kept visible if under /tmp
  fs.writeFileSync(path.join(jobDir, 'cmd.sh'), commandScript(opts.argv, opts.cwd ?? process.cwd(),
    { ...guestEnv(), ...opts.env, LVSD_VM_OUT: jobDir }));

  const args = [
    '-accel', process.env.LVSD_VM_ACCEL ?? 'tcg,thread=multi', '-cpu', 'max', '-smp', '2', '-m', '2048',
    '-nographic', '-nic', 'none', '-no-reboot', '-monitor', 'none',
    '-kernel', kernel.image, '-initrd', initrd,
    '-append', 'console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init',
    '-device', 'virtio-rng-pci',
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${jobDir},mount_tag=job,security_model=none,multidevs=remap`,
  ];
  const qemu = spawn(QEMU, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const consoleChunks = [];
  const onConsole = (b) => { consoleChunks.push(b); opts.onConsole?.(b); };
  qemu.stdout.on('data', onConsole);
  qemu.stderr.on('data', onConsole);

  // Relay the guest command's output while it runs (the job files are written through 9p).
  const tails = [tail(path.join(jobDir, 'stdout'), opts.onStdout), tail(path.join(jobDir, 'stderr'), opts.onStderr)];
  let bootMs;
  const poll = setInterval(() => {
    for (const t of tails) t.pump();
    if (bootMs === undefined && fs.existsSync(path.join(jobDir, 'started'))) bootMs = Date.now() - tBuilt;
  }, 200);
  let timedOut = false;
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const timer = setTimeout(() => { timedOut = true; qemu.kill('SIGKILL'); }, timeoutMs);
  const exit = await new Promise((resolve) => qemu.on('close', (code, signal) => resolve({ code, signal })));
  clearTimeout(timer);
  clearInterval(poll);
  for (const t of tails) { t.pump(); t.close(); }

  const read = (f) => { try { return fs.readFileSync(path.join(jobDir, f)); } catch { return Buffer.alloc(0); } };
  const codeText = read('exitcode').toString().trim();
  const result = {
    code: codeText === '' ? null : Number(codeText),
    timedOut,
    qemuExit: exit,
    stdout: read('stdout'),
    stderr: read('stderr'),
    console: Buffer.concat(consoleChunks).toString('utf8').replace(/\r\n/g, '\n'),
    jobDir,
    initramfsMs: tBuilt - t0,
    bootMs,
    totalMs: Date.now() - t0,
  };
  if (!opts.outDir) fs.rmSync(jobDir, { recursive: true, force: true });
  return result;
}

/** Environment handed to the guest command: a plain PATH and the variables tests steer by. */
function guestEnv() {
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', TERM: 'dumb', LANG: 'C.UTF-8' };
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (/^(LVSD_|TAP_|CI$|NODE_OPTIONS$)/.test(k))) env[k] = v;
  }
  return env;
}

function commandScript(argv, cwd, env) {
  const lines = ['# generated by test/kernel/vm.js', `cd ${q(cwd)} || exit 125`];
  for (const [k, v] of Object.entries(env)) {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) lines.push(`export ${k}=${q(v)}`);
  }
  lines.push(`exec ${argv.map(q).join(' ')}`);
  return lines.join('\n') + '\n';
}

const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** Follows a file that another writer appends to; hands each new chunk to `sink`. */
function tail(file, sink) {
  let fd;
  let pos = 0;
  const buf = Buffer.alloc(65536);
  return {
    pump() {
      if (!sink) return;
      if (fd === undefined) { try { fd = fs.openSync(file, 'r'); } catch { return; } }
      for (let i = 0; i < 1000; i++) {
        const n = fs.readSync(fd, buf, 0, buf.length, pos);
        if (n <= 0) break;
        pos += n;
        sink(Buffer.from(buf.subarray(0, n)));
      }
    },
    close() { if (fd !== undefined) fs.closeSync(fd); },
  };
}

function hasModule(kver, name) {
  return spawnSync('modprobe', ['-S', kver, '--show-depends', name], { stdio: 'ignore' }).status === 0;
}

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (dir && fs.existsSync(path.join(dir, cmd))) return path.join(dir, cmd);
  }
  return undefined;
}

function isStatic(file) {
  const r = spawnSync('file', ['-L', file], { encoding: 'utf8' });
  return r.status !== 0 || /statically linked|static-pie/.test(r.stdout);
}

function safeReaddir(dir) {
  try { return fs.readdirSync(dir); } catch { return []; }
}

function compareVersions(a, b) {
  return a.localeCompare(b, 'en', { numeric: true });
}

async function cli(argv) {
  const [cmd, ...rest] = argv;
  if (cmd === 'check') {
    const why = unavailableReason();
    if (why) { console.error(why); return 1; }
    const k = findKernel();
    console.log(`ok: kernel ${k.kver}`);
    return 0;
  }
  if (cmd === 'initramfs') {
    console.log(ensureInitramfs(findKernel(), (s) => console.error(s)));
    return 0;
  }
  if (cmd !== 'run') {
    console.error('usage: vm.js run [--timeout S] [--out DIR] [--env K=V]... [--verbose] -- command...\n       vm.js initramfs | check');
    return 2;
  }
  const opts = { env: {}, timeoutMs: 600_000 };
  let verbose = false;
  let i = 0;
  for (; i < rest.length && rest[i] !== '--'; i++) {
    const a = rest[i];
    if (a === '--timeout') opts.timeoutMs = Number(rest[++i]) * 1000;
    else if (a === '--out') opts.outDir = rest[++i];
    else if (a === '--env') { const [k, ...v] = String(rest[++i]).split('='); opts.env[k] = v.join('='); }
    else if (a === '--verbose') verbose = true;
    else { console.error(`vm.js: unknown option ${a}`); return 2; }
  }
  opts.argv = rest.slice(i + 1);
  if (!opts.argv.length) { console.error('vm.js: no command after --'); return 2; }
  opts.onStdout = (b) => process.stdout.write(b);
  opts.onStderr = (b) => process.stderr.write(b);
  if (verbose) opts.onConsole = (b) => process.stderr.write(b);
  opts.log = (s) => console.error(`vm: ${s}`);
  const r = await runInVm(opts);
  console.error(`vm: initramfs ${r.initramfsMs} ms, boot ${r.bootMs ?? '?'} ms, total ${r.totalMs} ms, exit ${r.code}`);
  if (r.code === null) {
    console.error(r.timedOut ? `vm: timed out after ${opts.timeoutMs / 1000} s` : 'vm: the guest stopped without an exit status');
    if (!verbose) console.error(r.console.split('\n').slice(-40).join('\n'));
    return 124;
  }
  return r.code;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => { console.error(`vm: ${err.message}`); process.exitCode = 125; });
}
