// The SMTP server both daemons mail their alerts to. ldirectord's smtp= takes a host only (its
// parser keeps the `^[0-9A-Za-z._+-]+` prefix, so `host:port` loses the port and Net::SMTP uses
// 25): each case therefore listens on port 25 of an address of its own, and both daemons use it.
// Which daemon sent a mail is told by the body's first line (`ldirectord host:` / `lvsd host:`).
import { SMTPServer } from 'smtp-server';

export type Sender = 'ldirectord' | 'lvsd' | 'unknown';

export interface Mail {
  from: Sender;
  /** envelope recipients, as given in RCPT TO. */
  rcpt: string[];
  subject: string;
  /** the body's Log-Message lines: one per event (lvsd puts several coalesced events in one mail). */
  events: string[];
  /** Daemon-Status: starting|running|reloading|stopping. */
  status: string;
}

/** Undo a Content-Transfer-Encoding (nodemailer uses quoted-printable for long lines). */
function decodeBody(headers: string, body: string): string {
  const cte = /^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase();
  if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (cte === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

export function parseMail(raw: string, rcpt: string[]): Mail {
  const text = raw.replace(/\r\n/g, '\n');
  const split = text.indexOf('\n\n');
  const headers = split < 0 ? text : text.slice(0, split);
  const body = decodeBody(headers, split < 0 ? '' : text.slice(split + 2));
  const unfolded = headers.replace(/\n[ \t]+/g, ' ');
  const first = body.split('\n', 1)[0] ?? '';
  return {
    from: first.startsWith('ldirectord host:') ? 'ldirectord' : first.startsWith('lvsd host:') ? 'lvsd' : 'unknown',
    rcpt,
    subject: /^subject:\s*(.*)$/im.exec(unfolded)?.[1]?.trim() ?? '',
    events: [...body.matchAll(/^Log-Message: (.*)$/gm)].map((m) => m[1]!.trim()),
    status: /^Daemon-Status: (\S+)/m.exec(body)?.[1] ?? '',
  };
}

export class MailCatcher {
  readonly mails: Mail[] = [];
  private server?: SMTPServer;

  constructor(readonly host: string) {}

  async start(): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      banner: 'compat test mail sink',
      onData: (stream, session, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const rcpt = session.envelope.rcptTo.map((r) => r.address);
          this.mails.push(parseMail(Buffer.concat(chunks).toString('utf8'), rcpt));
          done();
        });
      },
    });
    server.on('error', () => {});
    await new Promise<void>((ok, fail) => {
      server.server.once('error', fail);
      server.listen(25, this.host, () => ok());
    });
    this.server = server;
    return this;
  }

  from(sender: Sender): Mail[] {
    return this.mails.filter((m) => m.from === sender);
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
