// The status page: one self-contained HTML document (inline CSS and JS, no external assets)
// that fetches status.json every 2 s and draws it. Everything from the daemon is inserted as
// text nodes, never as HTML: check messages can carry what a real server sent.
import { createHash } from 'node:crypto';

const CSS = `
:root{--up:#1b7f3b;--up-bg:#e7f6ec;--down:#c62828;--down-bg:#fde2e2;--unk:#8a6d00;--unk-bg:#fff6d6;--ink:#1d232a;--mute:#5f6b76;--line:#d9dee3}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:#f4f6f8}
header{display:flex;flex-wrap:wrap;gap:.6em 1.2em;align-items:baseline;padding:14px 20px;background:#1d232a;color:#fff}
header h1{margin:0;font-size:20px}
header .meta{color:#b8c2cc;font-size:13px}
main{padding:16px 20px;max-width:1200px}
.summary{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:14px}
.tile{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:110px}
.tile b{display:block;font-size:24px}
.tile.bad b{color:var(--down)}.tile.good b{color:var(--up)}
.banner{border-radius:6px;padding:8px 12px;margin-bottom:10px;font-weight:600}
.banner.error{background:var(--down);color:#fff}.banner.warn{background:var(--unk-bg);color:#5a4700;border:1px solid #e5cf73}
section.vs{background:#fff;border:1px solid var(--line);border-radius:6px;margin-bottom:14px;overflow:hidden}
section.vs h2{margin:0;padding:9px 12px;font-size:16px;display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:baseline;border-bottom:1px solid var(--line)}
section.vs h2 .meta{font-weight:400;color:var(--mute);font-size:13px}
section.vs.degraded h2{background:var(--unk-bg)}section.vs.dead h2{background:var(--down-bg)}
table{border-collapse:collapse;width:100%;table-layout:fixed}
col.c-health{width:96px}col.c-real{width:230px}col.c-weight{width:120px}col.c-for{width:80px}col.c-lat{width:80px}col.c-checked{width:90px}
th,td{text-align:left;padding:6px 12px;border-bottom:1px solid #edf0f2;vertical-align:top}
th{font-size:12px;color:var(--mute);font-weight:600;background:#fafbfc}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
tr.real.up{background:var(--up-bg)}tr.real.down{background:var(--down-bg)}tr.real.unknown{background:var(--unk-bg)}
tr.real.up td:first-child{box-shadow:inset 4px 0 var(--up)}tr.real.down td:first-child{box-shadow:inset 4px 0 var(--down)}tr.real.unknown td:first-child{box-shadow:inset 4px 0 var(--unk)}
.badge{display:inline-block;min-width:64px;text-align:center;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:700;color:#fff;text-transform:uppercase}
.badge.up{background:var(--up)}.badge.down{background:var(--down)}.badge.unknown{background:var(--unk)}.badge.other{background:#5f6b76}
.badge.override{background:#6a3fb5;margin-top:3px}tr.real.overridden td:first-child{box-shadow:inset 4px 0 #6a3fb5}
.badge.state{background:#2e7dd1}.badge.role{background:#5f6b76;min-width:0}.badge.role.master{background:#1b7f3b}.badge.role.fault{background:#c62828}
.mute,.why{color:var(--mute)}tr.real.down .why{color:#8e1b1b;font-weight:600}
td.why{overflow-wrap:anywhere}
.downlist{background:var(--down-bg);border:1px solid #f1b5b5;color:#8e1b1b;border-radius:6px;padding:7px 12px;margin-bottom:14px;font-weight:600}
tr.extra td{color:var(--mute)}
.cert{margin-left:.6em;font-size:12px;color:var(--mute);white-space:nowrap}.cert.expiring{color:var(--down);font-weight:700}
ol.transitions{list-style:none;margin:0;padding:0;background:#fff;border:1px solid var(--line);border-radius:6px}
ol.transitions li{padding:5px 12px;border-bottom:1px solid #edf0f2;font-variant-numeric:tabular-nums}
ol.transitions .to-down{color:var(--down);font-weight:700}ol.transitions .to-up{color:var(--up);font-weight:700}
h3{font-size:15px;margin:18px 0 8px}
.stale header{background:#7a1f1f}
`;

const JS = `
"use strict";
const REFRESH_MS = 2000;
let fetchedAt = 0;
function el(tag, cls, ...kids) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}
function dur(s) {
  s = Math.max(0, Math.floor(s));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
  if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
  return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
}
function ago(iso) { return iso ? dur((Date.now() - Date.parse(iso)) / 1000) + " ago" : "never"; }
function hp(a, p) { return (a.indexOf(":") >= 0 ? "[" + a + "]" : a) + ":" + p; }
function clock(iso) { return new Date(iso).toLocaleTimeString([], { hour12: false }); }
function certSpan(c) {
  if (!c) return null;
  const e = el("span", "cert" + (c.expiring ? " expiring" : ""), c.daysLeft < 0 ? "TLS expired" : "TLS " + c.daysLeft + " d");
  e.title = "TLS certificate " + c.subject + ", valid until " + c.notAfter;
  return e;
}
function realRow(v, r) {
  const extra = (Date.now() - fetchedAt) / 1000;
  const why = r.health === "down" ? (r.lastMessage || "") :
    r.lastFailure ? "last failure " + ago(r.lastFailure.at) + ": " + r.lastFailure.message : (r.lastMessage || "");
  const o = r.override;
  const tr = el("tr", "real " + r.health + (o ? " overridden" : ""),
    el("td", null, el("span", "badge " + r.health, r.health),
      o ? el("span", "badge override", o.action === "weight" ? "weight " + o.weight : o.action === "drain" ? "drained" : "disabled") : null),
    el("td", "addr", hp(r.address, r.port), " ", el("span", "mute", r.forward), certSpan(r.cert)),
    el("td", "num weight", r.kernelWeight === null ? "—" : r.kernelWeight, el("span", "mute", " / " + r.weight)),
    el("td", "num", dur(r.inStateSeconds + extra)),
    el("td", "num", r.lastLatencyMs === null ? "—" : r.lastLatencyMs + " ms"),
    el("td", "num", ago(r.lastCheckAt)),
    el("td", "why", why + (r.health === "up" && r.failures ? " (" + r.failures + "/" + r.failurecount + " failures)" : "") +
      (r.health === "down" && r.successes ? " (rising " + r.successes + "/" + r.rise + ")" : "") +
      (r.slowstart ? " (slow start " + r.slowstart.weight + "/" + r.slowstart.target + ", " + dur(r.slowstart.secondsLeft) + " left)" : "")));
  tr.cells[2].title = "weight in the kernel / configured weight";
  tr.dataset.real = hp(r.address, r.port);
  tr.dataset.virtual = v.label;
  if (o) {
    tr.dataset.override = o.action;
    tr.cells[0].title = "lvsd " + o.action + " since " + clock(o.since) + " (lvsd enable clears it)";
  }
  return tr;
}
function virtualSection(v) {
  const total = v.reals.length;
  const cls = "vs" + (total && v.counts.up === 0 ? " dead" : v.counts.down ? " degraded" : "");
  const title = (v.protocol === "fwm" ? "FWM " : v.protocol.toUpperCase() + " ") + v.label;
  const meta = v.scheduler + " · " + v.service + " · check " + v.checktype + " every " + v.checkinterval + "s" +
    (v.quiescent ? " · quiescent" : "") + (v.inKernel ? "" : " · NOT IN KERNEL");
  const body = el("tbody");
  for (const r of v.reals) body.append(realRow(v, r));
  if (v.fallback) {
    const f = v.fallback;
    body.append(el("tr", "extra fallback", el("td", null, el("span", "badge other", f.active ? "fallback" : "standby")),
      el("td", "addr", hp(f.address, f.port)), el("td", "num", f.kernelWeight === null ? "—" : f.kernelWeight),
      el("td"), el("td"), el("td"), el("td", "why", f.active ? "taking the traffic: no real server is up" : "used when no real server is up")));
  }
  for (const o of v.others) {
    body.append(el("tr", "extra other", el("td", null, el("span", "badge other", "draining")), el("td", "addr", hp(o.address, o.port)),
      el("td", "num", o.weight), el("td"), el("td"), el("td"), el("td", "why", "in the kernel, no longer in the configuration")));
  }
  const head = el("tr", null, ...["health", "real server", "weight", "in state", "latency", "checked", "reason / last message"].map((h) => el("th", null, h)));
  const cols = el("colgroup", null, ...["health", "real", "weight", "for", "lat", "checked", "why"].map((c) => el("col", "c-" + c)));
  const s = el("section", cls,
    el("h2", null, title, el("span", "meta", meta), el("span", "meta", v.counts.up + "/" + total + " up")),
    el("table", null, cols, el("thead", null, head), body));
  s.dataset.virtual = v.label;
  return s;
}
function render(s) {
  document.body.classList.remove("stale");
  document.title = "lvsd · " + s.virtuals.reduce((n, v) => n + v.counts.down, 0) + " down";
  const h = document.querySelector("header");
  h.replaceChildren(el("h1", null, "lvsd"), el("span", "badge state", s.lvsd.state), el("span", "badge role " + s.role, "role " + s.role),
    el("span", "meta", s.lvsd.config), el("span", "meta", "v" + s.lvsd.version + " · pid " + s.lvsd.pid + " · up " + dur((Date.now() - Date.parse(s.lvsd.startedAt)) / 1000)),
    el("span", "meta", "updated " + clock(s.lvsd.generatedAt)));
  const m = document.querySelector("main");
  const reals = s.virtuals.flatMap((v) => v.reals.map((r) => [v, r]));
  const down = reals.filter(([, r]) => r.health === "down");
  const kids = [];
  if (s.ipvs.failing) kids.push(el("div", "banner error", "IPVS update failing: " + (s.ipvs.lastError ? s.ipvs.lastError.message : "")));
  if (s.sync && s.sync.lastError) kids.push(el("div", "banner error", "IPVS sync daemon: " + s.sync.lastError.message));
  if (s.bgp && s.bgp.lastError) kids.push(el("div", "banner error", "BIRD: " + s.bgp.lastError.message));
  if (s.lastReload && !s.lastReload.ok) kids.push(el("div", "banner warn", "Last reload failed at " + clock(s.lastReload.at) + ": " + (s.lastReload.error || "") + " — the previous configuration stays in force"));
  kids.push(el("div", "summary",
    el("div", "tile", el("b", null, s.virtuals.length), "virtual services"),
    el("div", "tile good", el("b", null, reals.length - down.length - reals.filter(([, r]) => r.health === "unknown").length), "real servers up"),
    el("div", "tile" + (down.length ? " bad" : ""), el("b", null, down.length), "real servers down"),
    el("div", "tile", el("b", null, s.role), "role"),
    el("div", "tile sync", el("b", null, s.sync && s.sync.daemons ? (s.sync.daemons.map((d) => d.state).join(" + ") || "none") : "—"),
      "sync daemon" + (s.sync && s.sync.daemons && s.sync.daemons.length ? " on " + s.sync.daemons[0].ifname + " (syncid " + s.sync.daemons[0].syncid + ")" : "") + (s.sync && !s.sync.managed ? " (not lvsd's)" : "")),
    ...(s.bgp && s.bgp.enabled ? [el("div", "tile bgp" + (s.bgp.lastError ? " bad" : ""), el("b", null, s.bgp.routes.filter((r) => r.announced).length + "/" + s.bgp.routes.length),
      "addresses announced (BGP)", el("div", "why", s.bgp.routes.filter((r) => r.announced).map((r) => r.address).join(", ")))] : [])));
  if (down.length) kids.push(el("div", "downlist", "Down: " + down.map(([v, r]) => hp(r.address, r.port) + " (" + v.label + ")").join(", ")));
  for (const v of s.virtuals) kids.push(virtualSection(v));
  kids.push(el("h3", null, "Recent transitions"));
  const ol = el("ol", "transitions");
  if (!s.transitions.length) ol.append(el("li", "why", "none since the daemon started"));
  for (const t of s.transitions) {
    ol.append(el("li", null, clock(t.at) + "  " + t.real + " (" + t.virtual + ")  " + t.from + " → ", el("span", "to-" + t.to, t.to), t.message ? "  " + t.message : ""));
  }
  kids.push(ol);
  m.replaceChildren(...kids);
}
async function refresh() {
  try {
    const r = await fetch("status.json", { cache: "no-store" });
    if (!r.ok) throw new Error("HTTP " + r.status);
    const s = await r.json();
    fetchedAt = Date.now();
    render(s);
  } catch (e) {
    document.body.classList.add("stale");
    const h = document.querySelector("header");
    if (h) h.replaceChildren(el("h1", null, "lvsd"), el("span", "badge down", "no answer"), el("span", "meta", String(e && e.message || e)));
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}
refresh();
`;

const sha = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

/** Only this page's own style and script may run; it may talk to its own origin only. */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src ${sha(CSS)}`,
  `script-src ${sha(JS)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>lvsd status</title><link rel="icon" href="data:,">
<style>${CSS}</style></head>
<body><header><h1>lvsd</h1><span class="meta">loading…</span></header><main></main>
<script>${JS}</script></body></html>
`;
