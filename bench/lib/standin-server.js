// The server half of the bench's fast ipvsadm (see ipvsadm-client.c): runs the stand-in's own
// program text (test/bin/ipvsadm, unchanged) once per request, inside this long-lived process,
// with a `process` of the client's (argv, pid, LVSD_IPVS_STATE, stdin, stdout/stderr, exit
// status). The stand-in keeps writing its state file and its <state>.log as always; this server
// adds a side log, <state>.bench, for the benchmark: one JSON line per invocation with when it
// arrived and finished (epoch ms, sub-ms) and the rule lines it carried, so a change can be
// traced to the moment it reached the driver.
//
//   node standin-server.js SOCKET STANDIN   (prints "ready" on stdout once listening)
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const [socketPath, standinPath] = process.argv.slice(2);
const source = fs.readFileSync(standinPath, 'utf8').replace(/^#!.*\n/, '\n');
// One compiled function; each call runs the whole program afresh, as a new process would.
const program = new Function('process', source);
const now = () => performance.timeOrigin + performance.now();

function parseRequest(buf) {
  const fields = [];
  let at = 0;
  const field = () => {
    const end = buf.indexOf(0, at);
    if (end < 0) throw new Error('truncated request');
    const s = buf.subarray(at, end).toString('utf8');
    at = end + 1;
    return s;
  };
  const pid = Number(field());
  const state = field();
  const argc = Number(field());
  for (let i = 0; i < argc; i++) fields.push(field());
  return { pid, state, argv: fields, stdin: buf.subarray(at) };
}

function runStandin(req) {
  const out = [];
  const err = [];
  const fakeFs = Object.create(fs);
  fakeFs.readFileSync = (p, ...rest) => (p === 0 ? req.stdin.toString(rest[0]?.encoding ?? rest[0] ?? undefined) : fs.readFileSync(p, ...rest));
  const proc = {
    argv: [process.execPath, req.argv[0] ?? 'ipvsadm', ...req.argv.slice(1)],
    env: req.state ? { LVSD_IPVS_STATE: req.state } : {},
    pid: req.pid,
    exitCode: undefined,
    getBuiltinModule: (name) => (name === 'node:fs' || name === 'fs' ? fakeFs : process.getBuiltinModule(name)),
    stdout: { write: (s) => out.push(String(s)) },
    stderr: { write: (s) => err.push(String(s)) },
    kill: (pid, sig) => process.kill(pid, sig),
  };
  try {
    program(proc);
  } catch (e) {
    err.push(`ipvsadm stand-in (bench server): ${e?.stack ?? e}\n`);
    proc.exitCode = 1;
  }
  return { code: Number(proc.exitCode ?? 0), stdout: out.join(''), stderr: err.join('') };
}

function frame(r) {
  const o = Buffer.from(r.stdout);
  const e = Buffer.from(r.stderr);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(r.code >>> 0, 0);
  head.writeUInt32BE(o.length, 4);
  const mid = Buffer.alloc(4);
  mid.writeUInt32BE(e.length, 0);
  return Buffer.concat([head, o, mid, e]);
}

function sideLog(req, ts, done, code) {
  if (!req.state) return;
  const entry = { pid: req.pid, ts: Number(ts.toFixed(2)), done: Number(done.toFixed(2)), code, argv: req.argv.slice(1) };
  if (req.stdin.length > 0) entry.lines = req.stdin.toString('utf8').split('\n').filter((l) => l.trim() !== '');
  fs.appendFileSync(`${req.state}.bench`, `${JSON.stringify(entry)}\n`);
}

try {
  fs.unlinkSync(socketPath);
} catch {
  // not there
}
fs.mkdirSync(path.dirname(socketPath), { recursive: true });
const server = net.createServer((sock) => {
  const chunks = [];
  sock.on('data', (c) => chunks.push(c));
  sock.on('error', () => {});
  sock.on('end', () => {
    const ts = now();
    let req;
    try {
      req = parseRequest(Buffer.concat(chunks));
    } catch (e) {
      sock.end(frame({ code: 111, stdout: '', stderr: `ipvsadm (bench server): ${e.message}\n` }));
      return;
    }
    const r = runStandin(req);
    const done = now();
    sideLog(req, ts, done, r.code);
    sock.end(frame(r));
  });
});
server.listen(socketPath, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
