// Address checks and host name resolution with ldirectord's semantics (ld_gethostbyname
// L5284): getaddrinfo restricted to one family, first address, numeric form.
import { lookup } from 'node:dns/promises';
import { isIP, SocketAddress } from 'node:net';
import type { Family } from './model.js';

/** Canonical text of an IPv6 address (RFC 5952, as getnameinfo prints it); zone kept. */
export function canonicalIPv6(address: string): string {
  const pct = address.indexOf('%');
  const base = pct < 0 ? address : address.slice(0, pct);
  const zone = pct < 0 ? '' : address.slice(pct);
  return new SocketAddress({ address: base, family: 'ipv6' }).address + zone;
}

/** A literal address of the given family, canonicalised; undefined if it is not one. */
export function literalAddress(text: string, family: Family): string | undefined {
  const f = isIP(text);
  if (f !== family) return undefined;
  return family === 6 ? canonicalIPv6(text) : text;
}

/** inet_pton(AF_INET6, …) — what ldirectord uses to check `virtual6=[…]`. */
export function isIPv6Literal(text: string): boolean {
  return isIP(text) === 6 && !text.includes('%');
}

/**
 * Whether glibc's inet_aton accepts an all-numeric name (1 to 4 dot-separated parts,
 * octal with a leading 0, the last part filling the remaining bytes).
 */
export function inetAtonValid(name: string): boolean {
  const parts = name.split('.');
  if (parts.length > 4 || parts.some((p) => p === '' || (p.length > 1 && p.startsWith('0') && /[89]/.test(p)))) return false;
  const values = parts.map((p) => (p.length > 1 && p.startsWith('0') ? parseInt(p, 8) : Number(p)));
  const last = values.pop()!;
  return values.every((v) => v <= 255) && last < 256 ** (4 - values.length);
}

/**
 * ld_gethostbyname: strips `[...]`, then getaddrinfo(name, family) and returns the first
 * address, or undefined. Like glibc, an empty name is the loopback address, and a literal
 * of the other family does not resolve (node's lookup would return it regardless).
 */
export async function resolveHost(name: string, family: Family): Promise<string | undefined> {
  const m = /\[(.*)\]/s.exec(name);
  if (m) name = m[1]!;
  if (name === '') return family === 6 ? '::1' : '127.0.0.1';
  if (isIP(name)) return literalAddress(name, family);
  // A name of only digits and dots is an address or nothing: no DNS query for a typo
  // such as 192.168.1.300 (no top-level domain is numeric).
  if (/^[0-9.]+$/.test(name) && (family === 6 || !inetAtonValid(name))) return undefined;
  try {
    const r = await lookup(name, { family, all: true });
    const first = r.find((a) => a.family === family);
    if (!first) return undefined;
    return family === 6 ? canonicalIPv6(first.address) : first.address;
  } catch {
    return undefined;
  }
}

/** IPv4 dotted quad → 32-bit unsigned integer (for real= ranges). */
export function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
