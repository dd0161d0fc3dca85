#!/usr/bin/env node
// Packs every publishable package as a user gets it and checks what comes out:
//   - its package.json: `publishConfig.exports` is `exports` without the workspace-only `@bmlb/source`
//     condition, and a `prepack` builds dist/ from clean;
//   - the tarball: every export target is in it, no source map names a file it does not carry (the
//     maps inline their sources), no `@internal` member is left in the declarations, publint is clean;
//   - installed with npm into an empty project on Node 22 and on Node 24 (each from the npm `node`
//     package installed into that project, so npm and install scripts run on that Node too), a small
//     consumer runs: a BGP UPDATE encoded and decoded, a BFD pair brought Up in simulated time, an
//     allocation from a pool, the transports and the adapter imported; on Node 24 the consumer is also
//     type-checked against the published declarations;
//   - each package's install size (its files and its dependencies', as npm lays them out).
// Usage (from the repository root, after `pnpm install`): node scripts/pack-check.mjs [--keep]
// Needs the npm client and the registry for `node@22`, `node@24` and the packages' dependencies.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
const rootPkg = readJson(path.join(root, 'package.json'));
const pnpmVersion = rootPkg.packageManager.split('@')[1];
const node24 = rootPkg.devDependencies.node; // the Node the project pins
const NODES = [
  { major: 22, spec: '22' },
  { major: 24, spec: node24 },
];
const keep = process.argv.includes('--keep');
const problems = [];
const problem = (what) => {
  problems.push(what);
  process.stdout.write(`  FAIL ${what}\n`);
};

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function run(cmd, args, options = {}) {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
      ...options,
    });
  } catch (err) {
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim();
    throw new Error(`${cmd} ${args.join(' ')} failed in ${options.cwd ?? process.cwd()}:\n${out}`);
  }
}

/** `exports` as published: the `@bmlb/source` condition (workspace sources) removed. */
function withoutSource(exports) {
  if (exports === null || typeof exports !== 'object') return exports;
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([key]) => key !== '@bmlb/source')
      .map(([key, value]) => [key, withoutSource(value)]),
  );
}

/** Every file path an `exports` map points at. */
function exportTargets(exports) {
  if (typeof exports === 'string') return [exports];
  if (exports === null || typeof exports !== 'object') return [];
  return Object.values(exports).flatMap(exportTargets);
}

function* walk(dir) {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) yield* walk(p);
    else yield p;
  }
}

function dirSize(dir) {
  let bytes = 0;
  for (const file of walk(dir)) bytes += fs.lstatSync(file).size;
  return bytes;
}

const kB = (bytes) => `${(bytes / 1024).toFixed(1)} kB`;

// ---- the publishable packages ----
const packages = ['packages', 'apps']
  .flatMap((top) => fs.readdirSync(path.join(root, top)).map((d) => path.join(root, top, d)))
  .filter((dir) => fs.existsSync(path.join(dir, 'package.json')))
  .map((dir) => ({ dir, pkg: readJson(path.join(dir, 'package.json')) }))
  .filter(({ pkg }) => !pkg.private)
  .sort((a, b) => a.pkg.name.localeCompare(b.pkg.name));
process.stdout.write(`pack-check: ${packages.map((p) => p.pkg.name).join(', ')}\n`);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bmlb-pack-check-'));
const tarballs = path.join(work, 'tarballs');
fs.mkdirSync(tarballs);

// ---- package.json shape, pack (prepack builds from clean), the tarball's contents, publint ----
for (const p of packages) {
  const { name, version } = p.pkg;
  process.stdout.write(`${name}: pack\n`);
  const published = p.pkg.publishConfig?.exports;
  if (!isDeepStrictEqual(published, withoutSource(p.pkg.exports)))
    problem(`${name}: publishConfig.exports must be exports without the @bmlb/source condition`);
  if (!/\brm -rf dist\b.*&&.*\btsc\b/.test(p.pkg.scripts?.prepack ?? ''))
    problem(`${name}: scripts.prepack must build dist/ from clean (rm -rf dist && tsc ...)`);

  try {
    run('npx', ['-y', `pnpm@${pnpmVersion}`, 'pack', '--pack-destination', tarballs], { cwd: p.dir });
  } catch (err) {
    problem(`${name}: pack (prepack builds dist/ from clean) failed:\n${err.message}`);
    continue;
  }
  const tgz = path.join(tarballs, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
  if (!fs.existsSync(tgz)) throw new Error(`${name}: pnpm pack made no ${tgz}`);
  p.tarball = tgz;
  const unpacked = path.join(work, 'unpacked', name);
  fs.mkdirSync(unpacked, { recursive: true });
  run('tar', ['-xzf', tgz, '-C', unpacked]);
  const pkgDir = path.join(unpacked, 'package');
  const shipped = readJson(path.join(pkgDir, 'package.json'));
  if (JSON.stringify(shipped.exports).includes('@bmlb/source'))
    problem(`${name}: the packed package.json still carries the @bmlb/source condition`);
  for (const target of exportTargets(shipped.exports)) {
    if (!fs.existsSync(path.join(pkgDir, target)))
      problem(`${name}: exports names ${target}, not in the tarball`);
  }
  const files = [...walk(pkgDir)];
  for (const file of files) {
    const rel = path.relative(pkgDir, file);
    if (file.endsWith('.map')) {
      const map = readJson(file);
      (map.sources ?? []).forEach((source, i) => {
        const inlined = typeof map.sourcesContent?.[i] === 'string';
        const target = path.resolve(path.dirname(file), map.sourceRoot ?? '', source);
        if (!inlined && !fs.existsSync(target))
          problem(`${name}: ${rel} points at ${source}, which is not shipped (nor inlined)`);
      });
    }
    if (file.endsWith('.d.ts') && fs.readFileSync(file, 'utf8').includes('@internal'))
      problem(`${name}: ${rel} still declares @internal members (stripInternal)`);
  }
  if (!files.some((f) => f.endsWith('.js')))
    problem(`${name}: the tarball has no JavaScript (empty package?)`);
  try {
    const out = run(
      path.join(root, 'node_modules', '.bin', 'publint'),
      ['run', pkgDir, '--pack', 'false', '--strict'],
      {
        env: { ...process.env, PATH: `${path.join(root, 'node_modules', '.bin')}:${process.env.PATH}` },
      },
    );
    process.stdout.write(`  publint: ${out.trim().split('\n').at(-1)}\n`);
  } catch (err) {
    problem(`${name}: publint:\n${err.message}`);
  }
  p.tarballBytes = fs.statSync(tgz).size;
}

if (problems.length > 0) {
  process.stdout.write(`\npack-check: ${problems.length} problem(s) before installing; kept ${work}\n`);
  process.exit(1);
}

// ---- the consumer: one check per published concern ----
const consumer = `// @ts-check
import assert from 'node:assert/strict';
import { Allocator } from '@bmlb/allocator';
import { BfdEndpoint } from '@bmlb/bfd-core';
import { pair } from '@bmlb/bfd-core/testing';
import { decodeMessage, encodeMessage, PrefixList } from '@bmlb/bgp-core';
import * as bgpTesting from '@bmlb/bgp-core/testing';
import * as k8s from '@bmlb/k8s-adapter';
import * as metallb from '@bmlb/metallb-api';
import * as tcp from '@bmlb/transport-tcp';
import * as udp from '@bmlb/transport-udp-raw';

// BGP: an UPDATE encoded and decoded again
/** @type {import('@bmlb/bgp-core').UpdateMessage} */
const update = {
  type: 'update',
  withdrawn: PrefixList.empty(1),
  attributes: {
    origin: 0,
    asPath: [{ type: 2, asns: [65001, 4200000001] }],
    nextHop: '192.0.2.1',
    communities: [0xfde80001],
    largeCommunities: [[65001, 1, 2]],
  },
  nlri: PrefixList.fromStrings(1, ['203.0.113.5/32', '198.51.100.0/24']),
};
// both speakers 4-octet AS capable (RFC 6793)
const decoded = decodeMessage(encodeMessage(update, { as4: true }), { as4: true });
assert.equal(decoded.kind, 'message');
if (decoded.kind !== 'message' || decoded.message.type !== 'update') throw new Error('not an UPDATE');
assert.deepEqual(decoded.message.attributes.asPath, update.attributes.asPath);
assert.deepEqual(decoded.message.attributes.largeCommunities, update.attributes.largeCommunities);
assert.deepEqual([...decoded.message.nlri.toArray()].sort(), ['198.51.100.0/24', '203.0.113.5/32']);

// BFD: two endpoints back to back in simulated time (ms), 300 ms x 3, until both sessions are Up
let seed = 1;
const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
const a = new BfdEndpoint({ random });
const b = new BfdEndpoint({ random });
const profile = { receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3 };
let now = 0;
a.addSession(now, { key: 'b', localAddress: '10.0.0.1', remoteAddress: '10.0.0.2', profile });
b.addSession(now, { key: 'a', localAddress: '10.0.0.2', remoteAddress: '10.0.0.1', profile });
const peers = new Map([[a, b], [b, a]]);
for (let step = 0; step < 1000 && !(a.getSession('b')?.state === 'Up' && b.getSession('a')?.state === 'Up'); step++) {
  for (const [from, to] of peers) {
    for (const out of from.drain()) {
      if (out.type === 'send') to.receive(now, out.bytes, { remoteAddress: out.localAddress, localAddress: out.remoteAddress });
    }
  }
  now = Math.min(a.nextTimeout() ?? Infinity, b.nextTimeout() ?? Infinity);
  a.handleTimeout(now);
  b.handleTimeout(now);
}
assert.equal(a.getSession('b')?.state, 'Up');
assert.equal(b.getSession('a')?.state, 'Up');
// ... and the same through the shipped simulated-time harness (the /testing entry point)
const sim = pair({ profile }, { profile });
assert.ok(sim.net.runUntilTrue(() => sim.sa.state === 'Up' && sim.sb.state === 'Up'));

// Allocator: a Service gets the first address of its pool
const allocator = new Allocator();
const pools = allocator.setPools([{ metadata: { name: 'p' }, spec: { addresses: ['192.0.2.8/30'] } }]);
assert.ok(pools.ok);
const assigned = allocator.assign({
  namespace: 'default',
  name: 'web',
  annotations: {},
  spec: { ports: [{ port: 80, protocol: 'TCP' }], externalTrafficPolicy: 'Cluster' },
});
assert.ok(assigned.ok);
if (assigned.ok) assert.deepEqual(assigned.ips, ['192.0.2.8']);

// The transports, the adapter, the API types and bgp-core's harness load
for (const [name, mod] of Object.entries({ tcp, udp, k8s, metallb, bgpTesting })) {
  assert.ok(Object.keys(mod).length > 0, name + ' exports nothing');
}
console.log(JSON.stringify({ node: process.version, bgp: 'round trip', bfd: 'Up at ' + now.toFixed(1) + ' ms (simulated)', allocated: assigned.ok ? assigned.ips : [] }));
`;

// ---- install on each Node and run the consumer ----
const sizes = new Map();
for (const { major, spec } of NODES) {
  const proj = path.join(work, `node${major}`);
  fs.mkdirSync(proj);
  fs.writeFileSync(
    path.join(proj, 'package.json'),
    `${JSON.stringify({ name: `consumer-node${major}`, private: true, type: 'module' }, null, 2)}\n`,
  );
  process.stdout.write(`Node ${major}: npm install node@${spec}, then the ${packages.length} tarballs\n`);
  const npmFlags = ['--no-audit', '--no-fund', '--loglevel=error'];
  run('npm', ['install', ...npmFlags, `node@${spec}`], { cwd: proj });
  const bin = path.join(proj, 'node_modules', '.bin');
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const version = run(path.join(bin, 'node'), ['--version'], { cwd: proj, env }).trim();
  if (!version.startsWith(`v${major}.`)) throw new Error(`node@${spec} runs ${version}, not Node ${major}`);
  // npm's own script starts `node` from PATH: npm and the install scripts run on this Node
  run('npm', ['install', ...npmFlags, ...packages.map((p) => p.tarball)], { cwd: proj, env });
  fs.writeFileSync(path.join(proj, 'consumer.mjs'), consumer);
  try {
    const out = run(path.join(bin, 'node'), ['consumer.mjs'], { cwd: proj, env }).trim();
    process.stdout.write(`  consumer on ${version}: ${out}\n`);
  } catch (err) {
    problem(`Node ${major}: the consumer failed:\n${err.message}`);
  }
  if (major === 24) {
    // the consumer against the published declarations, as a TypeScript user compiles it
    run('npm', ['install', ...npmFlags, `@types/node@${rootPkg.devDependencies['@types/node']}`], {
      cwd: proj,
      env,
    });
    fs.writeFileSync(
      path.join(proj, 'tsconfig.json'),
      `${JSON.stringify(
        {
          compilerOptions: {
            module: 'nodenext',
            target: 'es2024',
            strict: true,
            allowJs: true,
            checkJs: true,
            noEmit: true,
            skipLibCheck: true,
            types: ['node'],
          },
          files: ['consumer.mjs'],
        },
        null,
        2,
      )}\n`,
    );
    try {
      run(path.join(bin, 'node'), [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', proj], {
        cwd: proj,
        env,
      });
      process.stdout.write('  consumer type-checks against the published declarations\n');
    } catch (err) {
      problem(`Node ${major}: the consumer does not type-check:\n${err.message}`);
    }
    // install size: each package's directory plus its dependencies', resolved as Node does
    const modules = path.join(proj, 'node_modules');
    const closure = (name, from, seen) => {
      let dir = from;
      for (;;) {
        const candidate = path.join(dir, 'node_modules', name);
        if (fs.existsSync(path.join(candidate, 'package.json'))) {
          const real = fs.realpathSync(candidate);
          if (seen.has(real)) return;
          seen.add(real);
          const pj = readJson(path.join(real, 'package.json'));
          for (const dep of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies }))
            closure(dep, real, seen);
          return;
        }
        if (dir === proj || dir === path.dirname(dir)) return; // optional dependency not installed
        dir = path.dirname(dir);
      }
    };
    for (const p of packages) {
      const seen = new Set();
      closure(p.pkg.name, proj, seen);
      const own = dirSize(path.join(modules, p.pkg.name));
      let total = 0;
      for (const dir of seen) total += dirSize(dir);
      const deps = [...seen]
        .map((dir) => readJson(path.join(dir, 'package.json')).name)
        .filter((n) => n !== p.pkg.name);
      sizes.set(p.pkg.name, { tarball: p.tarballBytes, own, total, deps });
    }
  }
}

process.stdout.write('\ninstall sizes (Node 24, npm; files on disk, dependencies included):\n');
process.stdout.write(
  `${'package'.padEnd(26)}${'tarball'.padStart(10)}${'package'.padStart(11)}${'installed'.padStart(12)}  dependencies\n`,
);
for (const [name, s] of sizes) {
  process.stdout.write(
    `${name.padEnd(26)}${kB(s.tarball).padStart(10)}${kB(s.own).padStart(11)}${kB(s.total).padStart(12)}  ${s.deps.join(', ') || '-'}\n`,
  );
}

if (keep) process.stdout.write(`\nkept ${work}\n`);
else fs.rmSync(work, { recursive: true, force: true });
if (problems.length > 0) {
  process.stdout.write(`\npack-check: ${problems.length} problem(s)\n`);
  process.exit(1);
}
process.stdout.write('\npack-check: every package packs, installs on Node 22 and 24, and works\n');
