#!/usr/bin/env bash
# Builds Dockerfile.speaker and Dockerfile.controller here, where their base images can't be pulled,
# with stand-ins for them made from Debian's packages, then compares each result's files with
# build.sh's image of the same app and runs smoke.sh on the pair. Keeps the Dockerfiles honest on a
# machine without a registry.
#
#   node:24-bookworm (build)       mmdebstrap minbase with what the build stage uses of it (g++, make,
#                                  python3, binutils, git, ca-certificates), the pinned Node's release
#                                  files (the npm package node-linux-<arch>: bin, include, share) in
#                                  /usr/local, npm from the npm registry, and this machine's CA bundle
#                                  (so npm and pnpm in the build trust what this machine trusts)
#   gcr.io/distroless/cc-debian12  build.sh's runtime root filesystem (glibc, libgcc, libstdc++,
#                                  base-files, the users root and nobody)
#
# Tags localhost/bmlb-{speaker,controller}:dockerfile. Needs root, `pnpm install --frozen-lockfile`
# done, and the npm registry (the build stage installs pnpm and fetches the lockfile's packages).
#
#   deploy/images/build.sh && deploy/images/check-dockerfiles.sh
set -euo pipefail

log_name=dockerfiles
# shellcheck source=deploy/images/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$images_root"
npm_version="${BMLB_STANDIN_NPM:-11.19.1}"
tag=dockerfile
images_setup

work=$(mktemp -d "${TMPDIR:-/tmp}/bmlb-dockerfiles.XXXXXX")
trap 'rm -rf "$work"' EXIT

standin_node_rootfs() {
  local dir=$1
  shift
  mmdebstrap --quiet --variant=minbase --include=ca-certificates,g++,make,python3,binutils,git \
    --architectures="$arch" --format=directory "$suite" "$dir" "$@"
}
node_tar=$(cached_rootfs standin-node standin_node_rootfs)
runtime_tar=$(cached_rootfs rootfs runtime_rootfs "${runtime_packages[*]}")

release=""
for d in node_modules/node/node_modules/node-linux-*; do [ -x "$d/bin/node" ] && release="$d"; done
if [ -z "$release" ]; then
  log "no Node release files under node_modules/node/node_modules: run pnpm install first"
  exit 1
fi
node_version=$("$release/bin/node" --version)
ca=/etc/ssl/certs/ca-certificates.crt

key=$(printf '%s\n' "$node_tar" "$node_version" "$npm_version" "$(sha256sum "$ca")" | sha256sum | cut -c1-16)
node_image="localhost/bmlb-standin-node:${key}"
if podman image exists "$node_image"; then
  log "stand-in build image: $node_image exists"
else
  t=$(date +%s.%N)
  (cd "$work" && npm pack --silent "npm@${npm_version}" >/dev/null)
  mkdir -p "$work/local/lib/node_modules" "$work/local/bin"
  cp -a "$release"/{bin,include,share} "$work/local/"
  tar -xzf "$work/npm-${npm_version}.tgz" -C "$work"
  mv "$work/package" "$work/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/local/bin/npx"
  c=$(buildah from scratch)
  buildah add --quiet "$c" "$node_tar" / >/dev/null
  buildah copy --quiet "$c" "$work/local" /usr/local >/dev/null
  buildah copy --quiet "$c" "$ca" "$ca" >/dev/null
  buildah config --env PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin \
    --env NODE_EXTRA_CA_CERTS="$ca" --env npm_config_cafile="$ca" --cmd node "$c"
  buildah commit --quiet --rm "$c" "$node_image" >/dev/null
  log "stand-in build image: $node_image (Node ${node_version}, npm ${npm_version}) in $(elapsed "$t")"
fi
runtime_image="localhost/bmlb-standin-cc:$(basename "$runtime_tar" .tar | sed 's/.*-//')"
if ! podman image exists "$runtime_image"; then
  c=$(buildah from scratch)
  buildah add --quiet "$c" "$runtime_tar" / >/dev/null
  buildah config --env PATH=/usr/local/bin:/usr/bin:/bin "$c"
  buildah commit --quiet --rm "$c" "$runtime_image" >/dev/null
fi
log "stand-in runtime image: $runtime_image"

# The files of an image as a sorted list: path, type, size, mode. The .pnpm folder names of the
# workspace packages carry the build's path (file+<path>+packages+…): that part is left out.
files() {
  local c
  c=$(podman create "$1")
  podman export "$c" | tar -tv --numeric-owner | awk '{ print $1, $2, ($1 ~ /^d/ ? "-" : $3), $6 }' |
    sed -E 's/@file\+[^/]*\+packages\+/@file+…+packages+/' | sort -k4
  podman rm "$c" >/dev/null
}

failed=0
for a in speaker controller; do
  t=$(date +%s.%N)
  image="localhost/bmlb-${a}:${tag}"
  previous=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  log "podman build -f deploy/images/Dockerfile.${a} -t $image"
  # No layer cache: each build stage would stay behind as an image of ~1.7 GB.
  if ! podman build --runtime runc --network host --ulimit nofile=20000:20000 \
    --ulimit nproc=4096:4096 --pull=never --layers=false \
    --build-arg NODE_IMAGE="$node_image" --build-arg RUNTIME_IMAGE="$runtime_image" \
    -f "deploy/images/Dockerfile.${a}" -t "$image" . >"$work/build-${a}.log" 2>&1; then
    tail -30 "$work/build-${a}.log" >&2
    log "Dockerfile.${a}: the build failed"
    failed=1
    continue
  fi
  if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect --format '{{.Id}}' "$image")" ]; then
    podman rmi "$previous" >/dev/null 2>&1 || true # the image this one replaces
  fi
  size=$(podman image inspect --format '{{.Size}}' "$image")
  log "Dockerfile.${a}: $image, $(mb "$size"), built in $(elapsed "$t")"
  version=$(node_modules/node/bin/node -p "require('./apps/$a/package.json').version")
  local_image="localhost/bmlb-${a}:${version}"
  if podman image exists "$local_image"; then
    files "$image" | grep -E ' (app|usr/local/bin/node)' >"$work/docker.txt"
    files "$local_image" | grep -E ' (app|usr/local/bin/node)' >"$work/local.txt"
    if diff -u "$work/local.txt" "$work/docker.txt" >"$work/diff.txt"; then
      log "Dockerfile.${a}: /app and Node are file for file those of $local_image ($(wc -l <"$work/docker.txt") entries)"
    else
      log "Dockerfile.${a}: files differ from $local_image (- build.sh, + Dockerfile):"
      grep -E '^[-+]' "$work/diff.txt" | grep -v -E '^(---|\+\+\+) ' | head -20 >&2
      failed=1
    fi
  else
    log "no $local_image to compare with (deploy/images/build.sh makes it)"
  fi
done
[ "$failed" = 0 ] || exit 1
BMLB_IMAGE_TAG="$tag" deploy/images/smoke.sh
