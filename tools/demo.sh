#!/bin/sh
# demo.sh: the tour that `make demo` runs: migrate a realistic legacy profile in
# dual-write mode, read and change a window's geometry, and show that the SQLite store
# and the legacy mirror agree.
#
# Usage: tools/demo.sh XULSTORE-BINARY
set -eu

xulstore=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
source_dir=$(cd "$(dirname "$0")/.." && pwd)
profile=$(mktemp -d "${TMPDIR:-/tmp}/xulstore-demo-XXXXXX")
doc=chrome://browser/content/browser.xhtml
xs() { "$xulstore" --profile "$profile" --mode dual-write "$@"; }

cp "$source_dir/data/profile/xulstore.json" "$profile/"
echo "== A Firefox profile with a legacy xulstore.json ($(wc -c < "$profile/xulstore.json") bytes)"
echo "   $profile"
echo
echo "== xulstore --profile \$PROFILE --mode dual-write migrate"
xs migrate
echo
echo "== The main window's geometry, read back from the SQLite store"
for attr in width height screenX screenY sizemode; do
  printf '   %-9s %s\n' "$attr" "$(xs get "$doc" main-window "$attr")"
done
echo
echo "== xulstore ... set $doc main-window width 1280"
xs set "$doc" main-window width 1280
printf '   width in the store:  %s\n' "$(xs get "$doc" main-window width)"
# Read the mirror back through a scratch store, as an older version would read it.
"$xulstore" --db "$profile/mirror-check.sqlite" import "$profile/xulstore.json" > /dev/null
printf '   width in the mirror: %s\n' \
  "$("$xulstore" --db "$profile/mirror-check.sqlite" get "$doc" main-window width)"
rm -f "$profile"/mirror-check.sqlite*
echo
echo "== Does the legacy mirror hold exactly what the store holds?"
xs dump > "$profile/dump.json"
# dump ends with a newline; the mirror, like Firefox's file, does not.
if printf '%s\n' "$(cat "$profile/xulstore.json")" | cmp -s - "$profile/dump.json"; then
  echo "   yes: xulstore.json is byte for byte the store's dump ($(xs stats | awk '/^records/ {print $2}') values)"
else
  echo "   NO: they differ" >&2
  exit 1
fi
rm -f "$profile/dump.json"
echo
echo "== Try next:"
echo "   P=$profile"
echo "   $xulstore --profile \$P documents"
echo "   $xulstore --profile \$P ids $doc"
echo "   $xulstore --profile \$P dump --pretty | less"
echo "   $xulstore --profile \$P stats"
echo "   $xulstore --profile \$P check"
echo "   $xulstore --profile \$P --mode finalize migrate"
