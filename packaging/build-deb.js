#!/usr/bin/env node
// npm run package: a Debian package of lvsd, built with Debian's own dpkg-deb (no archive
// writer of ours). Everything goes under build/ (gitignored):
//   build/root/          the staged file tree plus DEBIAN/ (control, conffiles, md5sums, scripts)
//   build/lvsd_VERSION_ARCH.deb
//
//   node packaging/build-deb.js [--out DIR] [--lintian]     (--lintian: fail on an error or an unexpected warning)
//
// The production node_modules come from `npm ci --omit=dev` in a staging folder (the lock file
// decides; native parts built or taken from their prebuilds there), so the package never carries
// a developer's tree. The package's Depends come from dpkg-shlibdeps (native parts) and from the
// Node.js that built the native parts: unix-dgram is compiled against its ABI, so the package
// wants that major version.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { manPages, pageDate } from './man.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outDir = path.resolve(args.includes('--out') ? args[args.indexOf('--out') + 1] : path.join(root, 'build'));
const runLintian = args.includes('--lintian');

const run = (cmd, argv, opts = {}) => execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts });
const has = (cmd) => { try { run('sh', ['-c', `command -v ${cmd}`]); return true; } catch { return false; } };
for (const [cmd, pkg] of [['dpkg-deb', 'dpkg'], ['dpkg-shlibdeps', 'dpkg-dev'], ['strip', 'binutils']]) {
  if (!has(cmd)) { console.error(`package: ${cmd} is missing (Debian package ${pkg})`); process.exit(1); }
}

const pkgJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const version = pkgJson.version;
const arch = run('dpkg', ['--print-architecture']).trim();
const nodeMajor = Number(process.versions.node.split('.')[0]);
const minNode = /^>=\s*([\d.]+)$/.exec(pkgJson.engines.node)?.[1];
if (!minNode) throw new Error(`package.json engines.node must read ">=X.Y": ${pkgJson.engines.node}`);
if (!process.env.SOURCE_DATE_EPOCH) {
  try { process.env.SOURCE_DATE_EPOCH = run('git', ['-C', root, 'log', '-1', '--format=%ct']).trim(); } catch { /* not a git tree */ }
}
const maintainer = process.env.DEBEMAIL
  ? `${process.env.DEBFULLNAME ?? 'lvsd maintainers'} <${process.env.DEBEMAIL}>`
  : (() => { try { return run('git', ['-C', root, 'log', '-1', '--format=%an <%ae>']).trim(); } catch { return 'lvsd maintainers <root@lvsd.invalid>'; } })();

const pkgRoot = path.join(outDir, 'root');
const lib = path.join(pkgRoot, 'usr/lib/lvsd');
fs.rmSync(pkgRoot, { recursive: true, force: true });
fs.mkdirSync(lib, { recursive: true });
const put = (rel, content, mode = 0o644) => {
  const f = path.join(pkgRoot, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, content);
  fs.chmodSync(f, mode);
};
const copy = (from, rel, mode) => put(rel, fs.readFileSync(path.join(root, from)), mode ?? (fs.statSync(path.join(root, from)).mode & 0o111 ? 0o755 : 0o644));
// zlib writes no name and no time stamp (as gzip -n): the same input gives the same bytes.
const gzip = (text) => gzipSync(text, { level: 9 });

// -- the daemon: a clean compile (no stale files of an older dist/), bin/, package.json ------
console.error('package: compiling');
run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json'),
  '--outDir', path.join(lib, 'dist'), '--sourceMap', 'false'], { stdio: 'inherit' });
// Debian's interpreter path, not env: the program runs under the nodejs it depends on.
put('usr/lib/lvsd/bin/lvsd.js', fs.readFileSync(path.join(root, 'bin/lvsd.js'), 'utf8').replace(/^#!.*\n/, '#!/usr/bin/node\n'), 0o755);
put('usr/lib/lvsd/package.json', `${JSON.stringify({ name: pkgJson.name, version, type: pkgJson.type, license: pkgJson.license, engines: pkgJson.engines }, null, 2)}\n`);

// -- production dependencies -----------------------------------------------------------------
console.error('package: npm ci --omit=dev');
const mods = path.join(outDir, 'modules');
fs.rmSync(mods, { recursive: true, force: true });
fs.mkdirSync(mods, { recursive: true });
for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(root, f), path.join(mods, f));
run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: mods, stdio: ['ignore', 'inherit', 'inherit'] });
fs.renameSync(path.join(mods, 'node_modules'), path.join(lib, 'node_modules'));
fs.rmSync(mods, { recursive: true });
trimModules(path.join(lib, 'node_modules'));

// -- the rest of the tree ---------------------------------------------------------------------
// A link, not a wrapper: the daemon then runs as `/usr/bin/node /usr/sbin/lvsd CFG start`, the
// command line Pacemaker's ldirectord agent looks for with pgrep when status fails.
fs.mkdirSync(path.join(pkgRoot, 'usr/sbin'), { recursive: true });
fs.symlinkSync('../lib/lvsd/bin/lvsd.js', path.join(pkgRoot, 'usr/sbin/lvsd'));
const unitDir = systemUnitDir();
copy('systemd/lvsd.service', path.join(unitDir, 'lvsd.service'), 0o644);
copy('etc/logrotate.d/lvsd', 'etc/logrotate.d/lvsd', 0o644);
for (const f of ['ldirectord.cf', 'lvsd.yaml']) copy(`etc/${f}`, `usr/share/doc/lvsd/examples/${f}`, 0o644);
// Parts other branches add: picked up once they exist.
if (fs.existsSync(path.join(root, 'ocf/lvsd'))) copy('ocf/lvsd', 'usr/lib/ocf/resource.d/lvsd/lvsd', 0o755);
if (fs.existsSync(path.join(root, 'etc/keepalived'))) {
  for (const f of fs.readdirSync(path.join(root, 'etc/keepalived'), { recursive: true })) {
    const from = path.join('etc/keepalived', f);
    if (fs.statSync(path.join(root, from)).isFile()) copy(from, path.join('usr/share/doc/lvsd/examples/keepalived', f), 0o644);
  }
}
const pages = await manPages({ version, date: pageDate() });
put('usr/share/man/man8/lvsd.8.gz', gzip(pages['lvsd.8']));
put('usr/share/man/man5/lvsd.cf.5.gz', gzip(pages['lvsd.cf.5']));
put('usr/share/doc/lvsd/README.md.gz', gzip(fs.readFileSync(path.join(root, 'README.md'))));
put('usr/share/doc/lvsd/changelog.gz', gzip(changelog()));
put('usr/share/doc/lvsd/copyright', copyright(path.join(lib, 'node_modules')));

// -- DEBIAN/ ------------------------------------------------------------------------------------
for (const s of ['postinst', 'prerm', 'postrm']) copy(`packaging/debian/${s}`, `DEBIAN/${s}`, 0o755);
put('DEBIAN/conffiles', '/etc/logrotate.d/lvsd\n');
put('DEBIAN/md5sums', md5sums());
const control = fs.readFileSync(path.join(root, 'packaging/debian/control.in'), 'utf8')
  .replace('@VERSION@', version)
  .replace('@ARCH@', arch)
  .replace('@MAINTAINER@', maintainer)
  .replace('@SIZE@', run('du', ['-sk', '--exclude=DEBIAN', pkgRoot]).split('\t')[0])
  .replace('@DEPENDS@', [`nodejs (>= ${minNode})`, `nodejs (<< ${nodeMajor + 1})`, ...shlibDepends()].join(', '));
put('DEBIAN/control', control);
for (const d of walk(pkgRoot, true)) fs.chmodSync(d, 0o755);

const deb = path.join(outDir, `lvsd_${version}_${arch}.deb`);
run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', pkgRoot, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
console.log(deb);
// Warnings lintian gives and README's "Install on a director" justifies; any other warning, and
// any error, fails the build.
const ACCEPTED_WARNINGS = ['embedded-javascript-library'];
if (runLintian) {
  if (!has('lintian')) { console.error('package: lintian is missing (Debian package lintian)'); process.exit(1); }
  const r = spawnSync('lintian', ['--info', '--display-info', '--pedantic', deb], { encoding: 'utf8' });
  const tags = r.stdout.split('\n').filter((l) => /^[EWIPXO]: /.test(l));
  for (const l of tags) console.error(`package: lintian: ${l}`);
  const bad = tags.filter((l) => l.startsWith('E: ') || (l.startsWith('W: ') && !ACCEPTED_WARNINGS.includes(l.split(' ')[2])));
  if (r.status === null || bad.length) {
    console.error(`package: lintian failed the package (exit ${r.status}):\n${bad.join('\n')}${r.stderr}`);
    process.exit(1);
  }
}

// ------------------------------------------------------------------------------------------------

/** Every path under dir (files, or directories with dirsOnly), depth first. */
function walk(dir, dirsOnly = false) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(dirsOnly ? [p] : []), ...walk(p, dirsOnly));
    else if (!dirsOnly) out.push(p);
  }
  return out;
}

/**
 * What a running daemon needs of node_modules: no type declarations, source maps, native
 * sources or build leftovers, and of netlink's prebuilt binaries only this architecture's.
 */
function trimModules(dir) {
  const nodeArch = { amd64: 'x64', arm64: 'arm64', i386: 'ia32', armhf: 'arm' }[arch];
  const pre = path.join(dir, 'netlink/prebuilds');
  if (fs.existsSync(pre)) for (const d of fs.readdirSync(pre)) if (d !== `linux-${nodeArch}`) fs.rmSync(path.join(pre, d), { recursive: true });
  // Build-time only: C++ sources and headers (node-addon-api, nan), netlink's type packages.
  for (const d of ['netlink/src', 'netlink/binding.gyp', 'netlink/node_modules/@types', 'unix-dgram/src', 'unix-dgram/test', 'unix-dgram/binding.gyp', 'nan', 'node-addon-api']) {
    fs.rmSync(path.join(dir, d), { recursive: true, force: true });
  }
  const build = path.join(dir, 'unix-dgram/build');
  if (fs.existsSync(build)) {
    for (const f of walk(build)) if (!f.endsWith('/Release/unix_dgram.node')) fs.rmSync(f);
    for (const d of walk(build, true).reverse()) if (fs.readdirSync(d).length === 0) fs.rmdirSync(d);
  }
  for (const f of walk(dir)) {
    // types, maps and C++ are for building; READMEs and change logs are the modules' own docs
    if (/\.(d\.[cm]?ts|map|ts|gyp|gypi|cc|h)$/.test(f) || /\/(\.npmignore|\.gitattributes|\.eslintrc[^/]*|\.travis\.yml|\.editorconfig)$/.test(f)
      || /\/(README|CHANGELOG|HISTORY|CHANGES|CONTRIBUTING|GOVERNANCE|SECURITY|DISTRIBUTION)[^/]*$/i.test(f)
      || /\/node_modules\/[^/]+\/docs\//.test(f) || /\/examples?[^/]*\.html$/.test(f)) fs.rmSync(f);
    else if (f.endsWith('.node')) run('strip', ['--strip-unneeded', '--remove-section=.comment', '--remove-section=.note', f]);
  }
  for (const d of walk(dir, true).reverse()) if (fs.readdirSync(d).length === 0) fs.rmdirSync(d);
  for (const f of walk(dir)) fs.chmodSync(f, f.endsWith('.node') ? 0o644 : (fs.statSync(f).mode & 0o111 && /^#!/.test(fs.readFileSync(f, 'latin1').slice(0, 2)) ? 0o755 : 0o644));
}

/** Where systemd's own package puts system units on this release (/lib before the /usr merge). */
function systemUnitDir() {
  let pc = '';
  try { pc = fs.readFileSync('/usr/share/pkgconfig/systemd.pc', 'utf8'); } catch { return 'usr/lib/systemd/system'; }
  const vars = new Map([...pc.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1], m[2].trim()]));
  const expand = (v, depth = 0) => (depth > 10 ? v : v.replace(/\$\{(\w+)\}/g, (_, k) => expand(vars.get(k) ?? '', depth + 1)));
  const dir = vars.has('systemdsystemunitdir') ? expand('${systemdsystemunitdir}') : '';
  return /^\/[\w/.-]+$/.test(dir) ? dir.slice(1) : 'usr/lib/systemd/system';
}

/** Library dependencies of the native parts, as dpkg-shlibdeps finds them. */
function shlibDepends() {
  const objs = walk(lib).filter((f) => f.endsWith('.node'));
  if (objs.length === 0) return [];
  const tmp = fs.mkdtempSync(path.join(outDir, 'shlibs-'));
  try {
    fs.mkdirSync(path.join(tmp, 'debian'));
    fs.writeFileSync(path.join(tmp, 'debian/control'), 'Source: lvsd\n\nPackage: lvsd\nArchitecture: any\n');
    const out = run('dpkg-shlibdeps', ['-O', ...objs], { cwd: tmp });
    return (/shlibs:Depends=(.*)/.exec(out)?.[1] ?? '').split(/,\s*/).filter(Boolean);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function changelog() {
  const date = new Date(Number(process.env.SOURCE_DATE_EPOCH ?? Date.now() / 1000) * 1000).toUTCString().replace('GMT', '+0000');
  let commit = '';
  try { commit = ` at commit ${run('git', ['-C', root, 'rev-parse', '--short', 'HEAD']).trim()}`; } catch { /* no git */ }
  return `lvsd (${version}) unstable; urgency=medium\n\n  * Built from the lvsd repository${commit}.\n\n -- ${maintainer}  ${date.replace(/^(\w+), (\d) /, '$1, 0$2 ')}\n`;
}

/** debian/copyright (machine-readable): lvsd's licence, then each bundled module's. */
function copyright(modules) {
  const paras = [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: lvsd\n',
    'Files: *\nCopyright: 2026 the lvsd authors\nLicense: GPL-2+\n',
  ];
  const licences = new Set(['GPL-2+']);
  for (const pj of walk(modules).filter((f) => f.endsWith('/package.json'))) {
    const rel = path.relative(modules, path.dirname(pj));
    const m = JSON.parse(fs.readFileSync(pj, 'utf8'));
    if (!m.name || rel.split('node_modules').pop().replace(/^\//, '') !== m.name) continue; // nested test fixtures
    const lic = typeof m.license === 'string' ? m.license.replace(/^\((.*)\)$/, '$1').replace(/ OR /g, ' or ') : 'see the package';
    licences.add(lic);
    const author = typeof m.author === 'string' ? m.author : m.author?.name;
    paras.push(`Files: usr/lib/lvsd/node_modules/${rel}/*\nCopyright: ${author ?? `the ${m.name} authors`}\nLicense: ${lic}\nComment: ${m.name} ${m.version}; its own licence file is beside it.\n`);
  }
  paras.push('License: GPL-2+\n This program is free software; you can redistribute it and/or modify it under the terms of\n the GNU General Public License as published by the Free Software Foundation; either version 2\n of the License, or (at your option) any later version.\n .\n On Debian systems, the complete text of the GNU General Public License version 2 can be found\n in /usr/share/common-licenses/GPL-2.\n');
  for (const l of [...licences].filter((l) => l !== 'GPL-2+').sort()) {
    paras.push(`License: ${l}\n The text of this licence is in the LICENSE file of each module under it, in\n /usr/lib/lvsd/node_modules.\n`);
  }
  return paras.join('\n');
}

function md5sums() {
  return walk(pkgRoot).filter((f) => !path.relative(pkgRoot, f).startsWith('DEBIAN/') && !fs.lstatSync(f).isSymbolicLink())
    .sort().map((f) => `${createHash('md5').update(fs.readFileSync(f)).digest('hex')}  ${path.relative(pkgRoot, f)}`).join('\n') + '\n';
}
