# SPDX-License-Identifier: GPL-3.0-or-later
"""What the app tests share: TAP output, the window's actions over D-Bus
(org.gtk.Actions on dev.thaw.Thaw), its exported state (a key file), the
settings sandbox and screenshots."""
import configparser
import json
import os
import subprocess
import sys
import time

_count = 0
_failures = 0
SHOTS = os.environ.get("THAW_SHOTS")


def isolate(tmp):
    """This run's settings and data in tmp (settings in memory), and no
    accessibility bus."""
    os.environ["XDG_CONFIG_HOME"] = os.path.join(tmp, "config")
    os.environ["XDG_DATA_HOME"] = os.path.join(tmp, "data")
    os.environ["GSETTINGS_BACKEND"] = "memory"
    os.environ["GSETTINGS_SCHEMA_DIR"] = os.environ["THAW_SCHEMA_DIR"]
    os.environ["GTK_A11Y"] = "none"


def screenshot(name):
    """The screen as THAW_SHOTS/name when THAW_SHOTS is set: its path, or None."""
    if not SHOTS:
        return None
    os.makedirs(SHOTS, exist_ok=True)
    out = os.path.join(SHOTS, name)
    subprocess.run(["import", "-window", "root", out], capture_output=True, timeout=30)
    return out


def tap(ok, name, detail=""):
    """One TAP line; the detail, when it failed, as comments."""
    global _count, _failures
    _count += 1
    if ok:
        print(f"ok {_count} {name}")
    else:
        _failures += 1
        print(f"not ok {_count} {name}")
        for line in str(detail).splitlines():
            print(f"# {line}")
    sys.stdout.flush()


def skip(name, why):
    global _count
    _count += 1
    print(f"ok {_count} {name} # SKIP {why}")
    sys.stdout.flush()


def count():
    return _count


def failures():
    return _failures


def action(name, param=None, window=1):
    """Activate a window action (window None: the application's).  An int
    parameter is sent as uint64 (the actions that take numbers take "t"),
    anything else as JSON (strings).  True when gdbus succeeded."""
    path = "/dev/thaw/Thaw" if window is None else f"/dev/thaw/Thaw/window/{window}"
    if param is None:
        arg = "[]"
    elif isinstance(param, int):
        arg = "[<uint64 %d>]" % param
    else:
        arg = "[<%s>]" % json.dumps(param)
    r = subprocess.run(["gdbus", "call", "--session", "--dest", "dev.thaw.Thaw", "--object-path", path,
                        "--method", "org.gtk.Actions.Activate", name, arg, "{}"],
                       capture_output=True, text=True, timeout=20)
    return r.returncode == 0


def export_state(tmp, window=1):
    """A window's state through its export-state action (empty when it did
    not answer within 5 s)."""
    f = os.path.join(tmp, "state.ini")
    if os.path.exists(f):
        os.unlink(f)
    action("export-state", f, window=window)
    for _ in range(50):
        if os.path.exists(f):
            break
        time.sleep(0.1)
    kf = configparser.ConfigParser(interpolation=None)
    kf.optionxform = str
    if os.path.exists(f):
        kf.read(f)
    return kf


def wait_for(tmp, pred, timeout=30, window=1):
    """Export the state until pred holds or the time is up: the last state
    and whether pred held."""
    deadline = time.time() + timeout
    st = export_state(tmp, window)
    while time.time() < deadline:
        if pred(st):
            return st, True
        time.sleep(0.2)
        st = export_state(tmp, window)
    return st, pred(st)


def name_owned():
    """Does some process own the application's bus name (dev.thaw.Thaw)?"""
    r = subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                        "--object-path", "/org/freedesktop/DBus", "--method",
                        "org.freedesktop.DBus.NameHasOwner", "dev.thaw.Thaw"],
                       capture_output=True, text=True)
    return "true" in r.stdout


class Thaw:
    """The application, started after any earlier instance has let go of
    the bus name (else the command line would go to that one)."""

    def __init__(self, gui, *args, env=None):
        deadline = time.time() + 10
        while name_owned() and time.time() < deadline:
            time.sleep(0.2)
        self.proc = subprocess.Popen([gui, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)

    def wait_registered(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if name_owned():
                return True
            time.sleep(0.2)
        return False

    def stop(self):
        if self.proc.poll() is None:
            action("quit", window=None)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
