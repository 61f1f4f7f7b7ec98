// Small text helpers shared by the log file, syslog, monitorfile and mail code.

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** Perl's `scalar localtime`: `Mon Nov  3 07:27:17 2026` (day of month space-padded). */
export function ctime(d: Date = new Date()): string {
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

/** syslog(3)'s RFC 3164 timestamp: `Nov  3 07:27:17`. */
export function syslogTime(d: Date = new Date()): string {
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

/**
 * One log line from any text: trailing newlines dropped (Perl's chomp), other control
 * characters made visible, so text a real server sent can neither forge extra log lines
 * nor send escape sequences to a terminal.
 */
export function oneLine(s: string): string {
  return s.replace(/[\r\n]+$/, '').replace(/[\x00-\x08\x0a-\x1f\x7f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
