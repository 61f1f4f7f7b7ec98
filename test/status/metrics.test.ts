// /metrics and /status.json from the running daemon's HTTP listener while reals go down and up,
// IPVS fails and recovers, and reloads succeed, fail and move the listener.
import t from 'tap';
import { writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { weightOf, waitFor, ROOT } from '../helpers/lvsd.js';
import { startLvsd, configText, parseMetrics, metric, queryControl, VIP } from './helpers.js';
import type { StatusSnapshot } from '../../src/status/types.js';

const V = `tcp:${VIP}`;

/** Every metric the README's table lists (histograms by their _bucket series), and the standard ones. */
const NAMES = [
  ...[...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/^\| `(lvsd_[a-z_]+)` \| (\w+) \|/gm)].map(([, n, type]) => (type === 'histogram' ? `${n}_bucket` : n!)),
  'process_cpu_seconds_total',
  'nodejs_eventloop_lag_seconds',
];

async function get(url: string): Promise<{ status: number; type: string; text: string }> {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
}

t.test('metrics and status.json follow health, IPVS failures and reloads', async (t) => {
  const d = await startLvsd(t, ['127.0.0.61', '127.0.0.62'], { extra: ['quiescent=yes'], fallbackHost: '127.0.0.60', args: ['--status-http', '0'] });
  const [a, b] = d.reals as [typeof d.reals[0], typeof d.reals[0]];
  const ra = a.addr;
  const rb = b.addr;
  const s0 = await d.status();
  t.match(s0.http?.url, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'a bare port binds 127.0.0.1');
  const base = s0.http!.url;
  t.match(d.lvsd.out, `Status page, status.json and /metrics on ${base}`, 'where it listens is logged');
  const scrape = async () => parseMetrics((await get(`${base}metrics`)).text);

  await waitFor('both up in metrics', async () => {
    const m = await scrape();
    // Both in the kernel and the first round done: the two reals' checks may end in different batches.
    return metric(m, 'lvsd_real_up', { real: ra }) === 1 && metric(m, 'lvsd_real_up', { real: rb }) === 1
      && metric(m, 'lvsd_real_weight', { real: ra }) !== undefined && metric(m, 'lvsd_real_weight', { real: rb }) === 3
      && metric(m, 'lvsd_daemon_state', { state: 'running' }) === 1;
  });
  const r = await get(`${base}metrics`);
  t.equal(r.status, 200);
  t.match(r.type, /^text\/plain; version=0\.0\.4/, 'Prometheus text format');
  let m = parseMetrics(r.text);
  t.equal(NAMES.length, 34, 'the README lists 34 lvsd metrics');
  // lvsd_sync_daemon has a series per running sync daemon; this director runs none. The slow-start
  // gauges have a series per ramp in progress (test/pool/slowstart.test.ts); none runs here.
  // The certificate gauges have a series per real checked over TLS (test/status/cert-expiry.test.ts); http here.
  // The agent gauges have one per real with an agent (test/e2e/agent.test.ts); these reals have none.
  // The override gauge has one per override (test/ops/override.test.ts); none here.
  const sometimes = ['lvsd_sync_daemon', 'lvsd_real_slowstart_weight', 'lvsd_real_slowstart_seconds_left', 'lvsd_real_cert_expiry_timestamp_seconds', 'lvsd_real_cert_expiry_seconds', 'lvsd_real_agent_weight', 'lvsd_real_agent_failing', 'lvsd_real_override'];
  for (const n of NAMES.filter((x) => !sometimes.includes(x))) t.ok([...m.keys()].some((k) => k === n || k.startsWith(`${n}{`)), `${n} exported`);
  t.equal(metric(m, 'lvsd_daemon_state', { state: 'running' }), 1);
  t.equal(metric(m, 'lvsd_real_health', { real: ra, state: 'up' }), 1);
  t.equal(metric(m, 'lvsd_real_weight', { virtual: V, real: ra }), await weightOf(d.state, VIP, ra), 'weight as in the kernel');
  t.equal(metric(m, 'lvsd_fallback_active', { virtual: V }), 0);
  t.ok(metric(m, 'lvsd_check_duration_seconds_count', { virtual: V })! >= 2, 'check latency histogram per service');
  t.ok(metric(m, 'lvsd_ipvs_apply_duration_seconds_count')! >= 1, 'IPVS apply latency');
  t.equal(metric(m, 'lvsd_ipvs_changes_total', { kind: 'added-real' }), 2);
  t.ok(metric(m, 'lvsd_transitions_total', { real: rb, to: 'up' })! >= 1, 'unknown → up at start');
  const downsBefore = metric(m, 'lvsd_transitions_total', { real: rb, to: 'down' }) ?? 0;
  const quiescedBefore = metric(m, 'lvsd_ipvs_changes_total', { kind: 'quiesced-real' }) ?? 0;
  t.equal(metric(m, 'lvsd_alert_queue_length'), 0, 'alert queue');
  t.equal(metric(m, 'lvsd_config_reloads_total', { result: 'success' }), 0);

  // a real goes down: quiesced at weight 0, health and counters say so
  await b.stop();
  await waitFor('b down in metrics', async () => metric(await scrape(), 'lvsd_real_up', { real: rb }) === 0);
  m = await scrape();
  t.equal(metric(m, 'lvsd_real_health', { real: rb, state: 'down' }), 1);
  t.ok(metric(m, 'lvsd_transitions_total', { real: rb, to: 'down' })! > downsBefore, 'a transition to down counted');
  t.ok(metric(m, 'lvsd_checks_total', { virtual: V, result: 'failed' })! >= 1);
  await waitFor('b quiesced', async () => metric(await scrape(), 'lvsd_real_weight', { real: rb }) === 0 && (await weightOf(d.state, VIP, rb)) === 0);
  t.ok(metric(await scrape(), 'lvsd_ipvs_changes_total', { kind: 'quiesced-real' })! > quiescedBefore, 'the quiesce counted');
  const js = JSON.parse((await get(`${base}status.json`)).text) as StatusSnapshot;
  t.match(js.virtuals[0]!.reals.find((x) => x.port === b.port), { health: 'down', kernelWeight: 0 }, 'status.json tells the same');
  t.same(parseMetrics(await queryControl(d.sock, 'metrics')).has('lvsd_real_up{virtual="tcp:127.0.0.100:80",real="' + rb + '"}'), true, 'metrics over the control socket too');

  // IPVS fails (the stand-in plays a kernel without ip_vs), then recovers
  writeFileSync(`${d.state}.fault`, 'fail\n');
  await b.start();
  await waitFor('IPVS failing', async () => {
    const m = await scrape();
    return metric(m, 'lvsd_ipvs_failing') === 1 && metric(m, 'lvsd_ipvs_errors_total')! >= 1;
  });
  const failing = (await d.status()).ipvs;
  t.equal(failing.failing, true);
  t.ok(failing.lastError?.message, 'the IPVS error is shown');
  rmSync(`${d.state}.fault`);
  await waitFor('IPVS recovered, b back at its weight', async () => {
    const m = await scrape();
    return metric(m, 'lvsd_ipvs_failing') === 0 && metric(m, 'lvsd_real_weight', { real: rb }) === 3;
  });
  t.equal(await weightOf(d.state, VIP, rb), 3, 'the kernel agrees');

  // a reload that does not parse: counted, shown, the old config and listener stay
  writeFileSync(d.cfg, 'checkinterval=1\nchekinterval=2\n');
  d.lvsd.child.kill('SIGHUP');
  await waitFor('failed reload counted', async () => metric(await scrape(), 'lvsd_config_reloads_total', { result: 'failure' }) === 1);
  m = await scrape();
  t.equal(metric(m, 'lvsd_config_last_reload_successful'), 0);
  const bad = await d.status();
  t.match(bad.lastReload, { ok: false, error: /chekinterval/ });

  // a good reload that drops b and moves the listener to another address
  // checkinterval=60 keeps b draining a minute (a drain lasts one check interval, at least 5 s):
  // a loaded machine may take longer than 5 s from the reload to the first status below
  writeFileSync(d.cfg, configText([a], { extra: ['quiescent=yes', 'statushttp=127.0.0.2:0'], fallback: d.fallback, virtualExtra: ['checkinterval=60'] }));
  // the CLI option wins over the file: restart-free check that it still does after a reload
  d.lvsd.child.kill('SIGHUP');
  await waitFor('good reload counted', async () => metric(await scrape(), 'lvsd_config_reloads_total', { result: 'success' }) === 1);
  const after = await d.status();
  t.equal(after.http?.url, base, '--status-http wins over statushttp=: the listener stays');
  t.equal(after.lastReload?.ok, true);
  t.equal(after.virtuals[0]!.reals.length, 1, 'b left the config');
  await waitFor('b shown draining', async () => (await d.status()).virtuals[0]!.others.some((o) => o.port === b.port));
  m = await scrape();
  t.equal(metric(m, 'lvsd_real_up', { real: rb }), undefined, 'no gauge for a real that left the config');
  t.equal(metric(m, 'lvsd_config_last_reload_successful'), 1);
});

t.test('statushttp= in the file: off by default, on after a reload, moved by another reload', async (t) => {
  const d = await startLvsd(t, ['127.0.0.63']);
  t.equal((await d.status()).http, null, 'off by default');
  const [a] = d.reals;
  writeFileSync(d.cfg, configText([a!], { extra: ['statushttp=127.0.0.1:0'] }));
  d.lvsd.child.kill('SIGHUP');
  await waitFor('listener on', async () => (await d.status()).http !== null);
  const first = (await d.status()).http!.url;
  t.equal((await get(`${first}status.json`)).status, 200);
  writeFileSync(d.cfg, configText([a!], { extra: ['statushttp=127.0.0.2:0'] }));
  d.lvsd.child.kill('SIGHUP');
  await waitFor('listener moved', async () => (await d.status()).http?.url.startsWith('http://127.0.0.2:') === true);
  await t.rejects(fetch(`${first}status.json`), 'the old address is closed');
  writeFileSync(d.cfg, configText([a!]));
  d.lvsd.child.kill('SIGHUP');
  await waitFor('listener off', async () => (await d.status()).http === null);
});
