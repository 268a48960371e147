#!/bin/sh
# On a virtual X display when there is one (as an operator's screen would be),
# else on Qt's offscreen platform (still painted, never shown).
bin=$1; shift
if command -v xvfb-run >/dev/null 2>&1; then
  unset QT_QPA_PLATFORM WAYLAND_DISPLAY
  exec xvfb-run -a -s "-screen 0 1920x1200x24" "$bin" "$@"
fi
echo "(no xvfb-run: measuring on the offscreen platform)"
QT_QPA_PLATFORM=offscreen exec "$bin" "$@"
