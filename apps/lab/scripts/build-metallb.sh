#!/usr/bin/env bash
# Builds MetalLB's own controller and native speaker (v0.15.2, from the Go module
# go.universe.tf/metallb, with frr-k8s pinned to v0.0.21 as its go.mod needs; v0.16.2 does not
# build this way) and keeps its CRDs beside them, in a cache outside the repo, for the cluster lab's
# benchmark mode (`pnpm lab -- --bench`). Shares the directory with apps/controller's benchmark
# (same binaries, same flags). A warm cache returns at once; progress goes to stderr, the last line
# on stdout is the directory.
#
#   apps/lab/scripts/build-metallb.sh            # default cache /var/cache/bmlb/metallb-v0.15.2
#   BMLB_CACHE=/some/dir apps/lab/scripts/build-metallb.sh
set -euo pipefail
VERSION="${METALLB_VERSION:-0.15.2}"
GO="${GO:-go}"
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go
cache="${BMLB_CACHE:-/var/cache/bmlb}"
dir="$cache/metallb-v${VERSION}"
log() { printf '[metallb-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
if [ -x "$dir/controller" ] && [ -x "$dir/speaker" ] && [ -d "$dir/crds" ] && [ -f "$dir/metallb-native.yaml" ]; then
  echo "$dir"
  exit 0
fi
mkdir -p "$dir"
exec 9>"$dir/.build.lock"
flock 9
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > go.mod <<MOD
module bmlb.local/metallb-build

go 1.24

require go.universe.tf/metallb v${VERSION}

replace github.com/metallb/frr-k8s => github.com/metallb/frr-k8s v0.0.21
MOD
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "go.universe.tf/metallb/controller"
	_ "go.universe.tf/metallb/speaker"
)
GO
log "resolving modules (MetalLB v${VERSION})"
GOFLAGS=-mod=mod "$GO" mod tidy >&2
for b in controller speaker; do
  [ -x "$dir/$b" ] && continue
  log "go build $b"
  start=$(date +%s)
  CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO" build -trimpath -ldflags "-s -w" -o "$dir/$b.tmp" "go.universe.tf/metallb/$b" >&2
  mv "$dir/$b.tmp" "$dir/$b"
  log "$b built in $(($(date +%s) - start)) s"
done
mod=$("$GO" list -m -f '{{.Dir}}' go.universe.tf/metallb)
if [ ! -d "$dir/crds" ]; then
  rm -rf "$dir/crds.tmp" && mkdir -p "$dir/crds.tmp"
  cp "$mod"/config/crd/bases/*.yaml "$dir/crds.tmp/"
  chmod -R u+w "$dir/crds.tmp"
  rm -rf "$dir/crds" && mv "$dir/crds.tmp" "$dir/crds"
fi
# Its own install manifest: the lab takes MetalLB's RBAC from it.
cp "$mod/config/manifests/metallb-native.yaml" "$dir/metallb-native.yaml.tmp"
chmod u+w "$dir/metallb-native.yaml.tmp"
mv "$dir/metallb-native.yaml.tmp" "$dir/metallb-native.yaml"
echo "$dir"
