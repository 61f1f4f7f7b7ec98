// How every layer writes an address with a port: `10.0.0.1:80`, `[::1]:80` (IPv6 in brackets,
// as URLs, ipvsadm and ldirectord's log lines write them). A leaf: it imports nothing.

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
