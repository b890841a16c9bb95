"""CPU seconds used by a process, or by a process and everything it started (Linux /proc), so a
benchmark can say where its cores went: the database, the web server, its own client threads.

A process's own time is utime + stime; the time of children it has already reaped (a PostgreSQL
backend that ended, reaped by the postmaster) is in its cutime + cstime. Summing both over every
living process of the tree counts each process once, whether it still runs or has ended. Missed:
a process that ends between the scan reading its parent and reading it (one short-lived process
at most), and descendants whose parent ended first (re-parented to init); neither a PostgreSQL
backend nor a gunicorn worker ends that way while a benchmark runs."""

from __future__ import annotations

import os
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields after the command name (state, ppid, …), or None when it ended."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after its last ")".
    return text.rsplit(")", 1)[1].split()


def process_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) of one process so far, None when /proc does not show it."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def tree_cpu_seconds(root_pid: int) -> float:
    """CPU seconds (user + system) of root_pid and all its descendants, ended ones included."""
    parent_of, ticks_of = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if fields is None:
            continue
        # fields[1]: ppid; fields[11:15]: utime, stime, cutime, cstime (the line's 14th to 17th).
        parent_of[int(entry)] = int(fields[1])
        ticks_of[int(entry)] = sum(int(value) for value in fields[11:15])
    in_tree = {root_pid}
    changed = True
    while changed:  # a few passes: a tree of gunicorn or PostgreSQL is two levels deep
        changed = False
        for pid, parent in parent_of.items():
            if parent in in_tree and pid not in in_tree:
                in_tree.add(pid)
                changed = True
    return sum(ticks_of.get(pid, 0) for pid in in_tree) / TICKS_PER_SECOND


def cores() -> int:
    return len(os.sched_getaffinity(0))
