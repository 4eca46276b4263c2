#!/usr/bin/env python3
"""Idle memory (RSS and PSS) and CPU of the running app, window open and then closed to the tray.

Run inside an X display and a D-Bus session, e.g.:
    xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
        python3 scripts/measure_idle.py target/release/recupero
Prints a Markdown table for BENCHMARKS.md. Counts the app process and every descendant
(WebKitWebProcess, WebKitNetworkProcess); once the window is closed, the tray-only process the
app hands over to (`recupero-tray` next to the binary, found by its data directory). CPU is user+system time over the window, in
CPU-seconds and as a percentage of one core.
"""
import ctypes
import os
import subprocess
import sys
import tempfile
import time

TICK = os.sysconf("SC_CLK_TCK")


def children_of(pid):
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            kids.append(int(d))
    return kids


def tree(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children_of(p))
    return out


def name(pid):
    try:
        return open(f"/proc/{pid}/comm").read().strip()
    except OSError:
        return "?"


def mem_kib(pid):
    """RSS, PSS and private dirty memory (what the process alone holds: heap, stacks, written
    pages; file pages it only reads are clean and the kernel can drop them)."""
    rss = pss = dirty = 0
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Private_Dirty:"):
                dirty = int(line.split()[1])
    except OSError:
        pass
    return rss, pss, dirty


def cpu_ticks(pid):
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    except OSError:
        return 0


def measure(app_pid, seconds):
    procs = tree(app_pid)
    start = {p: cpu_ticks(p) for p in procs}
    time.sleep(seconds)
    procs_end = tree(app_pid)
    rows, total_rss, total_pss, total_dirty, total_cpu = [], 0, 0, 0, 0.0
    for p in procs_end:
        rss, pss, dirty = mem_kib(p)
        cpu = (cpu_ticks(p) - start.get(p, 0)) / TICK
        rows.append((name(p), rss, pss, dirty, cpu))
        total_rss += rss
        total_pss += pss
        total_dirty += dirty
        total_cpu += cpu
    return rows, total_rss, total_pss, total_dirty, total_cpu


def close_windows_named(title):
    """Sends WM_DELETE_WINDOW, as a window manager does when the close button is clicked."""
    x = ctypes.cdll.LoadLibrary("libX11.so.6")
    x.XOpenDisplay.restype = ctypes.c_void_p
    x.XDefaultRootWindow.restype = ctypes.c_ulong
    x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x.XInternAtom.restype = ctypes.c_ulong
    x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x.XFetchName.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_char_p)]
    x.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
                             ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
                             ctypes.POINTER(ctypes.c_uint)]
    x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
    x.XFlush.argtypes = [ctypes.c_void_p]
    dpy = x.XOpenDisplay(None)
    found = []

    def walk(w):
        nm = ctypes.c_char_p()
        if x.XFetchName(dpy, w, ctypes.byref(nm)) and nm.value == title.encode():
            found.append(w)
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        kids, n = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
        if x.XQueryTree(dpy, w, ctypes.byref(root), ctypes.byref(parent), ctypes.byref(kids), ctypes.byref(n)):
            for i in range(n.value):
                walk(kids[i])

    walk(x.XDefaultRootWindow(dpy))

    class ClientMessage(ctypes.Structure):
        _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                    ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                    ("format", ctypes.c_int), ("data", ctypes.c_long * 5), ("pad", ctypes.c_long * 12)]

    protocols = x.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
    delete = x.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
    for w in found:
        ev = ClientMessage(type=33, window=w, message_type=protocols, format=32)
        ev.data[0] = delete
        x.XSendEvent(dpy, w, 0, 0, ctypes.byref(ev))
    x.XFlush(dpy)
    return len(found)


def report(title, rows, rss, pss, dirty, cpu, seconds):
    print(f"\n**{title}** (CPU over {seconds} s)\n")
    print("| process | RSS MiB | PSS MiB | private dirty MiB | CPU-s |")
    print("|---|---:|---:|---:|---:|")
    for n, r, p, d, c in rows:
        print(f"| {n} | {r/1024:.1f} | {p/1024:.1f} | {d/1024:.1f} | {c:.2f} |")
    print(f"| **total** | **{rss/1024:.1f}** | **{pss/1024:.1f}** | **{dirty/1024:.1f}** | **{cpu:.2f}** ({100*cpu/seconds:.2f} % of a core) |")


def app_pids(data):
    """Running (non-zombie) app processes started for the data directory `data`."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            args = open(f"/proc/{d}/cmdline", "rb").read().split(b"\0")
            state = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        is_app = args and (args[0].endswith(b"/recupero") or args[0].endswith(b"/recupero-tray"))
        if is_app and data.encode() in args and state != "Z":
            pids.append(int(d))
    return pids


def main():
    binary = sys.argv[1]
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    data = tempfile.mkdtemp(prefix="recupero-idle-")
    app = subprocess.Popen([binary, "--data-dir", data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tray = None
    try:
        time.sleep(5)  # start-up
        report("Window open, idle", *measure(app.pid, seconds), seconds)
        closed = close_windows_named("Recupero")
        # The window's process hands over to the tray-only binary (`recupero-tray`) and ends.
        app.wait(timeout=30)
        for _ in range(100):
            pids = app_pids(data)
            if len(pids) == 1:
                tray = pids[0]
                break
            time.sleep(0.1)
        assert tray is not None, "a tray-only process must take over"
        time.sleep(5)
        report(f"Window closed to the tray ({closed} window closed; tray-only process), idle",
               *measure(tray, seconds), seconds)
        assert app_pids(data) == [tray], "the app must still be running in the tray"
    finally:
        if app.poll() is None:
            app.terminate()
            app.wait()
        for pid in app_pids(data):
            os.kill(pid, 15)


if __name__ == "__main__":
    main()
