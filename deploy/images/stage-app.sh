#!/usr/bin/env bash
# Stages one app for its container image, in the layout both image builds use (the Dockerfiles'
# build stage and build.sh here run this same script):
#
#   OUT/node   the pinned Node 24 (the npm package `node` from the root devDependencies), stripped
#   OUT/app    the app as `pnpm deploy --prod` lays it out: package.json, dist/, and node_modules with
#              the production dependencies only; workspace packages (@bmlb/*) are copies of their
#              published files (dist/), so they resolve through the `default` export condition to
#              built JavaScript, never through `@bmlb/source` to TypeScript
#
#   deploy/images/stage-app.sh speaker|controller OUT
#
# Run from anywhere, after `pnpm install --frozen-lockfile` in the repo. Builds the app and the
# packages it depends on first (turbo; a cache hit when nothing changed). PNPM names the pnpm
# command (default: npx at the version package.json's packageManager pins).
set -euo pipefail

app="${1:?usage: stage-app.sh speaker|controller OUT}"
out="${2:?usage: stage-app.sh speaker|controller OUT}"
case "$app" in speaker | controller) ;; *)
  echo "stage-app.sh: unknown app '$app' (speaker or controller)" >&2
  exit 2
  ;;
esac
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

log() { printf '[stage-app %s %s] %s\n' "$app" "$(date +%H:%M:%S)" "$*" >&2; }

pnpm_version=$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' package.json)
read -r -a pnpm <<<"${PNPM:-npx -y pnpm@${pnpm_version}}"

# The pinned Node: an ELF binary inside the `node` package, and beside it (in the platform package
# node-<os>-<arch> that the package unpacks) the headers native addons must be compiled against.
node_pkg="$root/node_modules/node"
node_bin="$node_pkg/bin/node"
if [ ! -x "$node_bin" ]; then
  log "no $node_bin: run pnpm install --frozen-lockfile first"
  exit 1
fi
nodedir=""
for d in "$node_pkg"/node_modules/node-linux-*; do
  [ -f "$d/include/node/node.h" ] && nodedir="$d"
done
if [ -z "$nodedir" ]; then
  log "no Node headers under $node_pkg/node_modules/node-linux-*"
  exit 1
fi
arch=$("$node_bin" -p process.arch)

log "build @bmlb/${app} and its workspace dependencies"
"${pnpm[@]}" exec turbo run build "--filter=@bmlb/${app}" --output-logs=errors-only >&2

# pnpm 10 deploys injected workspace packages (copies of their `files`, i.e. dist/) when
# inject-workspace-packages is set; set for this command only, so the workspace's lockfile and
# node_modules stay as they are. A native addon that compiles (none today: koffi ships prebuilt
# binaries) would compile during the deploy: point node-gyp at the pinned Node's headers, not at whatever nodedir the machine's npm config names.
log "pnpm deploy --prod to $out/app"
rm -rf "$out/app"
npm_config_nodedir="$nodedir" "${pnpm[@]}" --config.inject-workspace-packages=true \
  "--filter=@bmlb/${app}" deploy --prod "$out/app" >"$out/deploy.log" 2>&1 || {
  tail -40 "$out/deploy.log" >&2
  exit 1
}

# What the runtime never reads: type declarations, source maps (Node runs without
# --enable-source-maps; only the executable's stay, dist/main.js.map and dist/chunks/*.map, for
# NODE_OPTIONS=--enable-source-maps to name the sources in a stack trace of the bundle), docs and tests at a dependency's root, pnpm's .bin shims, the deploy's lockfile and install state, what node-gyp
# leaves beside a compiled addon, and prebuilt binaries for other platforms (prebuilds/<os>-<arch>,
# as prebuildify and the bare-* packages lay them out). Files here are hard links into pnpm's store:
# they are only ever removed, never edited in place.
log "prune"
(
  cd "$out/app"
  find . -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
    -o -name '*.md' -o -name '*.markdown' -o -name '*.tsbuildinfo' \) \
    ! -path ./dist/main.js.map ! -path './dist/chunks/*.map' -delete
  # tests and docs at a dependency's root only (yaml keeps code in dist/doc)
  for pkg in node_modules/.pnpm/*/node_modules/* node_modules/.pnpm/*/node_modules/@*/*; do
    [ -f "$pkg/package.json" ] || continue
    rm -rf "$pkg"/{test,tests,__tests__,doc,docs,example,examples,benchmark,benchmarks}
  done
  find . -type d -path '*/prebuilds/*' -prune ! -name "linux-${arch}" -exec rm -rf {} +
  # of a compiled addon (a binding.gyp), only the addon: build/Release/*.node
  find node_modules/.pnpm -mindepth 4 -maxdepth 5 -name binding.gyp -path '*/node_modules/*' |
    while IFS= read -r gyp; do
      b="$(dirname "$gyp")/build"
      [ -d "$b" ] || continue
      find "$b" ! -type d \( ! -path "$b/Release/*.node" -o -path "$b/Release/*/*" \) -delete
      find "$b" -depth -mindepth 1 -type d -empty -delete
    done
  # pnpm's .bin shims: /bin/sh scripts (the images have no shell) naming the deploy's path
  find . -type d -name .bin -path '*node_modules/.bin' -prune -exec rm -rf {} +
  rm -rf node_modules/.pnpm/@types+* node_modules/.pnpm/lock.yaml node_modules/.modules.yaml \
    node_modules/.pnpm/node_modules/@types pnpm-lock.yaml
  find . -xtype l -delete                                   # links left pointing at removed packages
  find . -depth -type d -empty -path '*/node_modules/*' -delete
)

# The app's package.json: its @bmlb/* dependencies named by their versions (the ones deployed beside
# it) instead of the build's path (file:///…/packages/…), no devDependencies (not deployed; named by
# that path too), and its bin executable whether or not an
# install ran after the build (pnpm marks bins executable). Written anew, then renamed over.
# shellcheck disable=SC2016 # JavaScript, not shell
"$node_bin" -e '
  const fs = require("node:fs");
  const path = require("node:path");
  const dir = process.argv[1];
  const replace = (file, text, mode) => {
    fs.writeFileSync(`${file}.tmp`, text, { mode });
    fs.renameSync(`${file}.tmp`, file);
  };
  const file = path.join(dir, "package.json");
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const dep of Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith("@bmlb/"))) {
    const installed = path.join(dir, "node_modules", dep, "package.json");
    pkg.dependencies[dep] = JSON.parse(fs.readFileSync(installed, "utf8")).version;
  }
  delete pkg.devDependencies;
  replace(file, JSON.stringify(pkg, null, 2) + "\n", 0o644);
  const bin = pkg.bin ?? {};
  for (const f of typeof bin === "string" ? [bin] : Object.values(bin))
    replace(path.join(dir, f), fs.readFileSync(path.join(dir, f)), 0o755);
' "$out/app"

# The native addons (packages with a binding.gyp) must load on the pinned Node.
while IFS= read -r gyp; do
  pkg="$(dirname "$gyp")"
  "$node_bin" -e 'require(process.argv[1])' "$pkg" || {
    log "native addon ${pkg#"$out/app/"} does not load on Node $("$node_bin" --version)"
    exit 1
  }
done < <(find "$out/app/node_modules/.pnpm" -mindepth 4 -maxdepth 5 -name binding.gyp -path '*/node_modules/*')

# Node itself, without its debug information and static symbol table (126 MB → 108 MB for 24.21;
# the dynamic symbols that addons link against stay).
strip --strip-all -o "$out/node.tmp" "$node_bin"
mv "$out/node.tmp" "$out/node"
rm -f "$out/deploy.log"
log "staged: node $("$out/node" --version) ($(du -sh "$out/node" | cut -f1)), app $(du -sh "$out/app" | cut -f1)"
