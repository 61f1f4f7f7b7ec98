// service=radius (spec §6): an Access-Request (RFC 2865) with User-Name, User-Password hidden with
// the shared secret, NAS-IP-Address (NAS-Identifier over IPv6) and a Message-Authenticator
// (RFC 3579/2869; servers patched for BlastRADIUS may require it). Up on an Access-Accept whose
// Response Authenticator (and Message-Authenticator, when present) proves it came from a server
// that knows the secret. Hand-written because no maintained npm package does this: it is small,
// and every read below is bounds-checked.
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { down, runCheck, up } from '../deadline.js';
import type { CheckResult, CheckTarget, Checker } from '../types.js';

export const ACCESS_REQUEST = 1;
export const ACCESS_ACCEPT = 2;
export const ACCESS_REJECT = 3;
export const ACCESS_CHALLENGE = 11;
const ATTR_USER_NAME = 1;
const ATTR_USER_PASSWORD = 2;
const ATTR_NAS_IP = 4;
const ATTR_MESSAGE_AUTHENTICATOR = 80;
const ATTR_NAS_IDENTIFIER = 32;
const HEADER = 20;
const MAX_PACKET = 4096;

const md5 = (...parts: Buffer[]): Buffer => crypto.createHash('md5').update(Buffer.concat(parts)).digest();

function attr(type: number, value: Buffer): Buffer {
  if (value.length > 253) throw new Error(`RADIUS attribute ${type} longer than 253 bytes`);
  return Buffer.concat([Buffer.from([type, value.length + 2]), value]);
}

/** RFC 2865 §5.2: the password padded to 16 bytes, XORed with a chained MD5 of secret+authenticator. */
export function hidePassword(password: Buffer, secret: Buffer, authenticator: Buffer): Buffer {
  if (password.length > 128) throw new Error('passwd longer than 128 bytes (RFC 2865 limit)');
  const padded = Buffer.alloc(Math.max(16, Math.ceil(password.length / 16) * 16));
  password.copy(padded);
  const out = Buffer.alloc(padded.length);
  let prev = authenticator;
  for (let i = 0; i < padded.length; i += 16) {
    const b = md5(secret, prev);
    for (let j = 0; j < 16; j++) out[i + j] = (padded[i + j] ?? 0) ^ (b[j] ?? 0);
    prev = out.subarray(i, i + 16);
  }
  return out;
}

/** HMAC-MD5 over the packet with the Message-Authenticator value zeroed (RFC 3579 §3.2). */
function messageAuthenticator(packet: Buffer, offset: number, secret: Buffer): Buffer {
  const copy = Buffer.from(packet);
  copy.fill(0, offset, offset + 16);
  return crypto.createHmac('md5', secret).update(copy).digest();
}

export interface AccessRequest {
  packet: Buffer;
  id: number;
  authenticator: Buffer;
}

export function buildAccessRequest(
  user: string,
  password: string,
  secret: Buffer,
  nasAddress: string,
  id = crypto.randomInt(256),
): AccessRequest {
  const authenticator = crypto.randomBytes(16);
  const nas = net.isIPv4(nasAddress)
    ? attr(ATTR_NAS_IP, Buffer.from(nasAddress.split('.').map(Number)))
    : attr(ATTR_NAS_IDENTIFIER, Buffer.from('lvsd'));
  const attrs = Buffer.concat([
    attr(ATTR_USER_NAME, Buffer.from(user, 'utf8')),
    attr(ATTR_USER_PASSWORD, hidePassword(Buffer.from(password, 'utf8'), secret, authenticator)),
    nas,
    attr(ATTR_MESSAGE_AUTHENTICATOR, Buffer.alloc(16)),
  ]);
  const packet = Buffer.concat([Buffer.alloc(4), authenticator, attrs]);
  packet[0] = ACCESS_REQUEST;
  packet[1] = id;
  packet.writeUInt16BE(packet.length, 2);
  const maOffset = packet.length - 16;
  messageAuthenticator(packet, maOffset, secret).copy(packet, maOffset);
  return { packet, id, authenticator };
}

/** A verified reply's code; `ignore` for a datagram that answers another request. */
export type ReplyVerdict = { code: number } | { error: string } | { ignore: true };

/**
 * Check a reply against its request: length, identifier, Response Authenticator
 * (MD5(Code+ID+Length+RequestAuth+Attributes+Secret)) and any Message-Authenticator.
 */
export function verifyReply(reply: Buffer, req: AccessRequest, secret: Buffer): ReplyVerdict {
  if (reply.length < HEADER) return { error: 'short RADIUS reply' };
  const length = reply.readUInt16BE(2);
  if (length < HEADER || length > reply.length || length > MAX_PACKET) return { error: 'bad RADIUS reply length' };
  const pkt = reply.subarray(0, length);
  if (pkt[1] !== req.id) return { ignore: true };
  const expected = md5(pkt.subarray(0, 4), req.authenticator, pkt.subarray(HEADER), secret);
  if (!crypto.timingSafeEqual(expected, pkt.subarray(4, HEADER))) {
    return { error: 'bad Response Authenticator (wrong secret?)' };
  }
  for (let off = HEADER; off < length; ) {
    const type = pkt[off];
    const len = pkt[off + 1] ?? 0;
    if (len < 2 || off + len > length) return { error: 'malformed RADIUS attribute' };
    if (type === ATTR_MESSAGE_AUTHENTICATOR) {
      if (len !== 18) return { error: 'malformed Message-Authenticator' };
      const withReqAuth = Buffer.from(pkt);
      req.authenticator.copy(withReqAuth, 4);
      const mac = messageAuthenticator(withReqAuth, off + 2, secret);
      if (!crypto.timingSafeEqual(mac, pkt.subarray(off + 2, off + 18))) {
        return { error: 'bad Message-Authenticator' };
      }
    }
    off += len;
  }
  return { code: pkt[0] ?? 0 };
}

const CODE_NAMES: Record<number, string> = {
  [ACCESS_REJECT]: 'Access-Reject',
  [ACCESS_CHALLENGE]: 'Access-Challenge',
};

function radius(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  if (target.secret === '') return Promise.resolve(down('radius check needs a secret'));
  const secret = Buffer.from(target.secret, 'utf8');
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(target.host) ? 'udp6' : 'udp4');
    let req: AccessRequest | undefined;
    let resend: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (r: CheckResult | Error): void => {
      if (done) return;
      done = true;
      clearInterval(resend);
      signal.removeEventListener('abort', onAbort);
      sock.close();
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    const onAbort = (): void => finish(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (e) => finish(e));
    sock.on('message', (msg) => {
      if (!req) return;
      // The socket is connected, so the kernel passes only datagrams from the server's address.
      const v = verifyReply(msg, req, secret);
      if ('ignore' in v) return;
      if ('error' in v) return finish(down(v.error));
      if (v.code === ACCESS_ACCEPT) finish(up('Success'));
      else finish(down(CODE_NAMES[v.code] ?? `unexpected RADIUS code ${v.code}`));
    });
    sock.connect(target.port, target.host, () => {
      try {
        // NAS-IP-Address is the local address of the socket, as Authen::Radius sends it.
        req = buildAccessRequest(target.login, target.passwd, secret, sock.address().address);
      } catch (e) {
        return finish(e as Error);
      }
      const packet = req.packet;
      const send = (): void => sock.send(packet, (e) => e && finish(e));
      send();
      // UDP may drop a datagram: resend the same request (same id and authenticator, as RFC 2865
      // allows) a few times within the timeout.
      resend = setInterval(send, Math.max(1000, (target.negotiatetimeout * 1000) / 3));
    });
  });
}

export const radiusChecker: Checker = {
  check: (target, signal) => runCheck(signal, target.negotiatetimeout, (s) => radius(target, s)),
};
