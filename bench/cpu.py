"""CPU time of a server's processes, from /proc (Linux only).

Requests/s on a shared machine move with whatever else runs; the CPU a server spends
per request moves much less, and it is what the ratios to the ceiling come from: on
2026-12-06 the gunicorn processes spent 0.83 ms a request on the ceiling, 1.52 ms on
the list and 5.20 ms on the staff page (SQLite, 10k), and their requests/s stood in
nearly those ratios. PostgreSQL's own processes are not counted.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def tree_cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds of process `pid` and every process below it, or None
    where /proc cannot tell (another system, or the process is gone)."""
    if not (PROC / str(pid) / "stat").exists():
        return None
    children: dict[int, list[int]] = {}
    seconds: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            # The command name may hold spaces and parentheses: the fields start after
            # its last ")"; then state, ppid, ..., utime and stime (fields 14 and 15).
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # exited while we looked
        process = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(process)
        seconds[process] = (int(fields[11]) + int(fields[12])) / ticks
    total, waiting = 0.0, [pid]
    while waiting:
        process = waiting.pop()
        total += seconds.get(process, 0.0)
        waiting += children.get(process, [])
    return total
