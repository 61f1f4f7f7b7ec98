// The deliberate differences between lvsd and ldirectord that the suite knows about. A step that
// meets one names it; the comparison then asserts lvsd's behaviour instead of ldirectord's.
// Each has a row in the README table "Where lvsd deliberately differs from ldirectord"; `readme`
// is text of that row's first cell (readme.test.ts checks it is there).

export interface Difference {
  readme: string;
  /** what the comparison does instead. */
  asserts: string;
}

export const DIFFERENCES = {
  'start-churn': {
    readme: 'start adds every real at full weight, then quiesces or removes the failing ones',
    asserts:
      'start step: equal tables; every table change lvsd logs ends where ldirectord\'s log ends for it; lvsd touches each real/fallback once; ' +
      'ldirectord\'s extra churn (and the "Resetting soft failure count" its forced downs cause) is not expected of lvsd',
  },
  'reload-minimal': {
    readme: 'a reload re-runs the start sequence',
    asserts:
      'reload step: as start-churn; lvsd logs "Changed virtual server" only for a virtual whose scheduler/persistence/flags changed',
  },
  'reload-drain': {
    readme: 'a reload purges a removed real at once',
    asserts: 'reload step: a real the reload removed is first set to weight 0 ("Quiescent real server"), then purged as ldirectord does',
  },
  'stop-purge': {
    readme: 'on stop: `-d` for every real, then `-D`',
    asserts: 'stop step: ldirectord\'s "Purged real server (stop)" lines and mails are not expected of lvsd; the rest is equal',
  },
  'mail-coalescing': {
    readme: 'one mail per IPVS change',
    asserts: 'every step: mails are compared as (recipients, Log-Message) events, however many mails carry them',
  },
  'mail-rcpt-list': {
    readme: 'with `smtp=`, a comma-separated `emailalert` becomes one RCPT',
    asserts: 'lvsd is expected to mail each mailed change to every address of the list; ldirectord\'s one RCPT is refused and it mails nothing',
  },
  'readd-mail-text': {
    readme: 'the mail for a `Readd Quiescent` change says `Quiescent`',
    asserts: 'every step: ldirectord\'s "Quiescent real server" mail for a re-add is expected as "Readd Quiescent real server" from lvsd',
  },
  'dr-quiescent-restore': {
    readme: 'quiescent + DR/TUN real on another port than the virtual: never restored',
    asserts: 'the real is expected back at its weight ("Restored real server") where ldirectord leaves it at 0',
  },
  'fwmark-global-fallback': {
    readme: 'a global fallback on a fwmark virtual yields `ipvsadm ... -r :0`',
    asserts: 'the fallback is expected in the table as ADDRESS:0, logged with that address, where ldirectord\'s command fails',
  },
  'shared-real-failcount': {
    readme: 'a real shared by K virtual services counts K failures per failed check',
    asserts: 'soft failures are expected once per check and virtual (1/N, 2/N, ...); tables are equal once both have acted',
  },
  'failed-reload': {
    readme: 'a reload with a config error leaves ldirectord ignoring every later state change',
    asserts: 'after a broken reload, lvsd is expected to go on acting on checks with the running configuration',
  },
  'failed-reload-mail': {
    readme: 'a reload whose config does not parse is only logged',
    asserts: 'lvsd is expected to mail it too (status reloading), where ldirectord sends nothing',
  },
  'https-cert-verify': {
    readme: 'https checks fail on a real-server certificate no system CA signed',
    asserts: 'a real with a self-signed certificate is expected up in lvsd (no verification unless sslverify=yes)',
  },
  'cli-config-error': {
    readme: '`stop`, `status` fail with exit 2 when the config has an error',
    asserts: 'status/stop with a broken config are expected to work from the pid file (exit 3/0) where ldirectord exits 2',
  },
  'cli-stop-waits': {
    readme: '`stop` returns at once; `restart` may wait forever',
    asserts: 'lvsd stop is expected to return after the daemon has gone; ldirectord\'s is awaited by the harness',
  },
  'cli-stopped-message': {
    readme: '`reload` of a stopped daemon writes "ldirectord is stopped for CFG" to the log only',
    asserts: 'lvsd is expected to print "lvsd is stopped for CFG" on stdout (same exit code 1)',
  },
  'config-error-text': {
    readme: 'config errors read `Error [pid] reading file CFG at line N: message`',
    asserts: 'same exit code and line; lvsd words the message its own way (`CFG:N: message`)',
  },
} satisfies Record<string, Difference>;

export type DifferenceId = keyof typeof DIFFERENCES;
