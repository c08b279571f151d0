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
requeue fires before this run returns (the job is queued again behind it), for a backstop well after it: the run
the armed requeue causes starts after the due time and asks for the next poll as usual, sooner than the backstop,
and the queue keeps the sooner entry; the backstop fires only if the armed requeue is gone (the chain then resumes
``BACKSTOP`` seconds late instead of at ansible-operator's periodic resync, minutes later).

When a run started is told by ansible-operator itself: for each reconcile it writes a fresh kubeconfig (Go's
``os.CreateTemp("", "kubeconfig")``: ``$TMPDIR/kubeconfig<digits>``, pointing the run at its API proxy) just before it
starts ansible-runner, passes its path to the run as ``K8S_AUTH_KUBECONFIG`` and removes it when the run returns
(internal/ansible/controller/reconcile.go, proxy/kubeconfig). The file's modification time is the reconcile's start,
read with one ``stat``; nothing of the process tree. Any other kubeconfig (a user's, a mounted one) does not have
that name and gives None: every run then counts as the armed requeue's run, which is what happens without a state
file. A lost file (a new pod, a new leader) costs at most one extra chain start.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import os
import re
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
# How long after the armed instant (plus the poll) a run the armed requeue overtakes asks to be run again: longer
# than a run, so that the armed requeue's own run, which asks for its poll when it returns, always asks sooner.
BACKSTOP = 30.0
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
        # The armed requeue fires before this run returns: its run follows this one and asks for the next poll,
        # sooner than this backstop (the queue keeps the sooner); the backstop only runs the job if it is gone.
        return int(math.ceil(max(due - now, 0) + BACKSTOP + wait)), record
    # The armed requeue's own run (or the first, or one with no requeue armed), or one that needs the job
    # sooner than the armed instant (the queue keeps the sooner entry): this run's requeue is the chain.
    return wait, {"due": now + wait}


# The name ansible-operator's per-reconcile kubeconfig has (Go's os.CreateTemp pattern "kubeconfig": digits added).
OPERATOR_KUBECONFIG = re.compile(r"kubeconfig[0-9]+")


def run_started(environ=None, now=None):
    """When ansible-operator began the reconcile this run is part of (epoch), or None (not run by it).

    The modification time of the kubeconfig it wrote for this reconcile (``K8S_AUTH_KUBECONFIG``, named
    ``kubeconfig<digits>``); None for any other kubeconfig, a missing file, or a time ahead of ``now``."""
    environ = os.environ if environ is None else environ
    now = time.time() if now is None else now
    path = environ.get("K8S_AUTH_KUBECONFIG") or ""
    if not OPERATOR_KUBECONFIG.fullmatch(os.path.basename(path)):
        return None
    try:
        started = os.stat(path).st_mtime
    except OSError:
        return None
    return started if started <= now else None


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
