#!/bin/sh
# check-examples.sh: runs the C and the Python example twice on one store and checks
# that the second run finds what the first stored.
# Usage: check-examples.sh C-EXAMPLE PY-EXAMPLE|-
set -eu

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$1" "$dir/c.sqlite" 1280 > /dev/null
"$1" "$dir/c.sqlite" | grep -qx 'stored width: 1280'

if [ "$2" != "-" ]; then
  /usr/bin/python3 "$2" "$dir/py.sqlite" 640 > /dev/null
  /usr/bin/python3 "$2" "$dir/py.sqlite" | grep -qx 'stored width: 640'
  # Both languages read the same file format.
  "$1" "$dir/py.sqlite" | grep -qx 'stored width: 640'
fi
echo "examples: ok"
