#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Drive the real workbench window on every real image and check that its
panels show what thaw-cli prints for the same image; make an edit through
the window's actions, save a copy, and check the copy with thaw-cli.
Screenshots of each panel go to THAW_SHOTS.  TAP output; run under X
(xvfb-run) with a session bus (dbus-run-session)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import thawapp
from thawapp import action, export_state, screenshot, skip, tap

GUI = os.environ["THAW_GUI"]
CLI = os.environ["THAW_CLI"]
IMAGES = os.environ["THAW_IMAGES_DIR"]
REAL = [
    ("pharo8-kernel64", "Pharo.image"),
    ("cpnode-tiny32", "client-environment.image"),
    ("squeakjs-headless32", "headless.image"),
    ("cuis4.1", "Cuis4.1-1544-reduced.image"),
    ("cuis3.1r3", "Cuis3.1r3.image"),
    ("squeak-mini", "mini.image"),
    ("squeakjs-benchmark", "benchmark.image"),
    ("rsqueak-bootstrapped", "bootstrapped.image"),
    ("scratch", "Scratch.image"),
]
PANELS = ["overview", "heap", "census", "integrity", "processes", "inspector"]



def image_path(folder, file):
    if folder == "scratch":
        return "/usr/share/scratch/Scratch.image"
    return os.path.join(IMAGES, folder, file)


def cli_json(*args):
    out = subprocess.run([CLI, *args, "--json"], capture_output=True, text=True, timeout=120)
    if out.returncode not in (0, 1):
        raise RuntimeError(f"thaw-cli {' '.join(args)}: {out.stderr}")
    return json.loads(out.stdout)


def wait_analysed(tmp, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = export_state(tmp)
        if st.has_section("window") and st["window"].get("analysed") == "true":
            return st
        time.sleep(0.5)
    return export_state(tmp)


def first_number(text):
    m = re.search(r"0x[0-9a-fA-F]+|\d+", text or "")
    if not m:
        return None
    return int(m.group(0), 16) if m.group(0).startswith("0x") else int(m.group(0))


def check_image(tmp, folder, file):
    path = image_path(folder, file)
    name = f"{folder}: window panels match thaw-cli"
    if not os.path.exists(path):
        skip(name, f"real image {path} is missing")
        return
    thaw = thawapp.Thaw(GUI, path)
    try:
        if not thaw.wait_registered():
            tap(False, name, "thaw never appeared on the session bus")
            return
        st = wait_analysed(tmp)
        problems = []
        if not st.has_section("overview"):
            tap(False, name, "no overview values exported")
            return
        info = cli_json("info", path)
        header = info["header"]
        for key in ("image_format", "header_size", "data_size", "old_base_address", "special_objects_oop",
                    "last_hash", "header_flags", "extra_vm_memory"):
            shown = first_number(st["overview"].get(key))
            if shown != header[key]:
                problems.append(f"{key}: window shows {st['overview'].get(key)!r}, thaw-cli prints {header[key]}")
        census = cli_json("census", path)
        if int(st["census"]["total_objects"]) != census["objects"]:
            problems.append(f"census objects: window {st['census']['total_objects']}, thaw-cli {census['objects']}")
        check = cli_json("check", path)
        if int(st["integrity"]["findings"]) != check["findings"]:
            problems.append(f"findings: window {st['integrity']['findings']}, thaw-cli {check['findings']}")
        stack = cli_json("stack", path)
        if int(st["processes"]["count"]) != stack["process_count"]:
            problems.append(f"processes: window {st['processes']['count']}, thaw-cli {stack['process_count']}")
        tap(not problems, name, "\n".join(problems))
        if folder in ("cuis4.1", "pharo8-kernel64", "scratch"):
            for panel in PANELS:
                action("show-panel", panel)
                time.sleep(0.8)
                screenshot(f"{folder}-{panel}.png")
    finally:
        thaw.stop()


def check_edit_and_save(tmp):
    folder, file = "cuis4.1", "Cuis4.1-1544-reduced.image"
    path = image_path(folder, file)
    names = ["edit through the window changes the heap", "undo restores the slot",
             "save as writes a copy that checks clean and holds the edit"]
    if not os.path.exists(path):
        for n in names:
            skip(n, f"real image {path} is missing")
        return
    work = os.path.join(tmp, "edit")
    os.makedirs(work)
    thaw = thawapp.Thaw(GUI, path)
    try:
        thaw.wait_registered()
        wait_analysed(tmp)
        target = "special.3.value.activeProcess.priority"
        action("edit", f"{target}=41")
        st = wait_analysed(tmp)
        action("inspect", "special.3.value.activeProcess")
        time.sleep(0.5)
        st = export_state(tmp)
        ok = st["edits"]["count"] == "1" and "priority 41" in st["inspector"]["print"]
        tap(ok, names[0], f"edits {st['edits']['count']}, inspector shows {st['inspector']['print']!r}")
        action("undo")
        wait_analysed(tmp)
        action("inspect", "special.3.value.activeProcess")
        time.sleep(0.5)
        st = export_state(tmp)
        ok = st["edits"]["count"] == "0" and "priority 40" in st["inspector"]["print"]
        tap(ok, names[1], f"edits {st['edits']['count']}, inspector shows {st['inspector']['print']!r}")
        action("edit", f"{target}=41")
        wait_analysed(tmp)
        out = os.path.join(work, "repaired.image")
        action("save-to", out)
        for _ in range(100):
            if os.path.exists(out) and os.path.exists(os.path.join(work, "repaired.changes")):
                break
            time.sleep(0.2)
        time.sleep(0.5)
        problems = []
        if not os.path.exists(out):
            problems.append("no saved image")
        else:
            chk = subprocess.run([CLI, "check", out], capture_output=True, text=True)
            if chk.returncode != 0:
                problems.append("thaw-cli check on the copy: " + chk.stdout[-2000:])
            insp = cli_json("inspect", out, "special.3.value.activeProcess")
            if "priority 41" not in insp.get("print", ""):
                problems.append(f"the copy's active process prints {insp.get('print')!r}")
            if not os.path.exists(os.path.join(work, "repaired.changes")):
                problems.append("the .changes file was not copied beside the copy")
            orig = cli_json("inspect", path, "special.3.value.activeProcess")
            if "priority 40" not in orig.get("print", ""):
                problems.append("the original image changed!")
        tap(not problems, names[2], "\n".join(problems))
    finally:
        thaw.stop()


def check_clean_copy(tmp):
    folder, file = "squeakjs-headless32", "headless.image"
    path = image_path(folder, file)
    name = "save clean copy writes a traced image with the same digest, smaller, checking clean"
    if not os.path.exists(path):
        skip(name, f"real image {path} is missing")
        return
    work = os.path.join(tmp, "clean")
    os.makedirs(work)
    out = os.path.join(work, "clean.image")
    thaw = thawapp.Thaw(GUI, path)
    try:
        thaw.wait_registered()
        wait_analysed(tmp)
        action("save-clean-to", out)
        st = None
        for _ in range(100):
            st = export_state(tmp)
            if os.path.exists(out) and st["window"].get("busy") == "false":
                break
            time.sleep(0.2)
        time.sleep(1.5)
        screenshot("clean-copy-report.png")
        problems = []
        if not os.path.exists(out):
            problems.append("no clean copy written")
        else:
            if cli_json("digest", out)["sha256"] != cli_json("digest", path)["sha256"]:
                problems.append("digest differs from the original's")
            if os.path.getsize(out) >= os.path.getsize(path):
                problems.append(f"not smaller: {os.path.getsize(out)} >= {os.path.getsize(path)} bytes")
            if subprocess.run([CLI, "check", out], capture_output=True).returncode != 0:
                problems.append("thaw-cli check finds problems in the copy")
            report = st["trace"].get("report", "") if st is not None and st.has_section("trace") else ""
            if "dropped" not in report:
                problems.append(f"the window's report is {report!r}")
        tap(not problems, name, "\n".join(problems))
    finally:
        thaw.stop()


def main():
    if not os.environ.get("DISPLAY"):
        print("1..0 # SKIP no X display (run the app suite under xvfb-run)")
        return 0
    for tool in ("gdbus", "import"):
        if shutil.which(tool) is None:
            print(f"1..0 # SKIP {tool} is not installed")
            return 0
    print(f"1..{len(REAL) + 4}")
    with tempfile.TemporaryDirectory() as tmp:
        thawapp.isolate(tmp)
        for folder, file in REAL:
            check_image(tmp, folder, file)
        check_edit_and_save(tmp)
        check_clean_copy(tmp)
    return 1 if thawapp.failures() else 0


sys.exit(main())
