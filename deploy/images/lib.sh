# Shared by build.sh and check-dockerfiles.sh (sourced, not run): logging, the tools from Debian's
# packages, the machine's Debian apt sources, and root filesystems from mmdebstrap cached by their
# inputs in ${BMLB_CACHE:-/var/cache/bmlb}/images.
# shellcheck shell=bash

# shellcheck disable=SC2034 # used by the scripts that source this
images_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
images_cache="${BMLB_CACHE:-/var/cache/bmlb}/images"
suite="${BMLB_IMAGE_SUITE:-bookworm}" # Debian 12, as the Dockerfiles' base images
arch=""
# The runtime's packages: what Node and koffi (libc.so.6) need, and base-files (os-release).
runtime_packages=(libc6 libgcc-s1 libstdc++6 base-files)

log() { printf '[%s %s] %s\n' "${log_name:-images}" "$(date +%H:%M:%S)" "$*" >&2; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
mb() { awk -v n="$1" 'BEGIN { printf "%.1f MB", n / 1e6 }'; }

# Root, the tools (installed from Debian's packages when missing: CI runs on a fresh machine), and
# one build at a time per cache: whoever waited finds the work done.
images_setup() {
  if [ "$(id -u)" != 0 ]; then
    log "needs root (mmdebstrap's root mode and podman's system storage)"
    exit 1
  fi
  local need=() cmd
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
  mkdir -p "$images_cache"
  exec 9>"$images_cache/.build.lock"
  if ! flock -n 9; then
    log "another build holds $images_cache/.build.lock; waiting for it"
    flock 9
  fi
}

# The machine's apt sources for Debian $suite (and its -updates and -security suites), as configured
# in /etc/apt; other repositories listed there are left out.
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

# cached_rootfs NAME RECIPE [KEY...]: prints the path of NAME's root filesystem tarball, built when
# missing by `RECIPE DIR MIRROR...` (MIRROR: files of apt sources, as mmdebstrap takes them). The key
# hashes the suite, the architecture, the apt sources, RECIPE's text and KEY.
cached_rootfs() {
  local name=$1 recipe=$2
  shift 2
  local deb822 oneline key tar tmp t mirrors=()
  deb822=$(debian_sources_deb822)
  oneline=$(debian_sources_list)
  if [ -z "${deb822}${oneline}" ]; then
    log "no apt source for Debian ${suite} in /etc/apt (sources.list, sources.list.d)"
    return 1
  fi
  key=$(printf '%s\n' "$suite" "$arch" "$deb822" "$oneline" "$(declare -f "$recipe")" "$@" |
    sha256sum | cut -c1-16)
  tar="$images_cache/${name}-${suite}-${arch}-${key}.tar"
  if [ -f "$tar" ]; then
    log "$name: cached $tar"
    echo "$tar"
    return 0
  fi
  t=$(date +%s.%N)
  tmp=$(mktemp -d "$images_cache/.${name}.XXXXXX")
  if [ -n "$deb822" ]; then
    printf '%s\n' "$deb822" >"$tmp/debian.sources"
    mirrors+=("$tmp/debian.sources")
  fi
  if [ -n "$oneline" ]; then
    printf '%s\n' "$oneline" >"$tmp/debian.list"
    mirrors+=("$tmp/debian.list")
  fi
  log "$name: mmdebstrap ${suite} into $tar"
  "$recipe" "$tmp/rootfs" "${mirrors[@]}"
  tar -C "$tmp/rootfs" --sort=name --numeric-owner -cf "$tar.tmp" .
  mv "$tar.tmp" "$tar"
  rm -rf "$tmp"
  log "$name: $(du -h "$tar" | cut -f1) in $(elapsed "$t")"
  echo "$tar"
}

# The runtime's root filesystem: the packages extracted (not configured: nothing here has a
# maintainer script the runtime needs), trimmed to what a Node process reads, with the users and
# dpkg's status. In place of the Dockerfiles' gcr.io/distroless/cc-debian12.
runtime_rootfs() {
  local dir=$1
  shift
  mmdebstrap --quiet --variant=extract --include="$(
    IFS=,
    echo "${runtime_packages[*]}"
  )" \
    --architectures="$arch" --skip=cleanup/apt/cache --format=directory "$suite" "$dir" "$@"
  (
    cd "$dir" || exit 1
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
