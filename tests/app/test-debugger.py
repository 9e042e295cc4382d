#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The debugger in the real window (`thaw --debug IMAGE`) on Cuis 4.1,
driven as a person would through the window's actions (win.debug-step is
F11, win.debug-command what the panel's buttons send) over D-Bus, checked
against `thaw-cli debug` on the same image: halted before the first
bytecode; three steps land where the CLI's three steps land, and the
Debugger page's disassembly marks that pc; a checkpoint, steps and a rewind
come back to the same pc; a click on an instruction sets a breakpoint
there and continuing halts on it; a breakpoint on a selector the startup
sends halts there with that reason.  TAP output; run under X (xvfb-run)
with a session bus (dbus-run-session)."""
import ctypes
import ctypes.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import thawapp
from thawapp import action, export_state, screenshot, skip, tap, wait_for

GUI = os.environ["THAW_GUI"]
CLI = os.environ["THAW_CLI"]
IMAGES = os.environ["THAW_IMAGES_DIR"]
CUIS = os.path.join(IMAGES, "cuis4.1", "Cuis4.1-1544-reduced.image")
CHECKS = ["thaw --debug halts before the first bytecode",
          "three steps (F11) land where thaw-cli's three steps land; the disassembly marks the pc",
          "checkpoint, step, rewind: back at the same pc",
          "a click on an instruction sets a breakpoint; continue halts there",
          "break on a selector the startup sends; continue halts there with that reason",
          "the Debugger page is shown (screenshot)",
          "keys: F10 steps over and Shift+F11 steps out as thaw-cli's next and finish; "
          "F5 continues to a breakpoint; F6 pauses a run",
          "a mouse click on an instruction sets a breakpoint and puts the cursor there; Run to Here runs to it"]



def dbg(st, key, default=""):
    return st["debugger"].get(key, default) if st.has_section("debugger") else default


def messages(st):
    return int(dbg(st, "messages", "0") or 0)


def command(tmp, name, param=None, timeout=30):
    """Send a debugger action; wait for the DEBUG message it brings."""
    before = messages(export_state(tmp))
    action(name, param)
    return wait_for(tmp, lambda s: messages(s) > before, timeout)


def disasm_lines(st):
    """The Debugger page's disassembly (the key file writes newlines as \\n)."""
    return dbg(st, "disasm").replace("\\s", " ").split("\\n")


def current_line(st):
    """The disassembly line marked as the pc: (pc, text)."""
    for line in disasm_lines(st):
        m = re.match(r"^.→\s*(\d+)\s", line)
        if m:
            return int(m.group(1)), line
    return None, None


def instruction_pcs(st):
    pcs = []
    for line in disasm_lines(st):
        m = re.match(r"^..\s*(\d+)\s{2}[0-9A-F]{2}", line)
        if m:
            pcs.append(int(m.group(1)))
    return pcs


class Keys:
    """Key presses through the X server (XTest), as a person types them."""

    def __init__(self):
        x11, xtst = ctypes.util.find_library("X11"), ctypes.util.find_library("Xtst")
        self.ok = bool(x11 and xtst)
        if not self.ok:
            return
        self.x = ctypes.CDLL(x11)
        self.t = ctypes.CDLL(xtst)
        self.x.XOpenDisplay.restype = ctypes.c_void_p
        self.x.XStringToKeysym.restype = ctypes.c_ulong
        self.x.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x.XFlush.argtypes = [ctypes.c_void_p]
        self.t.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self.t.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                                ctypes.c_ulong]
        self.dpy = self.x.XOpenDisplay(None)
        self.ok = bool(self.dpy)

    def close(self):
        if self.ok:
            self.x.XCloseDisplay.argtypes = [ctypes.c_void_p]
            self.x.XCloseDisplay(self.dpy)
            self.ok = False

    def click(self, x, y):
        self.t.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self.t.XTestFakeMotionEvent(self.dpy, -1, int(x), int(y), 0)
        self.x.XFlush(self.dpy)
        time.sleep(0.2)
        self.t.XTestFakeButtonEvent(self.dpy, 1, 1, 0)
        self.t.XTestFakeButtonEvent(self.dpy, 1, 0, 0)
        self.x.XFlush(self.dpy)

    def code(self, name):
        return self.x.XKeysymToKeycode(self.dpy, self.x.XStringToKeysym(name.encode()))

    def press(self, name, shift=False):
        # the pointer over the window: without a window manager the
        # keyboard focus follows it
        self.t.XTestFakeMotionEvent(self.dpy, -1, 600, 450, 0)
        if shift:
            self.t.XTestFakeKeyEvent(self.dpy, self.code("Shift_L"), 1, 0)
        self.t.XTestFakeKeyEvent(self.dpy, self.code(name), 1, 0)
        self.t.XTestFakeKeyEvent(self.dpy, self.code(name), 0, 0)
        if shift:
            self.t.XTestFakeKeyEvent(self.dpy, self.code("Shift_L"), 0, 0)
        self.x.XFlush(self.dpy)


def key_command(tmp, keys, name, shift=False, timeout=30):
    """Press a key; wait for the DEBUG message it brings."""
    before = messages(export_state(tmp))
    keys.press(name, shift)
    return wait_for(tmp, lambda s: messages(s) > before, timeout)


def window_origin(title):
    """Absolute x, y of the X window titled `title`."""
    out = subprocess.run(["xwininfo", "-name", title], capture_output=True, text=True)
    x = re.search(r"Absolute upper-left X:\s+(-?\d+)", out.stdout)
    y = re.search(r"Absolute upper-left Y:\s+(-?\d+)", out.stdout)
    return (int(x.group(1)), int(y.group(1))) if x and y else None


def cli_debug(script):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(script)
        name = f.name
    try:
        out = subprocess.run([CLI, "debug", CUIS, "-x", name, "--json"], capture_output=True, text=True, timeout=120)
        return json.loads(out.stdout)
    finally:
        os.unlink(name)


def get_state(st):
    return st["engine"].get("state", "") if st.has_section("engine") else ""


def where(st):
    return dbg(st, "method"), int(dbg(st, "pc", "0") or 0)


def run(tmp):
    # What thaw-cli says about the same steps, and a selector the startup
    # sends that is not on the stack at startup (so continuing must enter it).
    cli = cli_debug("step\nstep\nstep\nbt 200\nrun 20000\nbt 40\n")
    cli_steps = [(c["method"], c["pc"]) for c in cli["commands"][:3]]
    cli_keys = cli_debug("step\nstep\nstep\nnext\nfinish\n")
    cli_next_finish = [(c["method"], c["pc"]) for c in cli_keys["commands"][3:5]]
    keys = Keys()
    shot = None
    startup_methods = {re.sub(r" \[pc \d+\]$", "", f["frame"]) for f in cli["commands"][3]["frames"]}
    selector = None
    for f in cli["commands"][5]["frames"]:
        frame = re.sub(r" \[pc \d+\]$", "", f["frame"])
        if frame not in startup_methods and not frame.startswith("[]"):
            selector = frame.split(">>", 1)[1]
            break

    thaw = thawapp.Thaw(GUI, "--debug", CUIS)
    try:
        if not thaw.wait_registered():
            tap(False, CHECKS[0], "thaw never appeared on the session bus")
            return
        st, ok = wait_for(tmp, lambda s: dbg(s, "attached") == "true" and dbg(s, "heap_copy") == "true", 60)
        start = where(st)
        pc, _ = current_line(st)
        ok = (ok and dbg(st, "halt_reason").startswith("startup") and start == (cli["start"]["method"], cli["start"]["pc"])
              and pc == start[1] and int(dbg(st, "processes", "0")) >= 1
              and st["window"].get("panel") == "debugger")
        tap(ok, CHECKS[0] + f" ({start[0]} pc {start[1]})",
            f"halt {dbg(st, 'halt_reason')!r}, at {start}, CLI {cli['start']['method']} pc {cli['start']['pc']}, "
            f"disassembly marks {pc}, panel {st['window'].get('panel')}, error {dbg(st, 'error')!r}")

        # checkpoint here, then three steps with the F11 action
        st, ok_cp = command(tmp, "debug-command", "checkpoint")
        ok_cp = ok_cp and dbg(st, "checkpoint_count") == "1"
        got = []
        problems = []
        for i in range(3):
            # F11 (or its action when there is no XTest)
            st, ok = key_command(tmp, keys, "F11") if keys.ok else command(tmp, "debug-step")
            got.append(where(st))
            marked, line = current_line(st)
            if not ok:
                problems.append(f"step {i + 1}: no answer")
            if marked != got[-1][1]:
                problems.append(f"step {i + 1}: the disassembly marks pc {marked}, the top frame is at {got[-1][1]}")
        if got != cli_steps:
            problems.append(f"window {got}, thaw-cli {cli_steps}")
        tap(not problems, CHECKS[1] + f" ({' → '.join(str(p) for _, p in [start] + got)})", "\n".join(problems))

        st, ok = command(tmp, "debug-command", "rewind")
        back = where(st)
        tap(ok_cp and ok and back == start and dbg(st, "halt_reason").startswith("rewound"),
            CHECKS[2] + f" (back at pc {back[1]})",
            f"checkpoint ok {ok_cp}; after rewind at {back}, expected {start}; {dbg(st, 'halt_reason')!r} "
            f"{dbg(st, 'error')!r}")

        # a click on the instruction the three steps reached (the CLI says
        # the run passes there): a breakpoint there
        pcs = instruction_pcs(st)
        if cli_steps[2][0] != back[0] or cli_steps[2][1] not in pcs:
            tap(False, CHECKS[3], f"the third step leaves the method: {cli_steps[2]}; instructions {pcs}")
        else:
            target = cli_steps[2][1]
            st, ok = command(tmp, "debug-toggle-pc", target)
            spec = f"{back[0]} pc {target}"
            listed = any(spec in b for b in dbg(st, "breakpoints").split(";"))
            st2, ok2 = command(tmp, "debug-command", "continue", 60)
            at = where(st2)
            # the picture for docs: halted on a breakpoint set by a click (marked ●)
            time.sleep(1.0)
            shot = screenshot("debugger-cuis.png")
            _, line = current_line(st2)
            dot = line is not None and line.startswith("●")
            # and a second click clears it
            st3, ok3 = command(tmp, "debug-toggle-pc", target)
            tap(ok and listed and ok2 and at == (back[0], target) and dbg(st2, "halt_reason").startswith("breakpoint")
                and dot and ok3 and dbg(st3, "breakpoint_count") == "0",
                CHECKS[3] + f" ({spec})",
                f"listed {listed} in {dbg(st, 'breakpoints')!r}; halted at {at} ({dbg(st2, 'halt_reason')!r}); "
                f"the pc's line {line!r} (marked with a dot: {dot}); "
                f"after the second click {dbg(st3, 'breakpoint_count')} breakpoints")

        if selector is None:
            tap(False, CHECKS[4], "no selector found in thaw-cli's stack after 20000 bytecodes")
        else:
            st, ok = command(tmp, "debug-command", f"break {selector}")
            st2, ok2 = command(tmp, "debug-command", "continue", 60)
            method, pc = where(st2)
            reason = dbg(st2, "halt_reason")
            tap(ok and ok2 and method.endswith(">>" + selector) and reason.startswith("breakpoint")
                and selector in reason,
                CHECKS[4] + f" (#{selector}: {method} pc {pc})",
                f"halted in {method} pc {pc}: {reason!r}; error {dbg(st2, 'error')!r}")

        st = export_state(tmp)
        tap(st["window"].get("panel") == "debugger" and (shot is None or os.path.exists(shot)),
            CHECKS[5] + (f" ({shot})" if shot else ""), f"panel {st['window'].get('panel')}")

        if not keys.ok:
            skip(CHECKS[6], "no XTest (libXtst) to press keys")
            return
        problems = []
        st, ok = command(tmp, "debug-command", "clear")
        st, ok = command(tmp, "debug-command", "rewind 1")
        if where(st) != start:
            problems.append(f"rewind 1: at {where(st)}")
        for _ in range(3):
            key_command(tmp, keys, "F11")
        st, ok = key_command(tmp, keys, "F10")
        got = [where(st)]
        if dbg(st, "command") != "next":
            problems.append(f"F10 sent {dbg(st, 'command')!r}")
        st, ok = key_command(tmp, keys, "F11", shift=True)
        got.append(where(st))
        finish_halt = dbg(st, "halt_reason")
        if dbg(st, "command") != "finish":
            problems.append(f"Shift+F11 sent {dbg(st, 'command')!r}")
        if got != cli_next_finish:
            problems.append(f"next, finish: window {got}, thaw-cli {cli_next_finish}; finish halted: {finish_halt!r}; "
                            f"output {dbg(st, 'output')!r}")
        st, ok = command(tmp, "debug-command", "break withAll:")
        st, ok = key_command(tmp, keys, "F5", timeout=60)
        if not (ok and dbg(st, "halt_reason").startswith("breakpoint") and dbg(st, "method").endswith(">>withAll:")):
            problems.append(f"F5: halted {dbg(st, 'halt_reason')!r} in {dbg(st, 'method')!r}")
        st, ok = command(tmp, "debug-command", "clear")
        before = int(dbg(st, "bytecodes", "0"))
        keys.press("F5")
        st, ok = wait_for(tmp, lambda s: get_state(s) in ("running", "idle"), 20)
        time.sleep(1.0)
        st, ok = key_command(tmp, keys, "F6")
        if not (ok and dbg(st, "halt_reason") == "paused" and int(dbg(st, "bytecodes", "0")) > before):
            problems.append(f"F6: {dbg(st, 'halt_reason')!r} after {dbg(st, 'bytecodes')} bytecodes (from {before})")
        tap(not problems, CHECKS[6] + f" ({' → '.join(f'{m} pc {p}' for m, p in got)})", "\n".join(problems))

        # a real click on the line of the instruction the third step reaches
        problems = []
        command(tmp, "debug-command", "clear")
        st, ok = command(tmp, "debug-command", "rewind 1")
        method, target = cli_steps[2]
        if method != start[0]:
            tap(False, CHECKS[7], f"the third step leaves the method: {cli_steps[2]}")
            return
        action("debug-locate-pc", target)
        st, _ = wait_for(tmp, lambda s: dbg(s, "locate_x") != "", 5)
        origin = window_origin(st["window"].get("title", ""))
        if origin is None or not dbg(st, "locate_x"):
            tap(False, CHECKS[7], f"window at {origin}; instruction {target} drawn at "
                f"{dbg(st, 'locate_x')!r}, {dbg(st, 'locate_y')!r}; halted at {where(st)} "
                f"({dbg(st, 'halt_reason')!r}), the disassembly marks {current_line(st)}")
            return
        x = origin[0] + float(dbg(st, "locate_x"))
        y = origin[1] + float(dbg(st, "locate_y"))
        before = messages(st)
        keys.click(x, y)
        st, ok = wait_for(tmp, lambda s: messages(s) > before, 20)
        spec = f"{method} pc {target}"
        if not (ok and dbg(st, "command") == f"break {spec}"):
            problems.append(f"the click at {x:.0f},{y:.0f} sent {dbg(st, 'command')!r}, not 'break {spec}'")
        command(tmp, "debug-command", "clear")
        st, ok = command(tmp, "debug-run-to-here")
        if not (ok and dbg(st, "command") == f"until {target}" and where(st) == (method, target)
                and dbg(st, "halt_reason").startswith("pc")):
            problems.append(f"Run to Here sent {dbg(st, 'command')!r}, halted at {where(st)}: "
                            f"{dbg(st, 'halt_reason')!r} {dbg(st, 'error')!r}")
        tap(not problems, CHECKS[7] + f" ({spec})", "\n".join(problems))
    finally:
        thaw.stop()
        keys.close()


def main():
    if not os.environ.get("DISPLAY"):
        print("1..0 # SKIP no X display (run the app suite under xvfb-run)")
        return 0
    for tool in ("gdbus", "import", "xwininfo"):
        if shutil.which(tool) is None:
            print(f"1..0 # SKIP {tool} is not installed")
            return 0
    print(f"1..{len(CHECKS)}")
    if not os.path.exists(CUIS):
        for c in CHECKS:
            skip(c, f"real image {CUIS} is missing")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        thawapp.isolate(tmp)
        run(tmp)
    while thawapp.count() < len(CHECKS):
        tap(False, CHECKS[thawapp.count()], "not reached")
    return 1 if thawapp.failures() else 0


sys.exit(main())
