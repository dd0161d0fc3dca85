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

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cache="${BMLB_CACHE:-/var/cache/bmlb}/images"
suite="${BMLB_IMAGE_SUITE:-bookworm}" # Debian 12, as the Dockerfiles' distroless/cc-debian12
packages=(libc6 libgcc-s1 libstdc++6 base-files)
apps=("$@")
[ ${#apps[@]} -gt 0 ] || apps=(speaker controller)
for a in "${apps[@]}"; do
  case "$a" in speaker | controller) ;; *)
    echo "build.sh: unknown image '$a' (speaker or controller)" >&2
    exit 2
    ;;
  esac
done

log() { printf '[images %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
t0=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
mb() { awk -v n="$1" 'BEGIN { printf "%.1f MB", n / 1e6 }'; }

if [ "$(id -u)" != 0 ]; then
  log "needs root (mmdebstrap's root mode and podman's system storage)"
  exit 1
fi

# Tools from Debian's packages, on a fresh machine.
need=()
for cmd in /usr/bin/mmdebstrap:mmdebstrap /usr/bin/buildah:buildah /usr/bin/podman:podman \
  /usr/sbin/runc:runc /usr/bin/strip:binutils /usr/bin/flock:util-linux; do
  [ -x "${cmd%%:*}" ] || need+=("${cmd##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

arch=$(dpkg --print-architecture)

# The machine's apt sources for Debian $suite (and its -updates and -security suites), as configured
# in /etc/apt; other repositories listed there are left out. deb822 stanzas, then one-line entries.
debian_sources_deb822() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" '
      function flush() {
        if (stanza != "" && keep) printf "%s\n", stanza
        stanza = ""; keep = 0
      }
      /^[[:space:]]*$/ { flush(); next }
      /^[[:space:]]*#/ { next }
      {
        stanza = stanza $0 "\n"
        if (tolower($1) == "suites:")
          for (i = 2; i <= NF; i++)
            if ($i == suite || $i == suite "-updates" || $i == suite "-security") keep = 1
      }
      END { flush() }' "$f"
  done
}
debian_sources_list() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) while ($i !~ /\]$/) i++
        if ($i ~ /^\[/ || $i ~ /\]$/) i++
        s = $(i + 1)
        if (s == suite || s == suite "-updates" || s == suite "-security") print
      }' "$f"
  done
}

# The root filesystem: the packages extracted (not configured: nothing here has a maintainer script
# the runtime needs), trimmed to what a Node process reads, with the users and dpkg's status.
make_rootfs() {
  local dir=$1
  shift
  mmdebstrap --quiet --variant=extract --include="$(
    IFS=,
    echo "${packages[*]}"
  )" \
    --architectures="$arch" --skip=cleanup/apt/cache --format=directory "$suite" "$dir" "$@"
  (
    cd "$dir"
    # dpkg's status from the packages' control files, so image scanners see what is installed.
    mkdir -p var/lib/dpkg
    : >var/lib/dpkg/status
    for deb in var/cache/apt/archives/*.deb; do
      dpkg-deb -f "$deb" | sed '1a Status: install ok installed' >>var/lib/dpkg/status
      echo >>var/lib/dpkg/status
    done
    # apt's and dpkg's working state, the host's files mmdebstrap copied in, device nodes (the
    # container runtime provides /dev), and what no Node process reads: docs but the copyright
    # files, iconv's charset modules (Node has ICU), debugger helpers, lintian overrides.
    rm -rf etc/apt etc/dpkg var/cache/apt var/lib/apt var/log/apt var/lib/dpkg/{info,triggers,updates,alternatives} \
      etc/fstab etc/hostname etc/resolv.conf dev/* usr/lib/*/gconv usr/share/gcc usr/share/gdb \
      usr/share/lintian usr/share/man usr/share/info
    find usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
    find usr/share/doc -depth -mindepth 1 -type d -empty -delete
    # The users the images run as: root (speaker) and nobody (controller), as distroless has them.
    printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
      'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' >etc/passwd
    printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >etc/group
    mkdir -p dev proc sys run root tmp var/tmp
    chmod 1777 tmp var/tmp
    chmod 0700 root
  )
}

deb822=$(debian_sources_deb822)
oneline=$(debian_sources_list)
sources_text="${deb822}${oneline}"
if [ -z "$sources_text" ]; then
  log "no apt source for Debian ${suite} in /etc/apt (sources.list, sources.list.d)"
  exit 1
fi
key=$(printf '%s\n' "$suite" "$arch" "${packages[*]}" "$sources_text" "$(declare -f make_rootfs)" |
  sha256sum | cut -c1-16)
rootfs_tar="$cache/rootfs-${suite}-${arch}-${key}.tar"

mkdir -p "$cache"
exec 9>"$cache/.build.lock"
if ! flock -n 9; then
  log "another build holds $cache/.build.lock; waiting for it"
  flock 9
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bmlb-images.XXXXXX")
containers=()
cleanup() {
  local c
  for c in "${containers[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if [ -f "$rootfs_tar" ]; then
  log "root filesystem: cached $rootfs_tar"
else
  t=$(date +%s.%N)
  log "root filesystem: mmdebstrap ${suite} (${packages[*]}) into $rootfs_tar"
  mirrors=()
  if [ -n "$deb822" ]; then
    printf '%s\n' "$deb822" >"$work/debian.sources"
    mirrors+=("$work/debian.sources")
  fi
  if [ -n "$oneline" ]; then
    printf '%s\n' "$oneline" >"$work/debian.list"
    mirrors+=("$work/debian.list")
  fi
  make_rootfs "$work/rootfs" "${mirrors[@]}"
  tar -C "$work/rootfs" --sort=name --numeric-owner -cf "$rootfs_tar.tmp" .
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf "$work/rootfs"
  log "root filesystem: $(du -h "$rootfs_tar" | cut -f1) in $(elapsed "$t")"
fi

# Stage the apps (build, pnpm deploy, prune; the stripped Node).
for a in "${apps[@]}"; do
  t=$(date +%s.%N)
  deploy/images/stage-app.sh "$a" "$work/$a"
  log "$a staged in $(elapsed "$t")"
done

# The runtime layer: root filesystem + Node, keyed by both.
node_sha=$(sha256sum "$work/${apps[0]}/node" | cut -c1-16)
runtime="localhost/bmlb-runtime:$(printf '%s %s' "$key" "$node_sha" | sha256sum | cut -c1-16)"
if podman image exists "$runtime"; then
  log "runtime layer: $runtime exists"
else
  t=$(date +%s.%N)
  c=$(buildah from scratch)
  containers+=("$c")
  buildah add --quiet "$c" "$rootfs_tar" / >/dev/null
  buildah copy --quiet --chown 0:0 --chmod 0755 "$c" "$work/${apps[0]}/node" /usr/local/bin/node >/dev/null
  buildah config --os linux --arch "$arch" --env PATH=/usr/local/bin:/usr/bin:/bin \
    --label "org.opencontainers.image.base.name=debian:${suite} (mmdebstrap: ${packages[*]})" "$c"
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

log "done in $(elapsed "$t0")"
for a in "${apps[@]}"; do
  version=$(node_modules/node/bin/node -p "require('./apps/$a/package.json').version")
  image="localhost/bmlb-${a}:${version}"
  bytes=$(podman image inspect --format '{{.Size}}' "$image")
  app_bytes=$(du -sb "$work/$a/app" | cut -f1)
  printf '%s\t%s\t(app %s on the shared %s)\n' "$image" "$(mb "$bytes")" "$(mb "$app_bytes")" "$runtime"
done
