#!/usr/bin/env bash
# Builds the Kubernetes control plane's binaries (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl) from the Go module k8s.io/kubernetes, and kwok, into a cache outside the
# repo keyed by version, and copies kwok's stage manifests beside them. @bmlb/netlab's
# KubeControlPlane runs them from there. A warm cache returns at once. Progress goes to stderr;
# the last line on stdout is the bin directory.
#
#   tools/kube/build.sh                        # build what is missing, print the bin directory
#   BMLB_CACHE=/some/dir tools/kube/build.sh   # cache elsewhere (default /var/cache/bmlb)
#
# Needs Go >= the go directive of k8s.io/kubernetes (1.26 for v1.37) and the network for the Go
# module proxy (about 1 GB of modules). On 2 cores a cold build (empty module and build caches)
# takes about a quarter of an hour and up to ~3 GB of memory. Measured here with the module cache
# and part of Go's build cache warm: kubectl 96 s, kube-scheduler 114 s, kube-controller-manager
# 118 s, kube-apiserver 7 s, kwok 66 s (7 min); a warm cache: nothing to do, 3 ms.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
KWOK_VERSION="${KWOK_VERSION:-0.8.0}"
GO="${GO:-go}"
cache="${BMLB_CACHE:-/var/cache/bmlb}"
dir="$cache/kube-v${K8S_VERSION}"
bin="$dir/bin"
stages="$dir/kwok-stages"
want=(kubectl kube-scheduler kube-controller-manager kube-apiserver kwok)

log() { printf '[kube-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

missing() {
  local b
  for b in "${want[@]}"; do [ -x "$bin/$b" ] || echo "$b"; done
  [ -d "$stages/node/fast" ] || echo kwok-stages
}

if [ -z "$(missing)" ]; then echo "$bin"; exit 0; fi

mkdir -p "$bin"
# One build at a time per cache; whoever waited finds the work done.
exec 9>"$dir/.build.lock"
if ! flock -n 9; then
  log "another build holds $dir/.build.lock; waiting for it"
  flock 9
fi
todo=$(missing | tr '\n' ' ')
if [ -z "$todo" ]; then echo "$bin"; exit 0; fi

# Go: the version the kubernetes module asks for, without fetching another toolchain.
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
need_go="1.26"
if ! command -v "$GO" >/dev/null; then
  log "Go is not installed; need Go >= ${need_go} (https://go.dev/dl/) to build Kubernetes v${K8S_VERSION}"
  exit 1
fi
have_go=$("$GO" env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -1)" != "$need_go" ]; then
  log "Go ${have_go} is too old; Kubernetes v${K8S_VERSION} needs Go >= ${need_go}"
  exit 1
fi

log "building ${todo}(Kubernetes v${K8S_VERSION}, kwok v${KWOK_VERSION}, Go ${have_go}) into $dir"
log "a cold build takes about a quarter of an hour on 2 cores"

# A module that requires k8s.io/kubernetes and imports its commands, so `go build` resolves them.
# k8s.io/kubernetes replaces its staging modules (k8s.io/api, ...) with ./staging/... paths that
# only exist in its own repository; pin each to the published v0.<minor>.<patch> instead.
mod="$dir/module"
if [ ! -f "$mod/go.sum" ]; then
  log "resolving the k8s.io/kubernetes module graph"
  mkdir -p "$mod"
  cd "$mod"
  cat >go.mod <<EOF
module bmlb.local/kube-bins

go ${need_go}

require k8s.io/kubernetes v${K8S_VERSION}
EOF
  cat >tools.go <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
EOF
  kmod=$("$GO" mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  staging_version="v0.${K8S_VERSION#1.}"
  grep -E '^\s*k8s\.io/[^ ]+ => \./staging/' "$kmod" | awk '{print $1}' | while read -r m; do
    echo "replace $m => $m ${staging_version}" >>go.mod
  done
  "$GO" mod tidy -e >&2
fi
cd "$mod"

# Version stamps, as the Kubernetes release build sets them (`kubectl version` shows them).
IFS=. read -r major minor _ <<<"$K8S_VERSION"
ldflags=(
  -s -w
  -X "k8s.io/component-base/version.gitVersion=v${K8S_VERSION}"
  -X "k8s.io/component-base/version.gitMajor=${major}"
  -X "k8s.io/component-base/version.gitMinor=${minor}"
  -X "k8s.io/component-base/version.gitTreeState=clean"
  -X "k8s.io/client-go/pkg/version.gitVersion=v${K8S_VERSION}"
  -X "k8s.io/client-go/pkg/version.gitMajor=${major}"
  -X "k8s.io/client-go/pkg/version.gitMinor=${minor}"
)

# Each binary is written to a temporary name and renamed, so an interrupted build leaves no
# half-written binary that would pass for a built one.
for b in kubectl kube-scheduler kube-controller-manager kube-apiserver; do
  [ -x "$bin/$b" ] && continue
  log "go build $b"
  start=$(date +%s)
  "$GO" build -trimpath -ldflags "${ldflags[*]}" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b"
  mv "$bin/$b.tmp" "$bin/$b"
  log "$b built in $(($(date +%s) - start)) s"
done

if [ ! -x "$bin/kwok" ]; then
  log "go build kwok v${KWOK_VERSION}"
  start=$(date +%s)
  tmp=$(mktemp -d "$dir/.kwok.XXXXXX")
  GOBIN="$tmp" "$GO" install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v${KWOK_VERSION}"
  mv "$tmp/kwok" "$bin/kwok"
  rmdir "$tmp"
  log "kwok built in $(($(date +%s) - start)) s"
fi

# kwok's stage manifests (node: fast, heartbeat-with-lease; pod: fast) from its module.
if [ ! -d "$stages/node/fast" ]; then
  kwokmod=$("$GO" mod download -json "sigs.k8s.io/kwok@v${KWOK_VERSION}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  tmp=$(mktemp -d "$dir/.stages.XXXXXX")
  cp -r "$kwokmod/kustomize/stage/." "$tmp/"
  chmod -R u+w,go+rX "$tmp"
  rm -rf "$stages"
  mv "$tmp" "$stages"
  log "kwok stages copied to $stages"
fi
echo "$bin"
