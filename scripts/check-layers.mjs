// Enforces the layers of DESIGN.md on every workspace package, from its package.json and from every
// import in its sources. Arrows point down only:
//   core (pure: no node:*, no I/O) <- io (transports, adapters, test lab) <- app
//   platform (the OS bindings: libc) <- io
// A core depends on nothing of ours but what CORE_DEPS allows; no package depends on an app.
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const LAYER = {
  '@bmlb/bgp-core': 'core',
  '@bmlb/bfd-core': 'core',
  '@bmlb/metallb-api': 'core',
  '@bmlb/allocator': 'core',
  '@bmlb/ip': 'core',
  '@bmlb/libc': 'platform',
  '@bmlb/transport-tcp': 'io',
  '@bmlb/transport-udp-raw': 'io',
  '@bmlb/k8s-adapter': 'io',
  '@bmlb/netlab': 'io',
  '@bmlb/shared-data': 'io',
  '@bmlb/speaker': 'app',
  '@bmlb/controller': 'app',
  '@bmlb/lab': 'app',
};
// Arrows between cores: the allocator takes IPAddressPool from the shared metallb.io types; the
// metallb.io BFDProfile takes its defaults and ranges from the BFD core, their one owner; addresses are
// read and printed by @bmlb/ip, the one IP module (a leaf: it depends on nothing).
const CORE_DEPS = {
  '@bmlb/allocator': ['@bmlb/metallb-api'],
  '@bmlb/metallb-api': ['@bmlb/bfd-core', '@bmlb/ip'],
  '@bmlb/bfd-core': ['@bmlb/ip'],
};
// The platform layer binds the operating system for the io packages (koffi's libc calls); it depends on
// nothing of ours, so two transports share it without depending on each other.
const RANK = { core: 0, platform: 1, io: 2, app: 3 };
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

// The paths of the shared test data (../shared beside the repository): tests of any package, cores
// included, read it through this one package.
const TEST_DATA = new Set(['@bmlb/shared-data']);
// The test lab (network namespaces, routing daemons) serves tests of io packages and apps only.
const TEST_ONLY = new Set(['@bmlb/netlab']);
// The cluster lab (apps/lab, `pnpm lab`) is a harness, not a shipped component: it builds the seed's
// network and control plane and drives our daemons as processes, so its sources (not only its tests)
// may import what tests import: the network lab, and the speaker's test support (its seed topology
// and failover probes, reused rather than copied; only that subpath). No other package may.
const HARNESS = { '@bmlb/lab': { '@bmlb/netlab': '', '@bmlb/speaker': 'test-support/' } };

// `spec`: the import specifier (undefined for a package.json dependency).
function allowed(from, to, forTests, spec) {
  const harness = HARNESS[from]?.[to];
  if (harness !== undefined) {
    if (spec === undefined || harness === '' || spec.startsWith(`${to}/${harness}`)) return null;
    return `${from} may import ${to}/${harness}* only`;
  }
  const a = LAYER[from];
  const b = LAYER[to];
  if (b === undefined) return `${to} has no layer in scripts/check-layers.mjs`;
  if (TEST_DATA.has(to))
    return forTests ? null : `${to} serves tests only (a devDependency, imported from tests)`;
  if (TEST_ONLY.has(to)) {
    if (a === 'core') return 'a core is tested in simulated time, without the network lab';
    return forTests ? null : `${to} serves tests only (a devDependency, imported from tests)`;
  }
  if (b === 'app') return 'no package depends on an app';
  if (a === 'platform') return 'the platform layer depends on no other package of ours';
  if (a === 'core')
    return (CORE_DEPS[from] ?? []).includes(to) ? null : 'a core depends on no other package of ours';
  if (RANK[b] >= RANK[a] && !(a === 'app' && b !== 'app')) return `${a} may not depend on ${b}`;
  return null;
}

const dirs = ['packages', 'apps'].flatMap((top) =>
  fs.existsSync(path.join(root, top))
    ? fs.readdirSync(path.join(root, top)).map((d) => path.join(root, top, d))
    : [],
);
const problems = [];
const importRe =
  /(?:^|[^.\w$])(?:import|export)\s*(?:type\s+)?(?:[^'"`;]*?\sfrom\s*)?['"]([^'"]+)['"]|(?:^|[^.\w$])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[^.\w$])require\s*\(\s*['"]([^'"]+)['"]\s*\)/gm;

function* sourceFiles(dir) {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    if (ent.name === 'node_modules' || ent.name === 'dist') continue;
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) yield* sourceFiles(p);
    else if (/\.(?:[cm]?[jt]s|tsx)$/.test(ent.name) && !ent.name.endsWith('.d.ts')) yield p;
  }
}

for (const dir of dirs) {
  const pjPath = path.join(dir, 'package.json');
  if (!fs.existsSync(pjPath)) continue;
  const pj = JSON.parse(fs.readFileSync(pjPath, 'utf8'));
  const name = pj.name;
  const rel = path.relative(root, dir);
  if (!(name in LAYER)) {
    problems.push(`${rel}/package.json: ${name} has no layer in scripts/check-layers.mjs`);
    continue;
  }
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const dep of Object.keys(pj[field] ?? {})) {
      if (!dep.startsWith('@bmlb/')) continue;
      const why = allowed(name, dep, field === 'devDependencies');
      if (why) problems.push(`${rel}/package.json: ${field}.${dep}: ${why}`);
      if (!String(pj[field][dep]).startsWith('workspace:'))
        problems.push(
          `${rel}/package.json: ${field}.${dep}: internal dependencies use the workspace: protocol`,
        );
    }
  }
  const srcDir = path.join(dir, 'src');
  if (!fs.existsSync(srcDir)) continue;
  for (const file of sourceFiles(srcDir)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const line = text.slice(0, m.index).split('\n').length + (m[0].startsWith('\n') ? 1 : 0);
      const where = `${path.relative(root, file)}:${line}`;
      if (spec.startsWith('.')) {
        const target = path.resolve(path.dirname(file), spec);
        if (!target.startsWith(dir + path.sep))
          problems.push(`${where}: '${spec}' reaches outside ${rel}; import the package by name`);
        continue;
      }
      const isTest = /\.(test|bench)\.[cm]?[jt]s$|[/\\]test-support[/\\]/.test(file);
      if (LAYER[name] === 'core' && builtins.has(spec) && !isTest)
        problems.push(`${where}: '${spec}': a pure core imports no node:* module (inject what it needs)`);
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (pkg.startsWith('@bmlb/') && pkg !== name) {
        const why = allowed(name, pkg, isTest, spec);
        if (why) problems.push(`${where}: '${spec}': ${why}`);
      }
    }
  }
}

if (problems.length) {
  console.error(`check-layers: ${problems.length} layering violation(s):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`check-layers: ${dirs.length} packages respect the layers of DESIGN.md`);
