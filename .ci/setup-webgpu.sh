#!/usr/bin/env bash
# Install a software Vulkan driver (Mesa lavapipe) so that Dawn -- the `webgpu` npm package's dawn.node --
# finds a WebGPU adapter on a machine without a GPU, and @tensorflow/tfjs-backend-webgpu runs in Node on it.
#
#   bash .ci/setup-webgpu.sh          # as root, or as a user with sudo
#   ICD=$(bash .ci/setup-webgpu.sh)   # stdout is only the ICD json path; the log goes to stderr
#
# On Debian bookworm the lavapipe of bookworm's own Mesa (22.3) is rejected by Dawn, so mesa-vulkan-drivers
# comes from bookworm-backports (Mesa 25). The backports source is added if missing, reusing the mirror URL of the
# machine's existing bookworm source (no host is hard-coded). Only the backports package list is refreshed when
# the bookworm lists are already on disk. Idempotent: a second run with everything in place touches nothing.
#
# Then point the Vulkan loader at lavapipe only (other Mesa ICDs are for GPUs and only slow the probe down):
#   export VK_DRIVER_FILES=<printed path>     # Vulkan loader >= 1.3.207 (bookworm ships 1.3.239)
#   export VK_ICD_FILENAMES=<printed path>    # older name, still honoured; set both
# Under GitHub Actions both are also appended to $GITHUB_ENV. registerWebgpuBackend({ icdPath }) in
# packages/core/src/backends/webgpu.ts sets them itself when given the path.
set -euo pipefail

# The oldest Mesa whose lavapipe Dawn has been seen to accept here (bookworm's 22.3.6 is rejected).
MIN_MESA=25~
PACKAGES_BASE=(libvulkan1)

log() { printf '[setup-webgpu] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  die "apt-get/dpkg not found: this script supports Debian (bookworm) and its derivatives only."
fi

# shellcheck disable=SC1091
. /etc/os-release
CODENAME="${VERSION_CODENAME:-}"
[ -n "$CODENAME" ] || die "cannot read VERSION_CODENAME from /etc/os-release."

installed_version() { # prints the installed version of $1, or nothing
  dpkg-query -W -f='${db:Status-Status} ${Version}\n' "$1" 2>/dev/null | awk '$1 == "installed" { print $2 }'
}

find_icd() { # prints the lavapipe ICD json installed by mesa-vulkan-drivers, or nothing
  local f arch
  arch="$(uname -m)"
  for f in /usr/share/vulkan/icd.d/lvp_icd."$arch".json /usr/share/vulkan/icd.d/lvp_icd.json \
    /etc/vulkan/icd.d/lvp_icd."$arch".json; do
    if [ -f "$f" ]; then
      printf '%s\n' "$f"
      return
    fi
  done
  dpkg-query -L mesa-vulkan-drivers 2>/dev/null | grep -m1 -E '/lvp_icd[^/]*\.json$' || true
}

ready() { # mesa-vulkan-drivers new enough, libvulkan1 present, ICD and its library on disk
  local v icd lib
  v="$(installed_version mesa-vulkan-drivers)"
  [ -n "$v" ] && dpkg --compare-versions "$v" ge "$MIN_MESA" || return 1
  [ -n "$(installed_version libvulkan1)" ] || return 1
  icd="$(find_icd)"
  [ -n "$icd" ] || return 1
  lib="$(sed -n 's/.*"library_path"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$icd" | head -n1)"
  [ -z "$lib" ] || [ "${lib#/}" = "$lib" ] || [ -e "$lib" ] || return 1
}

report() {
  local icd
  icd="$(find_icd)"
  log "mesa-vulkan-drivers $(installed_version mesa-vulkan-drivers), libvulkan1 $(installed_version libvulkan1)"
  log "lavapipe ICD: $icd"
  log "use it with:  export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd"
  if [ -n "${GITHUB_ENV:-}" ] && [ -w "$GITHUB_ENV" ]; then
    printf 'VK_DRIVER_FILES=%s\nVK_ICD_FILENAMES=%s\n' "$icd" "$icd" >>"$GITHUB_ENV"
    log "(also written to \$GITHUB_ENV)"
  fi
  printf '%s\n' "$icd"
}

if ready; then
  log "already installed, nothing to do."
  report
  exit 0
fi

# --- privileges: root, or sudo (non-interactive; interactive only when a terminal can prompt) ---
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
  SUDO=(sudo)
else
  die "installing packages needs root: run this script as root or as a user with (passwordless) sudo.
  What it would install: libvulkan1 and mesa-vulkan-drivers (Mesa >= 25, from ${CODENAME}-backports on bookworm)."
fi
as_root() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@"; }

APT_INSTALL=(apt-get install -y -q --no-install-recommends
  -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-unsafe-io -o Dpkg::Options::=--force-confold)

start=$(date +%s)
TMPD="$(mktemp -d)"
trap 'rm -rf "$TMPD"' EXIT

if [ "$CODENAME" = bookworm ]; then
  BP="${CODENAME}-backports"
  # The configured sources as apt itself reads them (deb822 .sources and one-line .list files alike).
  # shellcheck disable=SC2016 # $(RELEASE) etc. are apt's format fields, not shell
  TARGETS="$(apt-get indextargets --no-release-info --format '$(RELEASE) $(REPO_URI)' 'Identifier: Packages' | sort -u)"
  MAIN_URI="$(awk -v r="$CODENAME" '$1 == r { print $2; exit }' <<<"$TARGETS")"
  BP_URI="$(awk -v r="$BP" '$1 == r { print $2; exit }' <<<"$TARGETS")"

  if [ -z "$BP_URI" ]; then
    [ -n "$MAIN_URI" ] || die "no '$CODENAME' apt source is configured, so there is no mirror to reuse for $BP."
    # Reuse the Signed-By of the deb822 stanza that carries the bookworm suite, else Debian's archive keyring.
    SIGNED_BY="$(awk -v u="${MAIN_URI%/}" -v s="$CODENAME" 'BEGIN { RS = ""; FS = "\n" }
      { uris = ""; suites = ""; key = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) uris = " " substr($i, 6) " "
          else if ($i ~ /^Suites:/) suites = " " substr($i, 8) " "
          else if ($i ~ /^Signed-By:[[:space:]]*[^[:space:]]/) { key = substr($i, 11); gsub(/^[[:space:]]+|[[:space:]]+$/, "", key) }
        }
        gsub(/[[:space:]]+/, " ", uris); gsub(/\/ /, " ", uris); gsub(/[[:space:]]+/, " ", suites)
        if (index(uris, " " u " ") && index(suites, " " s " ") && key != "") { print key; exit } }' \
      /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
    if [ -z "$SIGNED_BY" ] && [ -f /usr/share/keyrings/debian-archive-keyring.gpg ]; then
      SIGNED_BY=/usr/share/keyrings/debian-archive-keyring.gpg
    fi
    {
      echo "# Added by .ci/setup-webgpu.sh: Mesa lavapipe (software Vulkan) for Dawn/WebGPU without a GPU."
      echo "Types: deb"
      echo "URIs: $MAIN_URI"
      echo "Suites: $BP"
      echo "Components: main"
      [ -z "$SIGNED_BY" ] || echo "Signed-By: $SIGNED_BY"
    } >"$TMPD/$BP.sources"
    log "adding apt source /etc/apt/sources.list.d/$BP.sources (mirror $MAIN_URI)"
    as_root install -m 0644 "$TMPD/$BP.sources" "/etc/apt/sources.list.d/$BP.sources"
    BP_URI="$MAIN_URI"
  else
    log "apt source for $BP already configured ($BP_URI)"
  fi

  # Refresh only the backports list when bookworm's lists are already on disk; otherwise a full update.
  main_lists_present=false
  # shellcheck disable=SC2016 # $(FILENAME) is an apt format field
  while read -r f; do
    if compgen -G "${f}*" >/dev/null; then main_lists_present=true; fi
  done < <(apt-get indextargets --no-release-info --format '$(FILENAME)' 'Identifier: Packages' "Release: $CODENAME")
  if $main_lists_present; then
    mkdir -p "$TMPD/parts"
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\n' "$BP_URI" "$BP" >"$TMPD/parts/$BP.sources"
    [ ! -f "/etc/apt/sources.list.d/$BP.sources" ] || cp "/etc/apt/sources.list.d/$BP.sources" "$TMPD/parts/$BP.sources"
    chmod -R a+rX "$TMPD"
    log "apt-get update ($BP only)"
    as_root apt-get update -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$TMPD/parts" \
      -o APT::Get::List-Cleanup=0 >&2
  else
    log "apt-get update (no package lists on disk yet)"
    as_root apt-get update -q >&2 || log "apt-get update reported errors; trying the install anyway"
  fi
  PACKAGES=("${PACKAGES_BASE[@]}" "mesa-vulkan-drivers/$BP")
else
  log "not bookworm ($CODENAME): installing mesa-vulkan-drivers from the configured suites"
  as_root apt-get update -q >&2 || log "apt-get update reported errors; trying the install anyway"
  PACKAGES=("${PACKAGES_BASE[@]}" mesa-vulkan-drivers)
fi

log "apt-get install ${PACKAGES[*]}"
if ! as_root "${APT_INSTALL[@]}" "${PACKAGES[@]}" >&2; then
  # Usually stale lists (a package was superseded on the mirror): refresh everything once and retry.
  log "install failed; refreshing all package lists and retrying once"
  as_root apt-get update -q >&2 || true
  as_root "${APT_INSTALL[@]}" "${PACKAGES[@]}" >&2
fi

ready || die "mesa-vulkan-drivers $(installed_version mesa-vulkan-drivers) is installed but Dawn needs Mesa >= ${MIN_MESA%\~} with its lavapipe ICD (lvp_icd.*.json)."
log "done in $(($(date +%s) - start)) s"
report
