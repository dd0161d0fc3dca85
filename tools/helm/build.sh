#!/usr/bin/env bash
# Builds the Helm CLI from the Go module helm.sh/helm/v4 into a cache outside the repo keyed by
# version (the same cache as tools/kube/build.sh), and copies beside it the prometheus-operator CRDs
# (ServiceMonitor, PodMonitor, PrometheusRule) from the Go module of that name, so the chart's
# optional monitoring objects can be applied to a test API server. The deploy tests
# (packages/k8s-adapter src/deploy.interop.test.ts) run `helm lint` and `helm template` with them.
# A warm cache returns at once. Progress goes to stderr; the last line on stdout is the path of the
# helm binary.
#
#   tools/helm/build.sh                        # build if missing, print the binary's path
#   BMLB_CACHE=/some/dir tools/helm/build.sh   # cache elsewhere (default /var/cache/bmlb)
#
# Needs Go >= the go directive of helm.sh/helm/v4 and the network for the Go module proxy (about
# 60 MB of modules for helm, 27 MB for prometheus-operator). Measured here on 2 cores: 180 s, with
# Go's build cache already holding what tools/kube/build.sh compiled (client-go, apimachinery).
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-4.3.2}"
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-0.85.0}"
GO="${GO:-go}"
cache="${BMLB_CACHE:-/var/cache/bmlb}"
dir="$cache/helm-v${HELM_VERSION}"
bin="$dir/bin"
crds="$cache/prometheus-operator-v${PROMETHEUS_OPERATOR_VERSION}/crds"
crd_files=(monitoring.coreos.com_servicemonitors.yaml monitoring.coreos.com_podmonitors.yaml
  monitoring.coreos.com_prometheusrules.yaml)

log() { printf '[helm-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

done_already() { [ -x "$bin/helm" ] && [ -f "$crds/${crd_files[-1]}" ]; }
if done_already; then echo "$bin/helm"; exit 0; fi

mkdir -p "$bin"
# One build at a time per cache; whoever waited finds the work done.
exec 9>"$dir/.build.lock"
if ! flock -n 9; then
  log "another build holds $dir/.build.lock; waiting for it"
  flock 9
fi
if done_already; then echo "$bin/helm"; exit 0; fi

export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
if ! command -v "$GO" >/dev/null; then
  log "Go is not installed; need Go (https://go.dev/dl/) to build Helm v${HELM_VERSION}"
  exit 1
fi

# Version stamps as Helm's Makefile sets them (`helm version` shows them; `helm template` uses the
# version for .Capabilities.HelmVersion).
ldflags=(-s -w -X "helm.sh/helm/v4/internal/version.version=v${HELM_VERSION}"
  -X "helm.sh/helm/v4/internal/version.gitTreeState=clean")

if [ ! -x "$bin/helm" ]; then
  log "go install helm.sh/helm/v4/cmd/helm@v${HELM_VERSION} ($("$GO" env GOVERSION)) into $bin"
  start=$(date +%s)
  # Installed into a temporary directory and renamed, so an interrupted build leaves no half-written
  # binary that would pass for a built one.
  tmp=$(mktemp -d "$dir/.helm.XXXXXX")
  GOBIN="$tmp" "$GO" install -trimpath -ldflags "${ldflags[*]}" "helm.sh/helm/v4/cmd/helm@v${HELM_VERSION}"
  mv "$tmp/helm" "$bin/helm"
  rmdir "$tmp"
  log "helm $("$bin/helm" version --short) built in $(($(date +%s) - start)) s"
fi

if [ ! -f "$crds/${crd_files[-1]}" ]; then
  mod=$("$GO" mod download -json "github.com/prometheus-operator/prometheus-operator@v${PROMETHEUS_OPERATOR_VERSION}" |
    sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  mkdir -p "$(dirname "$crds")"
  tmp=$(mktemp -d "$(dirname "$crds")/.crds.XXXXXX")
  for f in "${crd_files[@]}"; do cp "$mod/example/prometheus-operator-crd/$f" "$tmp/"; done
  chmod 0644 "$tmp"/*
  chmod 0755 "$tmp"
  rm -rf "$crds"
  mv "$tmp" "$crds"
  log "prometheus-operator v${PROMETHEUS_OPERATOR_VERSION} CRDs copied to $crds"
fi
echo "$bin/helm"
