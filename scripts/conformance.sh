#!/usr/bin/env bash
# Build Google's protobuf `conformance_test_runner` (issue #3) and print its path.
#
#   scripts/conformance.sh            build if needed, print the runner's absolute path on stdout
#   scripts/conformance.sh --rebuild  ignore the cache
#
# The runner is built from Debian's `protobuf` source package at exactly the version of the
# installed `libprotobuf-dev`, and linked against that library. The source's own cmake
# `conformance_test_runner` target does not link in 3.21.12, so the runner's own sources are
# compiled by hand:
#   1. make sure `libprotobuf-dev`, `protobuf-compiler`, `dpkg-dev` and `g++` are installed;
#   2. make sure apt has deb-src entries (copied from the Debian `deb` entries if missing);
#   3. `apt-get source protobuf=<version>`;
#   4. protoc --cpp_out for conformance.proto and test_messages_proto{2,3}.proto;
#   5. g++ the runner's own .cc files + jsoncpp + the generated .pb.cc, link -lprotobuf.
#
# The result is cached as .cache/conformance/<version>/conformance_test_runner, so a second run
# only checks that the binary is there and prints its path. Progress goes to stderr.
# Needs root (or sudo) only when packages or the deb-src entries are missing. Non-interactive:
# safe under CI=true with no stdin.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache/conformance"
REBUILD=0
for arg in "$@"; do
  case "$arg" in
    --rebuild) REBUILD=1 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "conformance.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { echo "conformance.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi
fi
export DEBIAN_FRONTEND=noninteractive

APT_UPDATED=0
apt_update() {
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    $SUDO apt-get update -qq >&2 || die "apt-get update failed"
    APT_UPDATED=1
  fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# 1. Packages.
NEED=()
for pkg in libprotobuf-dev protobuf-compiler dpkg-dev g++; do
  installed "$pkg" || NEED+=("$pkg")
done
if [ "${#NEED[@]}" -gt 0 ]; then
  apt_update
  log "apt-get install ${NEED[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends "${NEED[@]}" >&2 </dev/null || die "apt-get install ${NEED[*]} failed"
fi

VERSION="$(dpkg-query -W -f='${source:Version}' libprotobuf-dev)"
PROTOC_VERSION="$(protoc --version | awk '{print $2}')"
[ -n "$VERSION" ] || die "cannot read the libprotobuf-dev version"
OUT="$CACHE/$VERSION"
RUNNER="$OUT/conformance_test_runner"

# Cache hit: the binary exists and its shared libraries resolve.
if [ "$REBUILD" = 0 ] && [ -x "$RUNNER" ] && ! ldd "$RUNNER" 2>/dev/null | grep -q "not found"; then
  log "cached runner for protobuf $VERSION"
  echo "$RUNNER"
  exit 0
fi

# 2. deb-src entries. Debian bookworm keeps its sources in deb822 form
# (/etc/apt/sources.list.d/debian.sources); older systems use one-line sources.list.
# We never edit the system's files: missing deb-src entries go into a file of our own, copied
# from the entries for this release's suites.
has_deb_src() {
  grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list && return 0
  grep -Eqs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources && return 0
  return 1
}
if ! has_deb_src; then
  CODENAME="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  [ -n "$CODENAME" ] || die "no deb-src entries in apt's sources and no VERSION_CODENAME in /etc/os-release"
  OURS=/etc/apt/sources.list.d/protozmq-deb-src.sources
  TMP="$(mktemp)"
  # deb822: every stanza whose Suites name this release (e.g. "bookworm bookworm-updates",
  # "bookworm-security"), with Types set to deb-src.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] && [ "$f" != "$OURS" ] || continue
    awk -v code="$CODENAME" '
      function flush() {
        if (stanza != "" && suites ~ ("(^|[[:space:]])" code "([-[:space:]]|$)") && types ~ /(^|[[:space:]])deb([[:space:]]|$)/) {
          print stanza; print ""
        }
        stanza = ""; suites = ""; types = ""
      }
      /^[[:space:]]*$/ { flush(); next }
      /^#/ { next }
      /^Types:/ { types = $0; sub(/^Types:.*/, "Types: deb-src") }
      /^Suites:/ { suites = $0 }
      { stanza = stanza (stanza == "" ? "" : "\n") $0 }
      END { flush() }
    ' "$f" >>"$TMP"
  done
  # One-line format.
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] || continue
    grep -E "^[[:space:]]*deb[[:space:]].*[[:space:]]$CODENAME([-[:space:]]|$)" "$f" 2>/dev/null |
      sed -E 's/^[[:space:]]*deb[[:space:]]/deb-src /' |
      awk -v code="$CODENAME" 'BEGIN{} { printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $2, $3; for (i = 4; i <= NF; i++) printf " %s", $i; printf "\n\n" }' >>"$TMP" || true
  done
  # Options in brackets ("deb [signed-by=...] uri") are not carried over by the one-line copy
  # above; the Debian keyring is the default trust anchor there.
  [ -s "$TMP" ] || die "found no Debian '$CODENAME' entries in apt's sources to copy as deb-src"
  log "adding deb-src entries in $OURS"
  $SUDO install -m 0644 "$TMP" "$OURS" || die "cannot write $OURS (run as root)"
  rm -f "$TMP"
  APT_UPDATED=0
  apt_update
fi

# 3. The source package, at the installed version.
WORK="$CACHE/build-$VERSION"
SRC_PARENT="$WORK/src"
SRC="$(find "$SRC_PARENT" -maxdepth 1 -mindepth 1 -type d -name 'protobuf-*' 2>/dev/null | head -n1 || true)"
if [ -z "$SRC" ] || [ ! -f "$SRC/conformance/conformance_test_runner.cc" ]; then
  rm -rf "$SRC_PARENT"
  mkdir -p "$SRC_PARENT"
  if ! (cd "$SRC_PARENT" && apt-get source -qq "protobuf=$VERSION" >&2 </dev/null); then
    apt_update
    (cd "$SRC_PARENT" && apt-get source -qq "protobuf=$VERSION" >&2 </dev/null) || die "apt-get source protobuf=$VERSION failed"
  fi
  SRC="$(find "$SRC_PARENT" -maxdepth 1 -mindepth 1 -type d -name 'protobuf-*' | head -n1)"
fi
[ -f "$SRC/conformance/conformance_test_runner.cc" ] || die "unexpected source layout in $SRC_PARENT"
log "protobuf source: $SRC"

# 4. Generated C++. The runner's sources include "conformance.pb.h" and
# <google/protobuf/test_messages_proto{2,3}.pb.h>.
GEN="$WORK/gen"
rm -rf "$GEN"
mkdir -p "$GEN"
(cd "$SRC" && protoc -I. --cpp_out="$GEN" conformance/conformance.proto)
(cd "$SRC/src" && protoc -I. --cpp_out="$GEN" \
  google/protobuf/test_messages_proto3.proto google/protobuf/test_messages_proto2.proto)

# 5. Compile and link. -idirafter: the runner includes one stubs header that the installed
# libprotobuf-dev does not ship; taking it from the source tree *after* the system headers keeps
# every other header coming from the installed (ABI-matching) package.
C="$SRC/conformance"
SOURCES=(
  "$C/conformance_test_main.cc"
  "$C/conformance_test_runner.cc"
  "$C/conformance_test.cc"
  "$C/binary_json_conformance_suite.cc"
  "$C/text_format_conformance_suite.cc"
  "$C/third_party/jsoncpp/jsoncpp.cpp"
  "$GEN/conformance/conformance.pb.cc"
  "$GEN/google/protobuf/test_messages_proto3.pb.cc"
  "$GEN/google/protobuf/test_messages_proto2.pb.cc"
)
OBJ="$WORK/obj"
mkdir -p "$OBJ" "$OUT"
JOBS="$(nproc 2>/dev/null || echo 2)"
log "compiling ${#SOURCES[@]} files with g++ ($JOBS jobs, about a minute)"
START=$(date +%s)
pids=()
objs=()
for s in "${SOURCES[@]}"; do
  o="$OBJ/$(basename "$s").o"
  objs+=("$o")
  g++ -std=c++17 -O1 -w -c "$s" -o "$o" \
    -I"$GEN" -I"$GEN/conformance" -I"$C" -idirafter "$SRC/src" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "$JOBS" ]; then
    wait "${pids[0]}" || die "compile failed"
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || die "compile failed"; done
g++ -o "$RUNNER.tmp" "${objs[@]}" -lprotobuf -lpthread
mv "$RUNNER.tmp" "$RUNNER"
log "built $RUNNER in $(( $(date +%s) - START ))s (protobuf $VERSION, protoc $PROTOC_VERSION)"
rm -rf "$OBJ"
echo "$RUNNER"
