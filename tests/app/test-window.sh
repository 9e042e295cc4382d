#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Drives the real thaw window on the X display of the test run (xvfb-run),
# takes screenshots and checks what a person would see.  TAP output.
# Environment: THAW_GUI (the built thaw), THAW_IMAGES_DIR, THAW_SCHEMA_DIR,
# THAW_SHOTS (where to keep screenshots; default: a temporary folder).
set -u
n=0
fails=0
ok () { n=$((n+1)); echo "ok $n $1"; }
not_ok () { n=$((n+1)); fails=$((fails+1)); echo "not ok $n $1"; shift; for l in "$@"; do echo "# $l"; done; }
skip () { n=$((n+1)); echo "ok $n $1 # SKIP $2"; }

if [ -z "${DISPLAY:-}" ]; then
  echo "1..0 # SKIP no X display (run the app suite under xvfb-run)"
  exit 0
fi
for tool in xwininfo import convert; do
  command -v $tool >/dev/null || { echo "1..0 # SKIP $tool is not installed"; exit 0; }
done

work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
shots=${THAW_SHOTS:-$work}
mkdir -p "$shots"
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$work/cache"
export GSETTINGS_BACKEND=keyfile GSETTINGS_SCHEMA_DIR="$THAW_SCHEMA_DIR"
export GTK_A11Y=none NO_AT_BRIDGE=1
pid=

start () { "$THAW_GUI" "$@" >"$work/out.log" 2>&1 & pid=$!; }
stop () { kill $pid 2>/dev/null; wait $pid 2>/dev/null; pid=; }

# The id of a top-level window whose name is $1, waiting up to 15 s.
window_named () {
  for _ in $(seq 1 150); do
    id=$(xwininfo -root -tree 2>/dev/null | awk -v name="\"$1\"" 'index($0, name) { print $1; exit }')
    if [ -n "$id" ]; then echo "$id"; return 0; fi
    sleep 0.1
  done
  return 1
}

# Screenshot of one window; prints the number of distinct colours.
shoot () {
  sleep 1   # let the frame clock paint
  import -window "$1" "$2" 2>/dev/null || return 1
  convert "$2" -format '%k' info:
}

echo "1..9"

# 1. The empty window is drawn, not a blank frame.
start
if id=$(window_named "Thaw"); then
  colours=$(shoot "$id" "$shots/window-empty.png")
  if [ "${colours:-0}" -ge 16 ]; then ok "empty window drawn ($colours colours)"
  else not_ok "empty window drawn" "only ${colours:-0} distinct colours in the screenshot"; fi
else
  not_ok "empty window drawn" "no window named Thaw appeared" "$(cat "$work/out.log")"
fi
stop

# 2. An image given on the command line opens and titles the window.
pharo="$THAW_IMAGES_DIR/pharo8-kernel64/Pharo.image"
if [ -f "$pharo" ]; then
  start "$pharo"
  if id=$(window_named "Pharo.image"); then
    colours=$(shoot "$id" "$shots/window-pharo8.png")
    if [ "${colours:-0}" -ge 16 ]; then ok "Pharo.image opens from the command line"
    else not_ok "Pharo.image opens from the command line" "screenshot has ${colours:-0} colours"; fi
  else
    not_ok "Pharo.image opens from the command line" "the window title never became Pharo.image" "$(cat "$work/out.log")"
  fi
  # 3. It is remembered as a recent image.
  if grep -q "pharo8-kernel64/Pharo.image" "$XDG_DATA_HOME/recently-used.xbel" 2>/dev/null \
     && grep -q "application/x-smalltalk-image" "$XDG_DATA_HOME/recently-used.xbel"; then
    ok "opened image is listed in recent files"
  else
    not_ok "opened image is listed in recent files" "recently-used.xbel does not name it"
  fi
  stop
else
  skip "Pharo.image opens from the command line" "real image $pharo is missing"
  skip "opened image is listed in recent files" "real image $pharo is missing"
fi

# 4. An unreadable file shows a message and the application stays usable.
printf 'not an image at all' > "$work/broken.image"
start "$work/broken.image"
if id=$(window_named "Thaw"); then
  sleep 2
  if kill -0 $pid 2>/dev/null; then
    shoot "$id" "$shots/window-error.png" >/dev/null
    ok "unreadable file: window stays up with an error"
  else
    not_ok "unreadable file: window stays up with an error" "thaw exited" "$(cat "$work/out.log")"
  fi
else
  not_ok "unreadable file: window stays up with an error" "no window" "$(cat "$work/out.log")"
fi
stop

# 5, 6. The About window and the keyboard-shortcuts window open from their actions.
toplevels () { xwininfo -root -children 2>/dev/null | grep -c '"'; }
start
if window_named "Thaw" >/dev/null; then
  gdbus call --session --dest dev.thaw.Thaw --object-path /dev/thaw/Thaw \
    --method org.gtk.Actions.Activate about '[]' '{}' >/dev/null 2>&1
  if id=$(window_named "About"); then
    shoot "$id" "$shots/window-about.png" >/dev/null
    ok "app.about opens the About window"
  else
    not_ok "app.about opens the About window" "no window named About"
  fi
  before=$(toplevels)
  gdbus call --session --dest dev.thaw.Thaw --object-path /dev/thaw/Thaw/window/1 \
    --method org.gtk.Actions.Activate show-help-overlay '[]' '{}' >/dev/null 2>&1
  sleep 1.5
  after=$(toplevels)
  if [ "$after" -gt "$before" ]; then
    import -window root "$shots/window-shortcuts.png" 2>/dev/null
    ok "win.show-help-overlay opens the shortcuts window"
  else
    not_ok "win.show-help-overlay opens the shortcuts window" "top-level windows: $before before, $after after"
  fi
else
  not_ok "app.about opens the About window" "no window"
  not_ok "win.show-help-overlay opens the shortcuts window" "no window"
fi
stop

# 7, 8. Quitting through the application's D-Bus action ends the process and
#    the window size is remembered in GSettings.
start
if window_named "Thaw" >/dev/null; then
  gdbus call --session --dest dev.thaw.Thaw --object-path /dev/thaw/Thaw \
    --method org.gtk.Actions.Activate quit '[]' '{}' >/dev/null 2>&1
  for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  if kill -0 $pid 2>/dev/null; then
    not_ok "app.quit ends the process" "still running 5 s after app.quit"
  else
    ok "app.quit ends the process"
  fi
else
  not_ok "app.quit ends the process" "no window"
fi
stop
if grep -q "window-width" "$XDG_CONFIG_HOME/glib-2.0/settings/keyfile" 2>/dev/null; then
  ok "window size saved in GSettings"
else
  not_ok "window size saved in GSettings" "no window-width in the keyfile backend"
fi

# 9. Quitting while images are still being read and checked ends cleanly.
cuis="$THAW_IMAGES_DIR/cuis4.1/Cuis4.1-1544-reduced.image"
if [ -f "$cuis" ] && [ -f "$pharo" ]; then
  start "$cuis" "$pharo"
  sleep 0.5
  gdbus call --session --dest dev.thaw.Thaw --object-path /dev/thaw/Thaw \
    --method org.gtk.Actions.Activate quit '[]' '{}' >/dev/null 2>&1
  for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  if kill -0 $pid 2>/dev/null; then
    not_ok "quit while reading and checking" "still running 10 s after app.quit"
  else
    wait $pid; code=$?
    if [ $code -eq 0 ] && ! grep -qE "CRITICAL|Segmentation|Aborted" "$work/out.log"; then
      ok "quit while reading and checking"
    else
      not_ok "quit while reading and checking" "exit status $code" "$(grep -E 'CRITICAL|Segm|Abort' "$work/out.log" | head -5)"
    fi
  fi
  pid=
else
  skip "quit while reading and checking" "real images missing"
fi

exit $((fails > 0))
