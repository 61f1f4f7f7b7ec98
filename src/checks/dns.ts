// Negotiate check for service dns (spec §6, check_dns): ask the real server itself (port =
// checkport) over UDP, or TCP when the virtual's protocol is tcp. The request minus its
// leading "/" is the question: an IP address becomes a PTR query, a name an A query (always
// A, whatever the server's address family: existing receive patterns expect A records).
// Up when an A/AAAA address or PTR name in the answer matches `receive`. ldirectord was always
// down with an empty receive; lvsd then accepts any A/AAAA/PTR answer.
// Encoding/decoding is dns-packet's; its decoder bounds-checks names and pointers, anything
// it throws is a "malformed answer", and the TCP length prefix is checked here.
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket } from 'dns-packet';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { runCheck, up, down } from './deadline.js';
import { matchReceive } from './receive.js';
import { familyOf, tcpExchange, udpExchange } from './transport.js';
import type { CheckTarget, Checker, CheckResult } from './types.js';

/** in-addr.arpa / ip6.arpa name for an address. */
export function reverseName(ip: string): string {
  if (net.isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  // Expand "::" to full 8 groups of 4 nibbles, then reverse nibble by nibble.
  // A dotted IPv4 tail (::ffff:192.0.2.1) is two more hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    ip = ip.slice(0, v4.index) + (((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16));
  }
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const nibbles = groups.map((g) => g.padStart(4, '0')).join('');
  return `${[...nibbles].reverse().join('.')}.ip6.arpa`;
}

export function dnsQuestion(request: string): { name: string; type: 'A' | 'PTR' } {
  const q = request.replace(/^\//, '');
  return net.isIP(q) ? { name: reverseName(q), type: 'PTR' } : { name: q, type: 'A' };
}

function recordText(a: Answer): string | undefined {
  if ((a.type === 'A' || a.type === 'AAAA' || a.type === 'PTR') && typeof a.data === 'string') return a.data;
  return undefined;
}

const TRUNCATED = 'Truncated answer';

/** Verdict for one reply, or undefined when it is not the answer to our query (ignore it). */
export async function judgeReply(reply: Buffer, id: number, receive: RegExp | undefined, signal?: AbortSignal): Promise<CheckResult | undefined> {
  // Someone else's datagram (wrong id) must not fail the check, however malformed it is.
  if (reply.length < 2 || reply.readUInt16BE(0) !== id) return undefined;
  let p: DecodedPacket;
  try {
    p = dnsPacket.decode(reply);
  } catch (e) {
    return down(`Malformed answer: ${(e as Error).message}`);
  }
  // dns-packet trusts RDLENGTH: a record that claims more bytes than the packet has is a lie.
  if (dnsPacket.decode.bytes > reply.length) return down('Malformed answer: a record runs past the end of the packet');
  if (!p.flag_qr) return undefined;
  if (p.flag_tc) return down(TRUNCATED);
  const rcode = (p as { rcode?: string }).rcode ?? 'NOERROR';
  if (rcode !== 'NOERROR') return down(`DNS error ${rcode}`);
  const found = (p.answers ?? []).map(recordText).filter((x): x is string => x !== undefined);
  if (found.length === 0) return down('No answer');
  return !receive || (await matchReceive(receive, found, signal)) ? up('Success') : down('Response mismatch');
}

/** Accumulates a TCP DNS reply: a 2-byte length, then exactly that many bytes. */
export class TcpReply {
  private buf = Buffer.alloc(0);
  take(chunk: Buffer): Buffer | undefined {
    this.buf = Buffer.concat([this.buf, chunk]);
    if (this.buf.length < 2) return undefined;
    const len = this.buf.readUInt16BE(0);
    if (this.buf.length < 2 + len) return undefined;
    return this.buf.subarray(2, 2 + len);
  }
}

function dnsQuery(t: CheckTarget): { id: number; query: dnsPacket.Packet } {
  const id = randomInt(0, 0x10000);
  const { name, type } = dnsQuestion(t.request);
  return { id, query: { type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] } };
}

function overUdp(t: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  const { id, query } = dnsQuery(t);
  const request = (): Buffer => dnsPacket.encode(query);
  const answer = (msg: Buffer): Promise<CheckResult | undefined> => judgeReply(msg, id, t.receive, signal);
  return udpExchange({ host: t.host, port: t.port, request, answer }, familyOf(t.host, t.family), signal);
}

function overTcp(t: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  const { id, query } = dnsQuery(t);
  const reply = new TcpReply();
  return tcpExchange(
    {
      host: t.host,
      port: t.port,
      request: () => dnsPacket.streamEncode(query),
      halfClose: false,
      answer: async (chunk) => {
        const msg = reply.take(chunk);
        return msg && ((await judgeReply(msg, id, t.receive, signal)) ?? down('Answer to another query'));
      },
      closed: () => down('Connection closed before a full answer'),
    },
    signal,
  );
}

export async function dnsCheck(t: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  if (t.protocol === 'tcp') return overTcp(t, signal);
  const r = await overUdp(t, signal);
  // A truncated UDP answer is asked again over TCP, as Net::DNS does.
  return r.message === TRUNCATED ? overTcp(t, signal) : r;
}

export const dnsChecker: Checker = {
  check: (target, signal) => runCheck(signal, target.negotiatetimeout, (s) => dnsCheck(target, s)),
};
