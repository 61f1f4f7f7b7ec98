// Port ⇄ service name tables.
//  * ldirectord's own service ⇄ port table (spec §1.4), which picks the negotiate check;
//  * getservbyname(3) semantics over /etc/services, used by ldirectord to resolve
//    `:http`-style ports (with a built-in table when /etc/services is missing).
import { readFileSync } from 'node:fs';
import type { Service } from './model.js';

// ld_port_to_service / ld_service_to_port (L1860, L1892).
const SERVICE_PORTS: ReadonlyArray<readonly [Service, number]> = [
  ['ftp', 21], ['smtp', 25], ['dns', 53], ['http', 80], ['pop', 110], ['nntp', 119], ['imap', 143],
  ['ldap', 389], ['https', 443], ['submission', 587], ['ldaps', 636], ['imaps', 993], ['pops', 995],
  ['oracle', 1521], ['radius', 1812], ['http_proxy', 3128], ['mysql', 3306], ['sip', 5060], ['pgsql', 5432],
];

/**
 * The service ldirectord derives from a virtual's port. ldirectord compares with Perl `eq`,
 * i.e. as strings: the port text `080` gives `none` even though it is port 80.
 */
export function portToService(portText: string | number): Service {
  const text = String(portText);
  for (const [service, port] of SERVICE_PORTS) if (String(port) === text) return service;
  return 'none';
}

/** Default port of an ldirectord service (undefined for none, simpletcp, ...). */
export function serviceToPort(service: Service): number | undefined {
  return SERVICE_PORTS.find(([s]) => s === service)?.[1];
}

interface ServEnt {
  name: string;
  aliases: string[];
  port: number;
  proto: string;
}

// Used only when /etc/services cannot be read (minimal containers); the common names a
// config is likely to use, as netbase lists them.
const BUILTIN = `
ftp 21/tcp
ssh 22/tcp
telnet 23/tcp
smtp 25/tcp mail
domain 53/tcp
domain 53/udp
http 80/tcp www
pop3 110/tcp pop-3
nntp 119/tcp readnews untp
ntp 123/udp
imap2 143/tcp imap
snmp 161/udp
ldap 389/tcp
ldap 389/udp
https 443/tcp
https 443/udp
submission 587/tcp
ldaps 636/tcp
imaps 993/tcp
pop3s 995/tcp
ms-sql-s 1433/tcp
openvpn 1194/tcp
openvpn 1194/udp
radius 1812/tcp
radius 1812/udp
mysql 3306/tcp
sip 5060/tcp
sip 5060/udp
sip-tls 5061/tcp
sip-tls 5061/udp
postgresql 5432/tcp postgres
http-alt 8080/tcp webcache
`;

export function parseServicesFile(text: string): ServEnt[] {
  const out: ServEnt[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [name, portProto, ...aliases] = line.split(/\s+/);
    const m = /^(\d+)\/(\w+)$/.exec(portProto ?? '');
    if (!name || !m) continue;
    out.push({ name, aliases, port: Number(m[1]), proto: m[2]! });
  }
  return out;
}

let table: ServEnt[] | undefined;
let tablePath = '/etc/services';

function entries(): ServEnt[] {
  if (!table) {
    let text: string;
    try {
      text = readFileSync(tablePath, 'utf8');
    } catch {
      text = BUILTIN;
    }
    table = parseServicesFile(text);
  }
  return table;
}

/** For tests: read another services file (undefined = back to /etc/services). */
export function setServicesFile(path: string | undefined): void {
  tablePath = path ?? '/etc/services';
  table = undefined;
}

/** getservbyname(3): the first entry whose name or alias matches; proto '' = any protocol. */
export function getservbyname(name: string, proto: string): number | undefined {
  for (const e of entries()) {
    if (proto !== '' && e.proto !== proto) continue;
    if (e.name === name || e.aliases.includes(name)) return e.port;
  }
  return undefined;
}

/** What ld_getservbyname returns: the text as given for digits, else the looked-up number. */
export interface ResolvedPort {
  port: number;
  /** the text ldirectord keeps: `080` stays `080`, `http` becomes `80`. */
  text: string;
}

/** ld_getservbyname (L5335): digits must be 0..65535; names go through getservbyname. */
export function ldGetservbyname(name: string, proto: string): ResolvedPort | undefined {
  if (/^[0-9]+$/.test(name)) {
    const n = Number(name);
    return n >= 0 && n < 65536 ? { port: n, text: name } : undefined;
  }
  const port = getservbyname(name, proto);
  return port === undefined ? undefined : { port, text: String(port) };
}
