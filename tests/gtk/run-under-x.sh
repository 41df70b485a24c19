#!/bin/sh
# run-under-x.sh: runs a command on a private X server (Xvfb) with a window manager
# (openbox, which maximizes windows on request as desktop ones do).
#
# Usage: run-under-x.sh COMMAND [ARGS]
# Exits 77 (skipped) when Xvfb or openbox is missing.
set -u

for program in Xvfb openbox; do
  if ! command -v "$program" > /dev/null 2>&1; then
    echo "1..0 # SKIP $program is not installed"
    exit 77
  fi
done

# A display number nobody uses: the lock file tells.
display=$((100 + $$ % 800))
while [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done

Xvfb ":$display" -screen 0 1280x1024x24 -nolisten tcp > /dev/null 2>&1 &
xvfb=$!
trap 'kill $wm $xvfb 2> /dev/null; wait 2> /dev/null' EXIT
for _ in $(seq 50); do
  [ -e "/tmp/.X11-unix/X$display" ] && break
  sleep 0.1
done
export DISPLAY=":$display" GDK_BACKEND=x11
unset WAYLAND_DISPLAY
openbox > /dev/null 2>&1 &
wm=$!
sleep 0.5
"$@"
