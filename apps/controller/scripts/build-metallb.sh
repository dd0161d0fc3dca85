#!/usr/bin/env bash
# Builds MetalLB's own controller (v0.15.2, from the Go module go.universe.tf/metallb, with
# frr-k8s pinned to v0.0.21 as its go.mod needs) and keeps its CRDs beside it, in a cache outside
# the repo. The controller benchmark (src/controller.bench.ts) runs it against the same API
# server as ours. A warm cache returns at once; the last line on stdout is the directory.
#
#   scripts/build-metallb.sh                        # default cache /var/cache/bmlb/metallb-v0.15.2
#   BMLB_CACHE=/some/dir scripts/build-metallb.sh
set -euo pipefail
VERSION="${METALLB_VERSION:-0.15.2}"
GO="${GO:-go}"
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go
cache="${BMLB_CACHE:-/var/cache/bmlb}"
dir="$cache/metallb-v${VERSION}"
if [ -x "$dir/controller" ] && [ -d "$dir/crds" ]; then echo "$dir"; exit 0; fi
mkdir -p "$dir"
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

import _ "go.universe.tf/metallb/controller"
GO
echo "[metallb-build] resolving modules" >&2
GOFLAGS=-mod=mod "$GO" mod tidy >&2
echo "[metallb-build] building the controller" >&2
CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO" build -o "$dir/controller.tmp" go.universe.tf/metallb/controller >&2
mod=$("$GO" list -m -f '{{.Dir}}' go.universe.tf/metallb)
rm -rf "$dir/crds.tmp" && mkdir -p "$dir/crds.tmp"
cp "$mod"/config/crd/bases/*.yaml "$dir/crds.tmp/"
chmod -R u+w "$dir/crds.tmp"
mv "$dir/controller.tmp" "$dir/controller"
rm -rf "$dir/crds" && mv "$dir/crds.tmp" "$dir/crds"
echo "$dir"
