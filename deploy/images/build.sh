#!/usr/bin/env bash
# Builds the speaker and controller OCI images on this machine, without any registry: no base image
# is pulled. The runtime is a root filesystem of Debian 12 packages (the glibc, libstdc++ and
# libgcc that Node and koffi's libc calls need, and base-files) made by mmdebstrap from the
# machine's configured apt sources; on top of it the pinned Node 24 and the app, staged by
# stage-app.sh exactly as the Dockerfiles' build stage stages them. buildah assembles the layers:
#
#   localhost/bmlb-runtime:<key>       Debian libraries + /usr/local/bin/node (shared by both images)
#   localhost/bmlb-speaker:<version>    + /app, runs as root (see Dockerfile.speaker for the capabilities)
#   localhost/bmlb-controller:<version> + /app, runs as 65534:65534 (nobody)
#
# <version> is the app's package.json version; `:latest` points at the same image. Prints each
# image's size. The root filesystem is cached outside the repo, keyed by its inputs (suite,
# architecture, packages, the apt sources, this recipe): ${BMLB_CACHE:-/var/cache/bmlb}/images.
#
#   deploy/images/build.sh                     # both images
#   deploy/images/build.sh speaker             # one
#   BMLB_CACHE=/some/dir deploy/images/build.sh
#
# Needs root (mmdebstrap's root mode, podman's storage in /var/lib/containers) and
# `pnpm install --frozen-lockfile` done in the repo. Installs mmdebstrap, buildah, podman, runc and
# binutils from Debian's packages when they are missing. Progress goes to stderr; stdout gets one
# line per image: name, size.
set -euo pipefail

# shellcheck source=deploy/images/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$images_root"
apps=("$@")
[ ${#apps[@]} -gt 0 ] || apps=(speaker controller)
for a in "${apps[@]}"; do
  case "$a" in speaker | controller) ;; *)
    echo "build.sh: unknown image '$a' (speaker or controller)" >&2
    exit 2
    ;;
  esac
done
t0=$(date +%s.%N)
images_setup

work=$(mktemp -d "${TMPDIR:-/tmp}/bmlb-images.XXXXXX")
containers=()
cleanup() {
  local c
  for c in "${containers[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

rootfs_tar=$(cached_rootfs rootfs runtime_rootfs "${runtime_packages[*]}")

# Stage the apps (build, pnpm deploy, prune; the stripped Node).
for a in "${apps[@]}"; do
  t=$(date +%s.%N)
  deploy/images/stage-app.sh "$a" "$work/$a"
  log "$a staged in $(elapsed "$t")"
done

# The runtime layer: root filesystem + Node, keyed by both.
node_sha=$(sha256sum "$work/${apps[0]}/node" | cut -c1-16)
runtime="localhost/bmlb-runtime:$(printf '%s %s' "$rootfs_tar" "$node_sha" | sha256sum | cut -c1-16)"
if podman image exists "$runtime"; then
  log "runtime layer: $runtime exists"
else
  t=$(date +%s.%N)
  c=$(buildah from scratch)
  containers+=("$c")
  buildah add --quiet "$c" "$rootfs_tar" / >/dev/null
  buildah copy --quiet --chown 0:0 --chmod 0755 "$c" "$work/${apps[0]}/node" /usr/local/bin/node >/dev/null
  buildah config --os linux --arch "$arch" --env PATH=/usr/local/bin:/usr/bin:/bin \
    --label "org.opencontainers.image.base.name=debian:${suite} (mmdebstrap: ${runtime_packages[*]})" "$c"
  buildah commit --quiet --rm "$c" "$runtime" >/dev/null
  containers=()
  log "runtime layer: $runtime in $(elapsed "$t")"
fi

revision=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
for a in "${apps[@]}"; do
  t=$(date +%s.%N)
  node=node_modules/node/bin/node
  version=$("$node" -p "require('./apps/$a/package.json').version")
  description=$("$node" -p "require('./apps/$a/package.json').description")
  image="localhost/bmlb-${a}:${version}"
  case "$a" in
  speaker) user=0:0 ;;           # raw sockets, SO_BINDTODEVICE, port 179: Dockerfile.speaker says which
  controller) user=65534:65534 ;; # nobody: talks to the API server and serves HTTP(S) only
  esac
  previous=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  c=$(buildah from --pull-never "$runtime")
  containers+=("$c")
  buildah copy --quiet --chown 0:0 "$c" "$work/$a/app" /app >/dev/null
  buildah config \
    --entrypoint '["/usr/local/bin/node", "/app/dist/main.js"]' \
    --user "$user" --workingdir /app --env NODE_ENV=production \
    --label "org.opencontainers.image.title=bmlb-${a}" \
    --label "org.opencontainers.image.description=${description}" \
    --label "org.opencontainers.image.version=${version}" \
    --label "org.opencontainers.image.revision=${revision}" \
    --label "org.opencontainers.image.licenses=Apache-2.0" \
    "$c"
  buildah commit --quiet --rm "$c" "$image" >/dev/null
  containers=()
  podman tag "$image" "localhost/bmlb-${a}:latest"
  # The image this one replaces, unless something still uses it.
  if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect --format '{{.Id}}' "$image")" ]; then
    podman rmi "$previous" >/dev/null 2>&1 || true
  fi
  log "$image built in $(elapsed "$t")"
done

# Runtime layers of earlier keys: untagged (their storage goes with the last image built on them).
for old in $(podman images --format '{{.Repository}}:{{.Tag}}' localhost/bmlb-runtime); do
  [ "$old" = "$runtime" ] || podman rmi "$old" >/dev/null 2>&1 || true
done

log "done in $(elapsed "$t0")"
for a in "${apps[@]}"; do
  version=$(node_modules/node/bin/node -p "require('./apps/$a/package.json').version")
  image="localhost/bmlb-${a}:${version}"
  bytes=$(podman image inspect --format '{{.Size}}' "$image")
  app_bytes=$(du -sb "$work/$a/app" | cut -f1)
  printf '%s\t%s\t(app %s on the shared %s)\n' "$image" "$(mb "$bytes")" "$(mb "$app_bytes")" "$runtime"
done
