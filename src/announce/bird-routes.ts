// The include file lvsd hands BIRD: two static protocols holding a blackhole host route for each
// announced address, `lvsd4` and `lvsd6`. Both are always there (perhaps empty) so the operator's
// filters (`export where proto = "lvsd4"`) stay valid whatever is announced.

/**
 * Where the file goes without birdroutes=: in /run itself, which exists before BIRD starts at boot
 * (BIRD refuses an include pattern whose directory is missing) and is emptied at boot (a rebooted
 * director announces nothing until lvsd says so); lvsd's unit may write there.
 */
export const DEFAULT_BIRD_ROUTES = '/run/lvsd-bird-routes.conf';

/** The file's text for these routes (`192.0.2.10/32`, `2001:db8::1/128`), sorted so equal sets give equal text. */
export function renderBirdRoutes(routes: Iterable<string>): string {
  const all = [...routes].sort();
  const block = (name: string, channel: string, list: string[]) =>
    [`protocol static ${name} {`, `  ${channel};`, ...list.map((r) => `  route ${r} blackhole;`), '}'];
  return [
    '# Written by lvsd: the virtual addresses this director announces now. Do not edit; lvsd',
    '# rewrites it and runs `configure` whenever the set changes.',
    ...block('lvsd4', 'ipv4', all.filter((r) => !r.includes(':'))),
    ...block('lvsd6', 'ipv6', all.filter((r) => r.includes(':'))),
    '',
  ].join('\n');
}
