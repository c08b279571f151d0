# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One poll chain per running job under ansible-operator (``notebook_reconcile``'s ``poll_state``).

ansible-operator hands a run's ``requeue_after`` to controller-runtime's work queue (``AddAfter``). The queue keeps
one waiting entry per job and, when a second request comes while one waits, keeps the sooner of the two. A watch
event (an annotation or spec change) runs the job at once and leaves the armed requeue waiting. When that
requeue fires while the early run is still going (the run takes longer than what was left of the wait), the job
is queued again behind it, and the early run's own request finds nothing waiting: from then on two requeue chains
interleave and the job runs back to back until it finishes.

So each run records, per job (by uid), when the requeue it asked for is due, in a small JSON file the controller
process keeps (its pod's file system). A run that started before its job's recorded due time is a wake-up while
that requeue is armed. It asks for the same instant (``due - now``: the queue merges the two), or, when the armed
requeue fires before this run returns (the job is queued again behind it), for none. The run the armed requeue
causes starts after the due time and asks for the next poll as usual.

When a run started is read from the process tree: ansible-runner's start, which ansible-operator execs as the
reconcile begins. Without it (not under ansible-runner) every run counts as the armed requeue's run, which is
what happens without a state file. A lost file (a new pod, a new leader) costs at most one extra chain start.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import os
import time

try:
    import fcntl
except ImportError:  # not POSIX: no lock; runs of one controller are then not concurrent writers anyway
    fcntl = None

# When the armed requeue fires less than this many seconds from now, it fires before this run returns (the
# tasks after the reconcile, metrics and the requeue itself, take 0.3-3 s), so the job is queued again behind it.
FIRES_BEFORE_RETURN = 3.0
# A run counts as a wake-up when it started this many seconds or more before its job's due time.
EARLY_SLACK = 0.5
# A record whose due time is older than this belongs to a job that has gone: pruned.
KEEP_SECONDS = 3600


def decide(record, wait, started, now, margin=FIRES_BEFORE_RETURN):
    """``(ask, record)``: the requeue this run asks for (seconds, or None) and the job's record to keep.

    ``record``: ``{"due": epoch}`` of the job, or None. ``wait``: the poll the job needs now (None: finished,
    gone or no poll). ``started``: when this run's reconcile began (epoch; None: unknown). ``now``: epoch.
    """
    if wait is None:
        return None, None  # nothing to poll: forget the job
    due = (record or {}).get("due")
    # The armed requeue's own run starts after it fired, which is after ``due`` (recorded when the run that
    # asked for it decided, before it returned): a run that started before is a wake-up. Half a second of
    # slack, so that the armed requeue's run is never taken for one (that would skip its poll); a wake-up
    # taken for the armed run arms the chain itself, and the armed run that follows it is then the early one.
    early = isinstance(due, (int, float)) and started is not None and started < due - EARLY_SLACK
    if early and now + wait >= due:
        if due - now > margin:
            return int(math.ceil(due - now)), record  # the armed instant: the queue keeps one entry
        return None, record  # the armed requeue fires before this run returns: its run follows this one
    # The armed requeue's own run (or the first, or one with no requeue armed), or one that needs the job
    # sooner than the armed instant (the queue keeps the sooner entry): this run's requeue is the chain.
    return wait, {"due": now + wait}


def run_started(pid=None, proc="/proc", now=None):
    """When the ansible-runner this process runs under started (epoch), or None (not under one, no /proc).

    The start is ``now`` minus how long ago it was: the process's start (clock ticks since boot) against
    ``/proc/uptime`` (10 ms). ``btime`` (whole seconds) must agree within 1.5 s, so that a ``/proc/uptime``
    that is not the kernel's (a container's, from lxcfs) gives None rather than a wrong time."""
    now = time.time() if now is None else now
    try:
        with open(os.path.join(proc, "uptime")) as handle:
            uptime = float(handle.read().split()[0])
        with open(os.path.join(proc, "stat")) as handle:
            boot = next(float(line.split()[1]) for line in handle if line.startswith("btime "))
        ticks = float(os.sysconf("SC_CLK_TCK"))
        pid = pid or os.getpid()
        for _depth in range(8):
            with open(os.path.join(proc, str(pid), "stat")) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(os.path.join(proc, str(pid), "cmdline"), "rb") as handle:
                argv = handle.read().decode("utf-8", "replace").split("\0")
            if any(os.path.basename(arg) == "ansible-runner" for arg in argv[:3]):
                since_boot = int(fields[19]) / ticks
                started = now - (uptime - since_boot)
                if started > now or abs(started - (boot + since_boot)) > 1.5:
                    return None
                return started
            pid = int(fields[1])
            if pid <= 1:
                return None
    except (OSError, ValueError, StopIteration, IndexError):
        return None
    return None


class PollState:
    """The JSON file ``{uid: {"due": epoch}}``, read and written under an exclusive lock (runs of several jobs
    go at once, one ansible-runner each)."""

    def __init__(self, path):
        self.path = path

    def settle(self, uid, wait, started, now=None, write=True):
        """``decide`` for the job ``uid`` against the file; stores the new record unless ``write`` is false."""
        now = time.time() if now is None else now
        directory = os.path.dirname(self.path)
        if directory and not os.path.isdir(directory):
            os.makedirs(directory)
        with open(self.path + ".lock", "a") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            records = self._read()
            ask, record = decide(records.get(uid), wait, started, now)
            if write:
                if record is None:
                    records.pop(uid, None)
                else:
                    records[uid] = record
                self._write(dict((k, v) for k, v in records.items() if v.get("due", 0) > now - KEEP_SECONDS))
        return ask

    def _read(self):
        try:
            with open(self.path) as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {}
        return dict((k, v) for k, v in data.items() if isinstance(v, dict)) if isinstance(data, dict) else {}

    def _write(self, records):
        temporary = "{0}.{1}".format(self.path, os.getpid())
        with open(temporary, "w") as handle:
            json.dump(records, handle, sort_keys=True)
        os.rename(temporary, self.path)
