// maintenancedir (spec §3.5): a file named after a real server forces it down without a check.
// ldirectord looks for <ip>:<port>, <ip>, <fqdn>:<port>, <fqdn>, <short>:<port>, <short>, doing a
// reverse lookup before every check of every real; lvsd asks once per address and remembers the
// answer, so a slow resolver never sits in the check path.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lookupService } from 'node:dns/promises';
import { hostPort } from '../config/effective.js';

export class Maintenance {
  /** address → reverse name ('' while unknown or when there is none). */
  private names = new Map<string, string>();

  constructor(private readonly dir: string | undefined) {}

  /** The reason to force this real down, or undefined. */
  reason(host: string, port: number, family: 4 | 6): string | undefined {
    if (!this.dir) return undefined;
    const ip = family === 6 ? `[${host}]` : host;
    const candidates = [`${ip}:${port}`, ip];
    const fqdn = this.reverse(host, port);
    if (fqdn) {
      candidates.push(`${fqdn}:${port}`, fqdn);
      const short = /^([a-z][a-z0-9-]+)\./.exec(fqdn)?.[1];
      if (short) candidates.push(`${short}:${port}`, short);
    }
    const dir = this.dir;
    return candidates.some((n) => existsSync(join(dir, n))) ? 'Server in maintenance' : undefined;
  }

  private reverse(host: string, port: number): string {
    const known = this.names.get(host);
    if (known !== undefined) return known;
    this.names.set(host, '');
    // getnameinfo (hosts file, then DNS); a numeric answer means there is no name.
    lookupService(host, port > 0 ? port : 1)
      .then(({ hostname }) => {
        if (hostname && hostname !== host && hostname !== hostPort(host, port)) this.names.set(host, hostname.toLowerCase());
      })
      .catch(() => {});
    return '';
  }
}
