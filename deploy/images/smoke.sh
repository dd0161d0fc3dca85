#!/usr/bin/env bash
# Smoke check of the images deploy/images/build.sh made: prints each image's size, then runs them
# with podman as this machine allows (runc: crun fails on its hybrid cgroups; rlimits below podman's
# defaults, which exceed the machine's) and checks:
#   - `--help` of each bin prints its usage and exits 0
#   - the user each runs as (speaker root, controller 65534) and the files it runs (/app: built
#     JavaScript only; every @bmlb/* dependency resolves to its dist/, the native addons load)
#   - the speaker daemon starts on a configuration file, answers `speaker status` over its Unix
#     socket (podman exec), applies an edit live, and exits 0 on SIGTERM (podman stop)
# Ends with a line 'N passed, N failed'; exits 1 if any check failed.
#
#   deploy/images/smoke.sh                  # the images tagged with the apps' package.json versions
#   BMLB_IMAGE_TAG=latest deploy/images/smoke.sh
#
# Needs root and podman/runc (build.sh installs them).
set -uo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root" || exit 1
node=node_modules/node/bin/node
podman_run=(podman --runtime runc run --network host --ulimit nofile=20000:20000 --ulimit nproc=4096:4096)
run=("${podman_run[@]}" --rm)
passed=0
failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/bmlb-smoke.XXXXXX")
speaker_ctr="bmlb-smoke-speaker-$$"
cleanup() {
  podman --runtime runc rm -f -t 0 "$speaker_ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

ok() {
  passed=$((passed + 1))
  printf 'ok    %s\n' "$1"
}
fail() {
  failed=$((failed + 1))
  printf 'FAIL  %s\n' "$1"
  [ -z "${2:-}" ] || printf '%s\n' "$2" | head -20 | sed 's/^/      /'
}
tag() { echo "${BMLB_IMAGE_TAG:-$("$node" -p "require('./apps/$1/package.json').version")}"; }

speaker="localhost/bmlb-speaker:$(tag speaker)"
controller="localhost/bmlb-controller:$(tag controller)"

echo "images:"
for image in "$speaker" "$controller"; do
  if ! podman image exists "$image"; then
    fail "$image exists" "not in podman's storage: run deploy/images/build.sh first"
    continue
  fi
  podman image inspect --format '{{.Size}} {{len .RootFS.Layers}} {{.Config.User}}' "$image" |
    awk -v i="$image" '{ printf "  %-36s %6.1f MB  %d layers  user %s\n", i, $1 / 1e6, $2, $3 }'
done

# --help: the bin, its imports (every module the daemon loads, koffi's native code among them).
check_help() {
  local image=$1 want=$2 out rc
  out=$("${run[@]}" "$image" --help 2>&1)
  rc=$?
  if [ "$rc" = 0 ] && grep -qF -- "$want" <<<"$out"; then
    ok "$image --help: $(grep -m1 -F -- "$want" <<<"$out" | sed 's/^ *//')"
  else
    fail "$image --help (exit $rc, expected '$want')" "$out"
  fi
}
check_help "$speaker" 'speaker --config FILE --node-name NAME'
check_help "$controller" 'usage: controller'

# Who runs, and what: the uid, no TypeScript under /app, each @bmlb/* import resolved to dist/*.js,
# the native addons (packages with a binding.gyp) loading on the image's Node.
# shellcheck disable=SC2016 # JavaScript, not shell
inspect_js='
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
const pkg = JSON.parse(fs.readFileSync("/app/package.json", "utf8"));
const out = { uid: process.getuid(), node: process.version, ts: [], resolved: {}, addons: [] };
const walk = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) {
      // our code: the app and the @bmlb/* copies; of other packages only their native addons
      if (path.basename(d) !== ".pnpm" || e.name.startsWith("@bmlb+")) walk(p);
      else for (const g of fs.globSync(`${p}/node_modules/{*,@*/*}/binding.gyp`)) out.addons.push(path.dirname(g));
    } else if (/\.(c|m)?ts$/.test(e.name) && !/\.d\.(c|m)?ts$/.test(e.name)) out.ts.push(p);
    else if (e.name === "binding.gyp") out.addons.push(d);
  }
};
walk("/app");
const require = createRequire("/app/package.json");
for (const dep of Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith("@bmlb/")))
  out.resolved[dep] = import.meta.resolve(dep);
for (const a of out.addons) require(a);
// koffi (the transports call libc through it): libc.so.6 from the image, getpid() answering
const transport = out.resolved["@bmlb/transport-tcp"];
if (transport) {
  const koffi = createRequire(new URL(transport))("koffi");
  out.koffi = koffi.load("libc.so.6").func("int getpid()")() === process.pid;
}
console.log(JSON.stringify(out));
'
check_runtime() {
  local image=$1 uid=$2 out rc
  out=$("${run[@]}" --entrypoint /usr/local/bin/node --workdir /app "$image" --input-type=module \
    -e "$inspect_js" 2>&1)
  rc=$?
  if [ "$rc" != 0 ]; then
    fail "$image runtime inspection (exit $rc)" "$out"
    return
  fi
  # shellcheck disable=SC2016 # JavaScript, not shell
  if "$node" -e '
    const [want] = process.argv.slice(1);
    const o = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const bad = [];
    if (String(o.uid) !== want) bad.push(`uid ${o.uid}, want ${want}`);
    if (o.ts.length) bad.push(`TypeScript files: ${o.ts.slice(0, 5).join(" ")}`);
    for (const [dep, url] of Object.entries(o.resolved))
      if (!/^file:\/\/\/app\/node_modules\/.*\/dist\/[^/]+\.js$/.test(url)) bad.push(`${dep} -> ${url}`);
    if (o.koffi === false) bad.push("koffi: getpid() from libc.so.6 is not this process");
    if (bad.length) { console.log(bad.join("\n")); process.exit(1); }
    console.log(`uid ${o.uid}, Node ${o.node}, ${Object.keys(o.resolved).length} @bmlb/* deps from dist/, ` +
      `${o.addons.length} native addon(s) loaded${o.koffi ? ", koffi calls libc" : ""}, no .ts`);
  ' "$uid" <<<"$out" >"$work/inspect.txt" 2>&1; then
    ok "$image runtime: $(cat "$work/inspect.txt")"
  else
    fail "$image runtime" "$(cat "$work/inspect.txt")"
  fi
}
check_runtime "$speaker" 0
check_runtime "$controller" 65534

# The speaker daemon on a configuration file: status over its socket, a live edit, SIGTERM.
mkdir -p "$work/speaker"
cat >"$work/speaker/config.yaml" <<'EOF'
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: smoke, namespace: metallb-system }
spec: { addresses: [192.0.2.0/28] }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: smoke, namespace: metallb-system }
spec: { ipAddressPools: [smoke] }
EOF
status() {
  podman --runtime runc exec "$speaker_ctr" /usr/local/bin/node /app/dist/main.js status \
    --status-socket /smoke/status.sock 2>&1
}
wait_for() { # pattern, seconds: until `speaker status` prints pattern
  local i out
  for ((i = 0; i < $2 * 4; i++)); do
    out=$(status) && grep -qE -- "$1" <<<"$out" && {
      printf '%s\n' "$out"
      return 0
    }
    sleep 0.25
  done
  printf '%s\n' "$out"
  return 1
}
# Stopped after each check's wait, so a failure can't leave it running.
if "${podman_run[@]}" -d --name "$speaker_ctr" -v "$work/speaker:/smoke" "$speaker" \
  --config /smoke/config.yaml --node-name smoke --status-socket /smoke/status.sock >/dev/null 2>"$work/run.err"; then
  if out=$(wait_for 'configuration [0-9a-f]+ applied' 20); then
    ok "speaker daemon: $(head -1 <<<"$out")"
    first=$(grep -oE 'configuration [0-9a-f]+' <<<"$out")
    sed -i 's|192.0.2.0/28|192.0.2.0/27|' "$work/speaker/config.yaml"
    if out=$(wait_for 'configuration [0-9a-f]+ applied' 20) && ! grep -qF "$first " <<<"$out"; then
      ok "speaker live edit: $(grep -oE 'configuration [0-9a-f]+' <<<"$out") replaced $first"
    else
      fail "speaker live edit (still $first)" "$out"
    fi
  else
    fail "speaker daemon status" "$out"
  fi
  podman --runtime runc stop -t 10 "$speaker_ctr" >/dev/null 2>&1
  code=$(podman --runtime runc inspect --format '{{.State.ExitCode}}' "$speaker_ctr" 2>/dev/null)
  logs=$(podman --runtime runc logs "$speaker_ctr" 2>&1)
  if [ "$code" = 0 ] && grep -q '"event":"shutdown","signal":"SIGTERM"' <<<"$logs"; then
    ok "speaker SIGTERM: exit 0, $(grep -c '"event"' <<<"$logs") JSON log lines"
  else
    fail "speaker SIGTERM (exit ${code:-?})" "$(tail -5 <<<"$logs")"
  fi
else
  fail "speaker daemon start" "$(cat "$work/run.err")"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
