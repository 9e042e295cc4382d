#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run real images in the real window (`thaw --run IMAGE`) and check what a
person would see and do: the display view shows the image's desktop (not
blank; the frame equals the Display Form of a snapshot the window saved,
converted independently by thaw-cli; the screen shows exactly the frame's
pixels), input reaches the image, pausing shows the live heap in the
panels, a forced GC lands in the GC chart, and closing the window while the
image runs ends the program at once.  TAP output; run under X (xvfb-run)
with a session bus (dbus-run-session)."""
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import thawapp
from thawapp import action, export_state, skip, tap, wait_for

GUI = os.environ["THAW_GUI"]
CLI = os.environ["THAW_CLI"]
IMAGES = os.environ["THAW_IMAGES_DIR"]
SHOTS = os.environ.get("THAW_SHOTS")
RUN = [
    ("scratch", "/usr/share/scratch/Scratch.image"),
    ("cuis4.1", os.path.join(IMAGES, "cuis4.1", "Cuis4.1-1544-reduced.image")),
    ("squeak-mini", os.path.join(IMAGES, "squeak-mini", "mini.image")),
]
# squeak-mini (MVC, Squeak 2.x) polls the mouse instead of reading events:
# a press held for a moment on the second line of its browser's category
# list ("Graphics-Views", at this point of its 240x120 Display) selects it,
# which the display shows.
POLLING_CLICK = {"squeak-mini": (120, 38)}
# Cuis 4.1 on a display of at least 900x500 (the view's size in the default
# window is about 1090x620): a click on the desktop at 700,150 opens the
# World menu there, "Open..." and "Workspace" are then at these points, and
# the new workspace takes what is typed at its top-left corner.
CUIS_MIN_DISPLAY = (900, 500)
CUIS_CLICKS = [(700, 150), (724, 176), (762, 221)]
CUIS_TEXT_AREA = (150, 20, 500, 60)   # x0, y0, x1, y1 where the typed text must land
CHECKS = ["display shows the image (not blank)",
          "frame equals the Display Form of a snapshot the window saved (thaw-cli display)",
          "screen shows the frame's pixels", "input reaches the image", "pause shows the live heap",
          "forced GC appears in the GC chart and redraws the heap map", "resume runs on", "the image's cursor is the view's cursor",
          "closing while running ends quickly"]
# Images that set their own cursor (beCursor) at startup.
SETS_CURSOR = {"scratch", "cuis4.1"}



def get(st, section, key, default=""):
    return st[section].get(key, default) if st.has_section(section) else default


def wait_file(path, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            time.sleep(0.2)
            return True
        time.sleep(0.1)
    return False


def colours(path):
    out = subprocess.run(["convert", path, "-format", "%k", "info:"], capture_output=True, text=True)
    try:
        return int(out.stdout.strip())
    except ValueError:
        return 0


def differing_pixels(a, b):
    """Pixels that differ between two pictures of the same size (ImageMagick
    compare -metric AE); None when the sizes differ or compare fails."""
    out = subprocess.run(["compare", "-metric", "AE", a, b, "null:"], capture_output=True, text=True)
    m = re.match(r"\s*([0-9.e+]+)", out.stderr)
    if out.returncode == 2 or m is None:
        return None
    return int(float(m.group(1)))


def size_of(path):
    out = subprocess.run(["identify", "-format", "%w %h", path], capture_output=True, text=True)
    w, h = out.stdout.split()[:2]
    return int(w), int(h)


def window_geometry(title):
    """Absolute x, y of the X window titled `title`, and its id."""
    out = subprocess.run(["xwininfo", "-name", title], capture_output=True, text=True)
    x = re.search(r"Absolute upper-left X:\s+(-?\d+)", out.stdout)
    y = re.search(r"Absolute upper-left Y:\s+(-?\d+)", out.stdout)
    wid = re.search(r"Window id: (0x[0-9a-f]+)", out.stdout)
    if not (x and y and wid):
        return None
    return int(x.group(1)), int(y.group(1)), wid.group(1)


def diff_box(a, b):
    """The bounding box (x, y, w, h) of the pixels that differ, or None."""
    out = subprocess.run(["convert", a, b, "-compose", "difference", "-composite", "-threshold", "0",
                          "-trim", "-format", "%w %h %X %Y", "info:"], capture_output=True, text=True)
    m = re.match(r"(\d+) (\d+) \+?(-?\d+) \+?(-?\d+)", out.stdout)
    if not m:
        return None
    w, h, x, y = (int(v) for v in m.groups())
    return None if w <= 1 and h <= 1 and x < 0 else (x, y, w, h)


def click(x, y, hold=0.2):
    action("post-input", f"move {x} {y}")
    action("post-input", f"press {x} {y} 1")
    time.sleep(hold)
    action("post-input", f"release {x} {y} 1")


def cuis_workspace(work, frame_size):
    """Open a workspace through the World menu, type an expression into it
    and print it with the command key (Ctrl+A, Ctrl+P); problems."""
    if frame_size is None or frame_size[0] < CUIS_MIN_DISPLAY[0] or frame_size[1] < CUIS_MIN_DISPLAY[1]:
        return [f"the display is {frame_size}, the clicks need at least {CUIS_MIN_DISPLAY}"]
    for x, y in CUIS_CLICKS:
        click(x, y)
        time.sleep(1.5)
    frames = [os.path.join(work, f"workspace-{i}.png") for i in range(3)]
    action("export-frame", frames[0])
    action("post-input", "text 3 + 4")
    time.sleep(2)
    action("export-frame", frames[1])
    action("post-input", "key ctrl+a")
    action("post-input", "key ctrl+p")
    time.sleep(3)
    action("export-frame", frames[2])
    if not all(wait_file(f) for f in frames):
        return ["no frames exported around the typing"]
    if SHOTS:
        shutil.copy(frames[2], os.path.join(SHOTS, "run-cuis4.1-workspace.png"))
    x0, y0, x1, y1 = CUIS_TEXT_AREA
    typed = diff_box(frames[0], frames[1])
    if typed is None:
        return ["typing changed nothing on the display"]
    x, y, w, h = typed
    if x < x0 or y < y0 or x + w > x1 or y + h > y1:
        return [f"the display changed at {w}x{h}+{x}+{y}, not inside the workspace's first line {CUIS_TEXT_AREA}"]
    if w < 20:
        return [f"only {w} pixels of text appeared ({w}x{h}+{x}+{y})"]
    # print-it selects the expression and appends " 7" after it
    printed = diff_box(frames[1], frames[2])
    if printed is None:
        return ["Ctrl+A, Ctrl+P (select all, print it) changed nothing"]
    px, py, pw, ph = printed
    if py < y0 or py + ph > y1 or px + pw <= x + w + 3:
        return [f"print-it changed {pw}x{ph}+{px}+{py}; expected the result right of the text ({w}x{h}+{x}+{y})"]
    return []


def screen_depth():
    out = subprocess.run(["xwininfo", "-root"], capture_output=True, text=True)
    m = re.search(r"Depth:\s+(\d+)", out.stdout)
    return int(m.group(1)) if m else 0


class Thaw(thawapp.Thaw):
    def __init__(self, *args):
        super().__init__(GUI, *args)

    def close_and_time(self, timeout=10):
        """Close every window (app.quit closes them); seconds until the
        process has ended, or None."""
        t0 = time.time()
        action("quit", window=None)
        try:
            self.proc.wait(timeout=timeout)
            return time.time() - t0
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.close_and_time()


def live(st):
    return get(st, "engine", "state") in ("paused", "halted", "quit") and get(st, "engine", "live") == "true" \
        and get(st, "window", "analysed") == "true"


def running(st):
    return get(st, "engine", "state") in ("running", "idle")


def check_image(tmp, name, path):
    if not os.path.exists(path):
        for c in CHECKS:
            skip(f"{name}: {c}", f"real image {path} is missing")
        return
    work = os.path.join(tmp, name)
    os.makedirs(work)
    thaw = Thaw("--run", path)
    try:
        if not thaw.wait_registered():
            for c in CHECKS:
                tap(False, f"{name}: {c}", "thaw never appeared on the session bus")
            return
        # 1. the display: running, frames arrive, not blank
        st, ok = wait_for(tmp, lambda s: running(s) and int(get(s, "display", "frames", "0")) > 0, 30)
        time.sleep(4)   # let the image draw its desktop at the window's size
        frame = os.path.join(work, "frame-running.png")
        action("export-frame", frame)
        problems = []
        if not ok:
            problems.append(f"engine {dict(st['engine']) if st.has_section('engine') else None}, "
                            f"display {dict(st['display']) if st.has_section('display') else None}")
        if not wait_file(frame):
            problems.append("no frame exported")
        elif colours(frame) < 2:
            problems.append(f"the frame is blank (one colour, {size_of(frame)})")
        tap(not problems, f"{name}: {CHECKS[0]}", "\n".join(problems))

        # 2. pause; the frame equals the saved snapshot's Display Form
        action("pause")
        st, ok = wait_for(tmp, live, 60)
        problems = []
        frame = os.path.join(work, "frame-paused.png")
        action("export-frame", frame)
        # the screen, before a toast about the save covers part of it
        time.sleep(0.5)
        geo = window_geometry(get(st, "window", "title"))
        shot = os.path.join(work, "window.png")
        if geo is not None:
            subprocess.run(["import", "-window", geo[2], shot], capture_output=True, timeout=30)
        snap = os.path.join(work, "snapshot.image")
        action("save-to", snap)
        wait_file(snap, 60)
        st, ok = wait_for(tmp, live, 60)
        ppm = os.path.join(work, "form.ppm")
        if not wait_file(frame):
            problems.append("no frame exported while paused")
        elif not os.path.exists(snap):
            problems.append("the window saved no snapshot")
        else:
            out = subprocess.run([CLI, "display", snap, "-o", ppm], capture_output=True, text=True, timeout=120)
            if out.returncode != 0 or not os.path.exists(ppm):
                problems.append(f"thaw-cli display: {out.stdout}{out.stderr}")
            else:
                if size_of(frame) != size_of(ppm):
                    problems.append(f"frame {size_of(frame)} but the Form is {size_of(ppm)}")
                else:
                    d = differing_pixels(frame, ppm)
                    if d != 0:
                        problems.append(f"{d} pixels differ between the frame and the Form")
        # the .changes file goes beside the snapshot, as when saving a stopped image
        changes = os.path.splitext(path)[0] + ".changes"
        if os.path.exists(changes) and os.path.exists(snap):
            copied = os.path.splitext(snap)[0] + ".changes"
            if not wait_file(copied, 20):
                problems.append("the .changes file was not copied beside the snapshot")
            elif os.path.getsize(copied) != os.path.getsize(changes):
                problems.append(f"the copied .changes has {os.path.getsize(copied)} bytes, not {os.path.getsize(changes)}")
        tap(not problems, f"{name}: {CHECKS[1]}", "\n".join(problems))

        # 3. the screen shows the frame (the view draws it 1:1 once the
        # image's screen follows the view)
        problems = []
        if geo is None:
            problems.append("no X window with the image's name")
        else:
            if SHOTS:
                os.makedirs(SHOTS, exist_ok=True)
                shutil.copy(shot, os.path.join(SHOTS, f"run-{name}-paused.png"))
            # logical pixels times the monitor's scale factor: device pixels
            sf = int(get(st, "display", "scale_factor", "1"))
            scale = float(get(st, "display", "scale", "0")) * sf
            x = round(float(get(st, "display", "surface_x", "0")) * sf)
            y = round(float(get(st, "display", "surface_y", "0")) * sf)
            fw, fh = size_of(frame) if os.path.exists(frame) else (0, 0)
            vw = int(get(st, "display", "view_width", "0")) * sf
            vh = int(get(st, "display", "view_height", "0")) * sf
            w, h = min(fw, vw), min(fh, vh)
            # whole zooms only: each image pixel an N x N square, no blending
            zoom = int(round(scale))
            w, h = min(fw * zoom, vw), min(fh * zoom, vh)
            if screen_depth() < 24:
                problems = None
                skip(f"{name}: {CHECKS[2]}", f"the X screen has depth {screen_depth()}; run with -screen 0 1280x900x24")
            elif zoom < 1 or abs(scale - zoom) > 1e-6:
                problems.append(f"the frame is drawn at scale {scale}, not a whole zoom")
            elif w <= 0 or h <= 0 or not os.path.exists(shot):
                problems.append(f"nothing to compare (frame {fw}x{fh}, view {vw}x{vh})")
            else:
                crop_shot = os.path.join(work, "shot-crop.png")
                crop_frame = os.path.join(work, "frame-crop.png")
                subprocess.run(["convert", shot, "-crop", f"{w}x{h}+{x}+{y}", "+repage", crop_shot])
                subprocess.run(["convert", frame, "-sample", f"{zoom * 100}%", "-crop", f"{w}x{h}+0+0", "+repage",
                                crop_frame])
                d = differing_pixels(crop_shot, crop_frame)
                if d != 0:
                    problems.append(f"{d} of {w * h} pixels on screen differ from the frame (zoom {zoom})")
                    if SHOTS:
                        subprocess.run(["compare", crop_shot, crop_frame, os.path.join(SHOTS, f"diff-{name}.png")],
                                       capture_output=True)
        if problems is not None:
            tap(not problems, f"{name}: {CHECKS[2]}", "\n".join(problems))

        # 4. pause showed the live heap: panels filled from the paused heap
        problems = []
        if not live(st):
            problems.append(f"not live after pause: {dict(st['engine']) if st.has_section('engine') else None}")
        else:
            if int(get(st, "census", "total_objects", "0")) <= 0:
                problems.append("the census is empty")
            if int(get(st, "processes", "count", "0")) <= 0:
                problems.append("no processes listed")
            if get(st, "inspector", "print") == "":
                problems.append("the inspector shows nothing")
        # (reported after the input check, in CHECKS order)
        live_problems = problems

        # 5. input: resume, post events, the image reads them
        action("run")
        st, ok = wait_for(tmp, running, 20)
        before = int(get(st, "engine", "events_delivered", "0"))
        posted_before = int(get(st, "display", "events_posted", "0"))
        fw, fh = size_of(frame) if os.path.exists(frame) else (100, 100)
        problems = []
        delivered = 0
        if name == "cuis4.1":
            # typing into a workspace opened with the mouse shows the text
            problems += cuis_workspace(work, (fw, fh))
        elif name in POLLING_CLICK:
            # a polling image sees a held button: the display changes
            before_png = os.path.join(work, "frame-before-click.png")
            after_png = os.path.join(work, "frame-after-click.png")
            action("export-frame", before_png)
            px, py = POLLING_CLICK[name]
            click(px, py, hold=0.7)
            time.sleep(2)
            action("export-frame", after_png)
            if not (wait_file(before_png) and wait_file(after_png)):
                problems.append("no frames exported around the click")
            else:
                d = differing_pixels(before_png, after_png)
                if not d:
                    problems.append(f"the display did not change after a click at {px},{py} ({d})")
            action("post-input", "text abc")
        else:
            click(fw // 2, fh // 2)
            action("post-input", "text abc")
            action("post-input", "key Escape")
        if name not in POLLING_CLICK:
            st, ok = wait_for(tmp, lambda s: int(get(s, "engine", "events_delivered", "0")) > before, 20)
            delivered = int(get(st, "engine", "events_delivered", "0")) - before
        else:
            st = export_state(tmp)
        posted = int(get(st, "display", "events_posted", "0")) - posted_before
        if posted < 4:
            problems.append(f"the view posted {posted} events")
        if name not in POLLING_CLICK and delivered <= 0:
            problems.append(f"the image read none of the {posted} events posted")
        tap(not problems, f"{name}: {CHECKS[3]}", "\n".join(problems))
        tap(not live_problems, f"{name}: {CHECKS[4]}", "\n".join(live_problems))

        # 6. forced GC: a full collection sample in the chart
        n_before = int(get(st, "gc", "samples", "0"))
        full_before = int(get(st, "gc", "full", "0"))
        maps_before = int(get(st, "gc", "heap_maps", "0"))
        action("gc")
        st, ok = wait_for(tmp, lambda s: int(get(s, "gc", "full", "0")) > full_before
                          and int(get(s, "gc", "heap_maps", "0")) > maps_before, 30)
        problems = []
        if int(get(st, "gc", "samples", "0")) <= n_before:
            problems.append(f"samples {n_before} -> {get(st, 'gc', 'samples')}")
        if int(get(st, "gc", "full", "0")) <= full_before:
            problems.append(f"full collections {full_before} -> {get(st, 'gc', 'full')}")
        if int(get(st, "gc", "last_heap_bytes", "0")) <= 0:
            problems.append("the last sample has no heap size")
        if int(get(st, "gc", "heap_maps", "0")) <= maps_before:
            problems.append("the heap map was not redrawn after the full collection")
        tap(not problems, f"{name}: {CHECKS[5]}", "\n".join(problems))
        if SHOTS:
            action("show-panel", "gc")
            time.sleep(1)
            if geo is not None:
                subprocess.run(["import", "-window", geo[2], os.path.join(SHOTS, f"run-{name}-gc.png")],
                               capture_output=True, timeout=30)
            action("show-panel", "display")

        # 7. pause stops the count, run carries on
        action("pause")
        st, ok = wait_for(tmp, live, 60)
        b1 = int(get(st, "engine", "bytecodes", "0"))
        time.sleep(1)
        st = export_state(tmp)
        b2 = int(get(st, "engine", "bytecodes", "0"))
        action("run")
        st, ok = wait_for(tmp, lambda s: running(s) and int(get(s, "engine", "bytecodes", "0")) > b2, 20)
        problems = []
        if b2 != b1:
            problems.append(f"bytecodes went on while paused: {b1} -> {b2}")
        if not ok:
            problems.append(f"not running on after resume: {dict(st['engine']) if st.has_section('engine') else None}")
        tap(not problems, f"{name}: {CHECKS[6]}", "\n".join(problems))

        # 8. the cursor: beCursor's Form became the widget's cursor
        st = export_state(tmp)
        n = int(get(st, "display", "cursors", "0"))
        cw, ch = int(get(st, "display", "cursor_width", "0")), int(get(st, "display", "cursor_height", "0"))
        if n == 0 and name not in SETS_CURSOR:
            skip(f"{name}: {CHECKS[7]}", "this image sets no cursor")
        else:
            tap(n > 0 and cw == 16 and ch == 16, f"{name}: {CHECKS[7]}", f"{n} cursors set, the last {cw}x{ch}")

        # 9. close while running (first the picture of it running, for docs/)
        time.sleep(1)
        if SHOTS and geo is not None:
            subprocess.run(["import", "-window", geo[2], os.path.join(SHOTS, f"run-{name}.png")],
                           capture_output=True, timeout=30)
        took = thaw.close_and_time()
        if took is None:
            tap(False, f"{name}: {CHECKS[8]}", "still running 10 s after quit")
        else:
            tap(took < 2.0, f"{name}: {CHECKS[8]} ({took:.2f} s)", f"took {took:.2f} s")
    finally:
        thaw.stop()


def main():
    if not os.environ.get("DISPLAY"):
        print("1..0 # SKIP no X display (run the app suite under xvfb-run)")
        return 0
    for tool in ("gdbus", "import", "convert", "compare", "identify", "xwininfo"):
        if shutil.which(tool) is None:
            print(f"1..0 # SKIP {tool} is not installed")
            return 0
    print(f"1..{len(RUN) * len(CHECKS)}")
    with tempfile.TemporaryDirectory() as tmp:
        thawapp.isolate(tmp)
        only = os.environ.get("THAW_RUN_ONLY")
        for name, path in RUN:
            if only and name not in only.split(","):
                for c in CHECKS:
                    skip(f"{name}: {c}", "not selected by THAW_RUN_ONLY")
                continue
            check_image(tmp, name, path)
    return 1 if thawapp.failures() else 0


sys.exit(main())
