#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`thaw --run IMAGE` while Thaw already runs: the image opens in the
first instance and runs there (the option travels with it); a plain
`thaw IMAGE` after that opens without running.  TAP; run under X with a
session bus."""
import os
import subprocess
import sys
import tempfile

import thawapp
from thawapp import skip, tap, wait_for

GUI = os.environ["THAW_GUI"]
IMAGES = os.environ["THAW_IMAGES_DIR"]
MINI = os.path.join(IMAGES, "squeak-mini", "mini.image")
CHECKS = ["a second thaw --run hands the image to the first instance, which runs it",
          "a plain thaw IMAGE after it opens the image without running it"]


def engine_state(st):
    return st["engine"].get("state", "") if st.has_section("engine") else ""


def main():
    if not os.path.exists(MINI):
        for c in CHECKS:
            skip(c, f"missing real image {MINI}")
        return 0
    os.environ["GSETTINGS_BACKEND"] = "memory"
    os.environ["GSETTINGS_SCHEMA_DIR"] = os.environ["THAW_SCHEMA_DIR"]
    os.environ["GTK_A11Y"] = "none"
    with tempfile.TemporaryDirectory() as tmp:
        first = thawapp.Thaw(GUI)
        try:
            if not first.wait_registered():
                for c in CHECKS:
                    tap(False, c, "the first instance did not register on the bus")
                return 1
            r = subprocess.run([GUI, "--run", MINI], capture_output=True, text=True, timeout=30)
            st, ok = wait_for(tmp, lambda s: engine_state(s) in ("running", "idle"), 30)
            tap(ok and r.returncode == 0 and first.proc.poll() is None, CHECKS[0],
                f"second instance exit {r.returncode}; engine state {engine_state(st)!r}")
            r = subprocess.run([GUI, MINI], capture_output=True, text=True, timeout=30)
            st2, ok2 = wait_for(tmp, lambda s: s.has_section("window"), 20, window=2)
            tap(ok2 and r.returncode == 0 and engine_state(st2) not in ("running", "idle"), CHECKS[1],
                f"second window: state exported {ok2}, engine state {engine_state(st2)!r}")
        finally:
            first.stop()
    return 1 if thawapp.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
