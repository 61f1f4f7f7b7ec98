// The stand-in against the real thing: /usr/sbin/ipvsadm 1.31 runs on a fake IPVS kernel
// (fakekernel/ipvs-shim.c, loaded with LD_PRELOAD over libnl), test/bin/ipvsadm on its JSON
// table, and every invocation of fixtures/differential.txt must give the same stdout, stderr and
// exit status on both. This checks the stand-in's option parsing, messages, port rewrite, -R
// behaviour, sort order and output formats against the binary itself (the kernel side, errno
// for each case, is the same model in both, so it is not checked here).
// The real binary runs once per line (a C program: cheap); the stand-in runs every line in one
// node process (batch mode), since ~170 node starts took minutes on a loaded 2-core machine.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sandbox, standinBatch, standinEnv, STANDIN } from './helpers.js';

const REAL = '/usr/sbin/ipvsadm';
const LIBNL = ['/usr/lib/x86_64-linux-gnu/libnl-3.so.200', '/usr/lib/x86_64-linux-gnu/libnl-genl-3.so.200'];
const SHIM_SRC = fileURLToPath(new URL('./fakekernel/ipvs-shim.c', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/differential.txt', import.meta.url));

const hasCc = spawnSync('cc', ['--version']).status === 0;
const skip = !existsSync(REAL)
  ? `${REAL} is missing (Debian package ipvsadm)`
  : !LIBNL.every(existsSync)
    ? 'libnl-3-200 / libnl-genl-3-200 are missing (pulled in by Debian package ipvsadm)'
    : !hasCc
      ? 'no C compiler to build the fake kernel (Debian packages gcc, libc6-dev, linux-libc-dev)'
      : false;

t.test('real ipvsadm on the fake kernel and the stand-in print the same', { skip }, async (t) => {
  const sb = sandbox(t);
  const shim = join(sb.dir, 'ipvs-shim.so');
  const cc = spawnSync('cc', ['-shared', '-fPIC', '-o', shim, SHIM_SRC, ...LIBNL], { encoding: 'utf8' });
  t.equal(cc.status, 0, `shim builds ${cc.stderr}`);
  if (cc.status !== 0) return;
  const realEnv = standinEnv({ LD_PRELOAD: shim, IPVS_SHIM_STATE: join(sb.dir, 'shim.state') });
  const normalize = (s: string, prog: string): string => s.split(prog).join('PROG');

  // the fake kernel really is in use: the real binary answers instead of "Can't initialize ipvs"
  const probe = spawnSync(REAL, ['-L', '-n'], { env: realEnv, encoding: 'utf8' });
  t.equal(probe.status, 0, `real ipvsadm runs on the fake kernel: ${probe.stderr}`);

  const lines = readFileSync(FIXTURE, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const requests = lines.map((line) => {
    const restore = line.startsWith('R ');
    return { args: restore ? ['-R'] : line.trim().split(/\s+/), stdin: restore ? line.slice(2).replace(/\\n/g, '\n') : '' };
  });
  const fakes = standinBatch(sb.env, requests);
  let same = 0;
  requests.forEach(({ args, stdin }, i) => {
    const real = spawnSync(REAL, args, { env: realEnv, input: stdin, encoding: 'utf8', timeout: 20_000 });
    const fake = fakes[i]!;
    const r = { code: real.status, stdout: normalize(real.stdout, REAL), stderr: normalize(real.stderr, REAL) };
    const f = { code: fake.code, stdout: normalize(fake.stdout, STANDIN), stderr: normalize(fake.stderr, STANDIN) };
    if (JSON.stringify(r) === JSON.stringify(f)) same++;
    else t.same(f, r, lines[i]!);
  });
  t.equal(same, lines.length, `${same} of ${lines.length} invocations identical`);
});
