#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The flatpak manifest parses, names the application id, builds with meson
on the GNOME runtime, and runs the display-free test suites."""
import json
import sys

manifest_path, app_id = sys.argv[1], sys.argv[2]
with open(manifest_path, encoding="utf-8") as f:
    m = json.load(f)
errors = []
if m.get("app-id", m.get("id")) != app_id:
    errors.append(f"app-id is {m.get('app-id')!r}, expected {app_id!r}")
if m.get("runtime") != "org.gnome.Platform" or m.get("sdk") != "org.gnome.Sdk":
    errors.append("runtime/sdk must be org.gnome.Platform / org.gnome.Sdk")
if m.get("command") != "thaw":
    errors.append("command must be thaw")
mods = [x for x in m.get("modules", []) if isinstance(x, dict) and x.get("name") == "thaw"]
if not mods:
    errors.append("no module named thaw")
else:
    mod = mods[0]
    if mod.get("buildsystem") != "meson":
        errors.append("the thaw module must build with meson")
    if not mod.get("run-tests"):
        errors.append("the thaw module must run its tests")
    tests = " ".join(mod.get("test-commands", []))
    for suite in ("engine", "data"):
        if f"--suite {suite}" not in tests:
            errors.append(f"test-commands do not run the {suite} suite")
    if "--suite app" in tests:
        errors.append("the app suite needs a display; it must not run in the flatpak build")
for e in errors:
    print("flatpak manifest:", e)
sys.exit(1 if errors else 0)
