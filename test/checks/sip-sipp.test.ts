// service=sip against a real SIP user agent: SIPp (Debian package sip-tester) as a UAS on
// loopback, over UDP and over TCP (`-t t1`), running scenarios written here: answer OPTIONS with
// 200, with 486, with 100 then 503, or receive it and never answer. SIPp's message trace shows
// what it received and sent, so a silent case is known to be silent by choice, not by loss.
import t, { type Test } from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sipChecker } from '../../src/checks/sip.js';
import type { CheckTarget } from '../../src/checks/types.js';
import { startDaemon } from '../helpers/daemons/process.js';
import { tempDir } from '../helpers/daemons/env.js';
import { alive, eventually, freeTcpPort, freeUdpPort, never, settles, target } from './helpers.js';

const SIPP = '/usr/bin/sipp';
const BOUND = 60; // anti-hang bound for one check, never a timing assertion
const missing = existsSync(SIPP) ? false : `Debian package sip-tester not installed (no ${SIPP}); see .ci/apt-packages.txt`;

type Transport = 'udp' | 'tcp';

/** One response, copying the request's dialog headers with SIPp's [last_*] keywords. */
const reply = (status: string): string => `
  <send>
    <![CDATA[

      SIP/2.0 ${status}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]lvsd[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Allow: OPTIONS
      Content-Length: 0

    ]]>
  </send>`;

/** A UAS scenario: receive OPTIONS, then send these statuses in order (none: stay silent). */
const scenario = (statuses: string[]): string =>
  `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="lvsd options">
  <recv request="OPTIONS" />${statuses.map(reply).join('')}
</scenario>
`;

/** Whether /proc/net/{udp,tcp} shows 127.0.0.1:port bound (UDP) or listening (TCP, state 0A). */
function bound(transport: Transport, port: number): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync(`/proc/net/${transport}`, 'utf8')
    .split('\n')
    .some((l) => {
      const f = l.trim().split(/\s+/);
      return f[1] === local && (transport === 'udp' || f[3] === '0A');
    });
}

/**
 * SIPp as a UAS on its own loopback port, in the foreground without a terminal (-nostdin; no
 * -bg, whose fork would hide the pid). Stopped and its directory removed at teardown; the last
 * test checks that no process is left. `messages()` is its trace of SIP messages in and out.
 */
const started: number[] = [];

async function sipp(t: Test, transport: Transport, statuses: string[]): Promise<{ port: number; messages: () => string }> {
  const tmp = tempDir('sipp');
  const xml = path.join(tmp.dir, 'uas.xml');
  const trace = path.join(tmp.dir, 'messages.log');
  writeFileSync(xml, scenario(statuses));
  const port = transport === 'udp' ? await freeUdpPort() : await freeTcpPort();
  const args = ['-sf', xml, '-i', '127.0.0.1', '-p', String(port), '-nostdin', '-trace_msg', '-message_file', trace];
  if (transport === 'tcp') args.push('-t', 't1');
  let d: Awaited<ReturnType<typeof startDaemon>>;
  try {
    d = await startDaemon({ name: 'sipp', cmd: SIPP, args, cwd: tmp.dir });
  } catch (e) {
    tmp.remove();
    throw e;
  }
  started.push(d.pid);
  t.teardown(async () => {
    await d.stop();
    tmp.remove();
  });
  // Bounded: 300 × 100 ms.
  if (!(await eventually(() => bound(transport, port), 300))) {
    throw new Error(`sipp did not bind 127.0.0.1:${port}/${transport}:\n${d.output()}`);
  }
  return { port, messages: () => (existsSync(trace) ? readFileSync(trace, 'utf8') : '') };
}

const check = (over: Partial<CheckTarget>) =>
  settles(
    sipChecker.check(target({ service: 'sip', login: 'ldirectord@lb1', negotiatetimeout: 5, ...over }), never),
    BOUND,
  );

for (const transport of ['udp', 'tcp'] as const) {
  const VIA = `Via: SIP/2.0/${transport.toUpperCase()} 127.0.0.1:`;
  const received = (log: string): boolean => log.includes('OPTIONS sip:ldirectord@lb1 SIP/2.0') && log.includes(VIA);

  t.test(`against SIPp over ${transport}`, { skip: missing }, async (t) => {
    t.test('200 OK is up; SIPp received a proper OPTIONS and answered it', async (t) => {
      const s = await sipp(t, transport, ['200 OK']);
      t.same(await check({ protocol: transport, port: s.port }), { ok: true, message: 'SIP/2.0 200 OK' });
      t.ok(await eventually(() => received(s.messages()) && s.messages().includes('SIP/2.0 200 OK')), 'trace shows OPTIONS in, 200 out');
      t.match(s.messages(), /CSeq: 63104 OPTIONS[\s\S]*SIP\/2\.0 200 OK[\s\S]*CSeq: 63104 OPTIONS/, 'the 200 echoes our CSeq');
    });

    t.test('a second check against the same SIPp is up too (a new call each time)', async (t) => {
      const s = await sipp(t, transport, ['200 OK']);
      for (let i = 0; i < 2; i++) t.equal((await check({ protocol: transport, port: s.port })).ok, true, `check ${i + 1}`);
    });

    t.test('486 Busy Here is down with the status line', async (t) => {
      const s = await sipp(t, transport, ['486 Busy Here']);
      t.same(await check({ protocol: transport, port: s.port }), { ok: false, message: 'SIP/2.0 486 Busy Here' });
    });

    t.test('100 Trying then 503 is down with the final status line', async (t) => {
      const s = await sipp(t, transport, ['100 Trying', '503 Service Unavailable']);
      t.same(await check({ protocol: transport, port: s.port }), { ok: false, message: 'SIP/2.0 503 Service Unavailable' });
    });

    t.test('SIPp that receives and never answers: timeout after negotiatetimeout', async (t) => {
      const s = await sipp(t, transport, []);
      t.same(await check({ protocol: transport, port: s.port, negotiatetimeout: 1 }), { ok: false, message: 'timeout after 1s' });
      t.ok(await eventually(() => received(s.messages())), 'SIPp did receive the OPTIONS');
      t.notMatch(s.messages(), /SIP\/2\.0 \d{3}/, 'and sent no response');
    });
  });

  t.test(`refused ${transport} port: Connection refused`, async (t) => {
    const port = transport === 'udp' ? await freeUdpPort() : await freeTcpPort();
    t.same(await check({ protocol: transport, port }), { ok: false, message: 'Connection refused' });
  });
}

t.test('every SIPp started here is gone after its teardown', { skip: missing }, async (t) => {
  t.ok(started.length > 0, `${started.length} SIPp processes were started`);
  t.same(started.filter(alive), [], 'none is alive');
});
