#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The engine never uses GTK, GDK, libadwaita, pango or cairo: no include of
# theirs in engine/, and no such dependency in engine/meson.build.
set -u
top=$1
fail=0
if grep -rnE '#[[:space:]]*include[[:space:]]*[<"](gtk|gdk|adwaita|cairo|pango)' "$top/engine"; then
  echo "engine/ includes a GUI or drawing header (above)"; fail=1
fi
if grep -nE "dependency\('(gtk4|libadwaita-1|cairo|pango)" "$top/engine/meson.build"; then
  echo "engine/meson.build depends on a GUI or drawing library (above)"; fail=1
fi
[ $fail = 0 ] && echo "engine/ depends on GLib, libffi and libm only"
exit $fail
