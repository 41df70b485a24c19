#!/bin/sh
# install-deps.sh: installs the Debian packages that building and testing need, and only
# those that are missing; does nothing (and needs no network) when all are present.
#
# Usage: build-aux/install-deps.sh [build|check|bench|fuzz]
#   build  what `make demo` needs: compiler, meson, libraries
#   check  also what `make check` needs: cmocka, valgrind, introspection
#   bench  what `make bench` needs: the build, and gnuplot for the plots
#   fuzz   what `make fuzz` needs: the build, clang and its libFuzzer runtime
set -eu

build_packages="gcc pkg-config meson ninja-build libglib2.0-dev libsqlite3-dev
  libjson-c-dev"
check_packages="libcmocka-dev valgrind gobject-introspection libgirepository1.0-dev
  python3-gi gi-docgen libgtk-4-dev gir1.2-gtk-4.0 xvfb xauth openbox"

case "${1:-check}" in
  build) wanted="$build_packages" ;;
  check) wanted="$build_packages $check_packages" ;;
  bench) wanted="$build_packages gnuplot-nox" ;;
  fuzz) wanted="$build_packages clang libclang-rt-14-dev" ;;
  *) echo "usage: $0 [build|check|bench|fuzz]" >&2; exit 2 ;;
esac

missing=""
for package in $wanted; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null || true)
  case "$status" in
    ii*) ;;
    *) missing="$missing $package" ;;
  esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages:$missing" >&2
  echo "Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi

echo "Installing missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists at all.
apt-get update -q
# shellcheck disable=SC2086 # the list is meant to split into words
apt-get install -y -q --no-install-recommends $missing
