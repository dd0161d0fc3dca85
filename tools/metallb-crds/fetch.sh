#!/usr/bin/env bash
# MetalLB's own CRDs (config/crd/bases/ of the Go module go.universe.tf/metallb), fetched through the
# Go module proxy (`go mod download`, checked against the Go checksum database) into a cache outside
# the repo, for metallb-api's comparison test (packages/metallb-api/src/metallb-crds.interop.test.ts).
# A warm cache returns at once without Go. Progress goes to stderr; the last line on stdout is the
# directory holding the CRD files.
#
#   tools/metallb-crds/fetch.sh                 # v0.16.2 into /var/cache/bmlb/metallb-crds-v0.16.2
#   METALLB_VERSION=0.15.2 BMLB_CACHE=/some/dir tools/metallb-crds/fetch.sh
set -euo pipefail
VERSION="${METALLB_VERSION:-0.16.2}"
cache="${BMLB_CACHE:-/var/cache/bmlb}"
dir="$cache/metallb-crds-v${VERSION}"
if [ -f "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi
GO="${GO:-go}"
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go
if ! command -v "$GO" >/dev/null; then
  echo "metallb-crds: Go is needed to fetch go.universe.tf/metallb@v${VERSION} (not on PATH, not at /usr/local/go/bin/go)" >&2
  exit 2
fi
mkdir -p "$cache"
exec 9>"$cache/.metallb-crds-v${VERSION}.lock"
flock 9
if [ -f "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "metallb-crds: go mod download go.universe.tf/metallb@v${VERSION}" >&2
# Outside any module, so that no go.mod of ours is consulted or changed.
info=$(cd "$work" && GOFLAGS=-mod=mod "$GO" mod download -json "go.universe.tf/metallb@v${VERSION}")
mod=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
sum=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",\{0,1\}$/\1/p')
if [ -z "$mod" ] || [ ! -d "$mod/config/crd/bases" ]; then
  echo "metallb-crds: no config/crd/bases in the module (go mod download said: $info)" >&2
  exit 1
fi
rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
cp "$mod"/config/crd/bases/*.yaml "$dir.tmp/"
chmod -R u+w "$dir.tmp"
printf 'go.universe.tf/metallb v%s %s\n' "$VERSION" "$sum" > "$dir.tmp/.complete"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
echo "metallb-crds: $(ls "$dir"/*.yaml | wc -l) CRDs of MetalLB v${VERSION} in $dir" >&2
echo "$dir"
