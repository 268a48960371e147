#!/bin/sh
# Runs the screenshot program on a virtual X display; skips (77) without xvfb-run.
bin=$1; out=$2
if ! command -v xvfb-run >/dev/null 2>&1; then
  echo "SKIP: xvfb-run is not installed (apt-get install xvfb xauth); no screenshots taken"
  exit 77
fi
unset QT_QPA_PLATFORM WAYLAND_DISPLAY
# Under -DSE_ASAN=ON: ignore the system D-Bus library's own leaks (see lsan.supp).
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(dirname "$0")/lsan.supp"
export LSAN_OPTIONS
mkdir -p "$out"
exec xvfb-run -a -s "-screen 0 1920x1200x24" "$bin" "$out"
