#!/usr/bin/env python3
"""Starves a running nyx the way a loaded host does, for the e2e layer.

starve.py PID RUN_MS STOP_MS LOG UNTIL OUT: lets process PID run RUN_MS,
then stops it (SIGSTOP, every thread: vCPU and event loop) for STOP_MS,
over and over, until the text UNTIL appears in LOG, the process ends, or
300 s have passed; the process is always left running (SIGCONT). Writes
"CYCLES SEEN" to OUT: the stop/continue cycles and whether UNTIL was seen
while starving (1) or not (0).
"""
import os
import signal
import sys
import time


def start_time(pid):
    """The process's start time (field 22 of /proc/PID/stat), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def seen(log, text):
    try:
        with open(log, errors="replace") as f:
            return text in f.read()
    except OSError:
        return False


def main():
    pid, run_ms, stop_ms = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    log, until, out = sys.argv[4], sys.argv[5], sys.argv[6]
    cycles, hit, end = 0, False, time.monotonic() + 300
    born = start_time(pid)
    try:
        while time.monotonic() < end:
            time.sleep(run_ms / 1000)
            if seen(log, until):
                hit = True
                break
            if born is None or start_time(pid) != born:
                break           # gone (never signal a recycled PID)
            os.kill(pid, signal.SIGSTOP)
            time.sleep(stop_ms / 1000)
            os.kill(pid, signal.SIGCONT)
            cycles += 1
    except ProcessLookupError:
        pass
    finally:
        if born is not None and start_time(pid) == born:
            os.kill(pid, signal.SIGCONT)
    with open(out, "w") as f:
        f.write(f"{cycles} {int(hit)}\n")


if __name__ == "__main__":
    main()
