#!/bin/sh
# check-install.sh: installs a build into a staging directory and builds a program
# against it with nothing but `pkg-config --cflags --libs xulstore-1`, as a user would.
#
# Usage: build-aux/check-install.sh BUILD_DIR
set -eu

build=$(cd "$1" && pwd)
source_dir=$(cd "$(dirname "$0")/.." && pwd)
stage="$build/stage"

rm -rf "$stage"
meson install -C "$build" --destdir "$stage" --quiet

pc_file=$(find "$stage" -name 'xulstore-1.pc' | head -n 1)
if [ -z "$pc_file" ]; then
  echo "check-install: meson install wrote no xulstore-1.pc" >&2
  exit 1
fi

# The staged files live under $stage: point the .pc file's prefix there, as a relocated
# install would, and leave every other package's .pc file alone.
mkdir -p "$stage/pkgconfig"
prefix=$(sed -n 's/^prefix=//p' "$pc_file")
sed "s|^prefix=.*|prefix=$stage$prefix|" "$pc_file" > "$stage/pkgconfig/xulstore-1.pc"
export PKG_CONFIG_PATH="$stage/pkgconfig"
flags=$(pkg-config --cflags --libs xulstore-1)
libdir=$(pkg-config --variable=libdir xulstore-1)

cc -std=c11 -Wall -Wextra -Werror -o "$build/installed-hello" \
  "$source_dir/examples/kv-hello.c" $flags
LD_LIBRARY_PATH="$libdir" "$build/installed-hello" "$build/installed-hello.sqlite"
rm -f "$build"/installed-hello.sqlite*
echo "check-install: pkg-config --cflags --libs xulstore-1 builds and runs a program"
