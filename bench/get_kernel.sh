#!/usr/bin/env bash
# Unpack Debian's linux-source-6.1 outside the repository, for the benchmarks.
#
# Why a script: every bench here reads a real 6.1 tree at a fixed place, and the two
# versions the stable-fix benchmarks compare (6.1.176 and the installed release) must be
# unpacked the same way.  Nothing from the tree is executed; tar only extracts.
#
#   bench/get_kernel.sh [DEST] [VERSION]
#
# DEST defaults to /work/kernel.  Without VERSION the installed package's tarball is
# unpacked (apt-get install linux-source-6.1) into DEST/v<patchlevel>/; with VERSION
# (e.g. 6.1.176-1) that .deb is downloaded and unpacked into DEST/linux-source-6.1.
set -euo pipefail
dest=${1:-/work/kernel}
version=${2:-}
mkdir -p "$dest"
case "$(realpath "$dest")" in
  "$(realpath "$(dirname "$0")/..")"*) echo "get_kernel: $dest is inside the repository" >&2; exit 2 ;;
esac
if [ -z "$version" ]; then
  tarball=/usr/src/linux-source-6.1.tar.xz
  [ -f "$tarball" ] || { echo "get_kernel: $tarball missing: apt-get install linux-source-6.1" >&2; exit 2; }
  installed=$(dpkg-query -W -f '${Version}' linux-source-6.1)
  sub="v$(echo "$installed" | sed -E 's/^6\.1\.([0-9]+).*/\1/')"
  mkdir -p "$dest/$sub"
  tar -xJf "$tarball" -C "$dest/$sub"
  echo "$dest/$sub/linux-source-6.1 ($installed)"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download "linux-source-6.1=$version" >/dev/null)
  dpkg-deb -x "$work"/linux-source-6.1_*.deb "$work/x"
  tar -xJf "$work"/x/usr/src/linux-source-6.1.tar.xz -C "$dest"
  echo "$dest/linux-source-6.1 ($version)"
fi
