# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Feature 4, the pure part: what the notebook status of one Argo CD Application is, and when to write it.

The NVJs go one at a time into a ``Tally`` per parent Application, which keeps counters and a bounded
list of failed names, never the objects (an NVJ status carries notebook cell outputs). ``build_annotations``
turns a tally into the annotations; ``decide`` says whether to write them: only when something other than
``lastUpdate`` changed, and at most once per ``min_interval`` per Application. A write that comes too early
is deferred with ``retry_after``, so the controller requeues and the final state always lands; a new failure
bypasses the interval. The interval is judged from the ``lastUpdate`` already on the Application: every
controller run is a fresh process, so the cluster is the only memory there is.

No I/O here: ``notebook_status`` reads the jobs and the Applications and writes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math

from ansible_collections.mlops.gitops.plugins.module_utils import nvj

MIN_INTERVAL = 60
MAX_FAILED_JOBS = 20

COUNT_KEYS = (
    ("total", nvj.ANN_NOTEBOOK_TOTAL),
    ("succeeded", nvj.ANN_NOTEBOOK_SUCCEEDED),
    ("failed", nvj.ANN_NOTEBOOK_FAILED),
    ("running", nvj.ANN_NOTEBOOK_RUNNING),
)
MANAGED_KEYS = (
    nvj.ANN_NOTEBOOK_STATUS,
    nvj.ANN_NOTEBOOK_SUMMARY,
    nvj.ANN_NOTEBOOK_TOTAL,
    nvj.ANN_NOTEBOOK_SUCCEEDED,
    nvj.ANN_NOTEBOOK_FAILED,
    nvj.ANN_NOTEBOOK_RUNNING,
    nvj.ANN_NOTEBOOK_LAST_FAILURE,
    nvj.ANN_NOTEBOOK_LAST_SUCCESS,
)

UPDATED, UNCHANGED, DEFERRED = "updated", "unchanged", "deferred"


# -- counting ---------------------------------------------------------------------------------
def _sortable(completed):
    """A completion time as a string that sorts chronologically ("" when absent or unreadable)."""
    moment = nvj.parse_time(completed)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else ""


def completion_ref(job, completed=None):
    """``(sort time, "ns/name", "ns/name@completionTime")``, the job's completion reference: references
    order by time, then by job; the third part is what ``notebook-last-failure`` / ``notebook-last-success``
    hold. ``completed``: the job's ``nvj.completion_time`` when the caller has it already."""
    meta = nvj.metadata(job)
    job_key = "{}/{}".format(meta.get("namespace") or "", meta.get("name") or "")
    completed = (nvj.completion_time(job) if completed is None else completed) or ""
    return (_sortable(completed), job_key, job_key + "@" + completed)


def parse_completion_ref(value):
    """A ``notebook-last-failure`` / ``-success`` value as the completion reference ``Tally`` made it, or None
    (empty or malformed). Names cannot contain ``@``, so the first one ends ``ns/name``."""
    if not isinstance(value, str) or "@" not in value:
        return None
    job_key, _at, completed = value.partition("@")
    return (_sortable(completed), job_key, value)


class Tally:
    """Counters for the jobs of one Application, fed one job at a time.

    Memory is O(max_failed_jobs + namespaces) however many jobs go through ``add``.
    ``running`` counts every phase that is not terminal, including jobs without a status yet, and a
    terminal phase without a valid completion time (the first step of the Go operator's two-step
    failure: counting it failed then would announce the one failure twice, ``notebook-last-failure``
    changing from ``ns/name@`` to ``ns/name@<time>``).
    """

    def __init__(self, max_failed_jobs=MAX_FAILED_JOBS):
        self.max_failed_jobs = max_failed_jobs
        self.total = self.succeeded = self.failed = self.running = 0
        self.namespaces = set()
        self.last_failure = None  # a completion_ref
        self.last_success = None
        self._failed = []  # (sort time, namespace, name), trimmed to max_failed_jobs when it doubles

    def add(self, job):
        meta = nvj.metadata(job)
        namespace, name = meta.get("namespace") or "", meta.get("name") or ""
        self.total += 1
        self.namespaces.add(namespace)
        phase = nvj.phase(job)
        completed = nvj.completion_time(job) if phase in nvj.TERMINAL_PHASES else None
        if completed is None:
            self.running += 1
            return
        ref = completion_ref(job, completed)
        if phase == nvj.SUCCEEDED:
            self.succeeded += 1
            self.last_success = max(self.last_success or ref, ref)
            return
        self.failed += 1
        self.last_failure = max(self.last_failure or ref, ref)
        self._failed.append((ref[0], namespace, name))
        if len(self._failed) > 2 * max(self.max_failed_jobs, 1):
            self._trim()

    def merge(self, other):
        """Add the jobs ``other`` counted (another pass over other namespaces)."""
        self.total += other.total
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.running += other.running
        self.namespaces |= other.namespaces
        for mine, theirs in (("last_failure", other.last_failure), ("last_success", other.last_success)):
            if theirs is not None:
                setattr(self, mine, max(getattr(self, mine) or theirs, theirs))
        self._failed.extend(other._failed)
        self._trim()

    def _trim(self):
        """Keep the newest failures; equal times in name order, so the result never depends on list order."""
        self._failed.sort(key=lambda entry: (entry[1], entry[2]))
        self._failed.sort(key=lambda entry: entry[0], reverse=True)
        del self._failed[self.max_failed_jobs:]

    def failed_jobs(self):
        """The newest failures, at most ``max_failed_jobs``: ``name``, or ``ns/name`` when the
        Application's jobs live in several namespaces."""
        self._trim()
        several = len(self.namespaces) > 1
        return [ns + "/" + name if several else name for _time, ns, name in self._failed]


# -- content ----------------------------------------------------------------------------------
def summary(succeeded, total):
    """``"30/32 succeeded (93.8% success rate)"``: one decimal, rounded half up, exactly."""
    if total <= 0:
        return "0/0 succeeded (no notebook validation jobs)"
    tenths = (2 * succeeded * 1000 + total) // (2 * total)
    return "{}/{} succeeded ({}.{}% success rate)".format(succeeded, total, tenths // 10, tenths % 10)


def build_status(tally, now):
    failed_jobs = tally.failed_jobs()
    return {
        "total": tally.total,
        "succeeded": tally.succeeded,
        "failed": tally.failed,
        "running": tally.running,
        "lastUpdate": nvj.rfc3339(now),
        "failedJobs": failed_jobs,
        "failedJobsOmitted": tally.failed - len(failed_jobs),
        "namespaces": sorted(tally.namespaces),
    }


def build_annotations(tally, now):
    """Every annotation this feature manages on the Application, as strings."""
    status = build_status(tally, now)
    out = {
        nvj.ANN_NOTEBOOK_STATUS: json.dumps(status, separators=(",", ":")),
        nvj.ANN_NOTEBOOK_SUMMARY: summary(tally.succeeded, tally.total),
        nvj.ANN_NOTEBOOK_LAST_FAILURE: tally.last_failure[2] if tally.last_failure else "",
        nvj.ANN_NOTEBOOK_LAST_SUCCESS: tally.last_success[2] if tally.last_success else "",
    }
    for field, key in COUNT_KEYS:
        out[key] = str(status[field])
    return out


def parse_status(value):
    """The existing ``notebook-status`` JSON as a dict, or None when absent or not a JSON object."""
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def managed(annotations):
    """Only this feature's annotations (None for the absent ones)."""
    return dict((key, (annotations or {}).get(key)) for key in MANAGED_KEYS)


def same_content(existing, new):
    """True when the two annotation sets differ at most in ``lastUpdate``."""
    for key in MANAGED_KEYS:
        if key == nvj.ANN_NOTEBOOK_STATUS:
            old, fresh = parse_status(existing.get(key)), parse_status(new.get(key))
            if old is None or fresh is None:
                return False
            old.pop("lastUpdate", None)
            fresh.pop("lastUpdate", None)
            if old != fresh:
                return False
        elif existing.get(key) != new.get(key):
            return False
    return True


def _count(annotations, key, field):
    for value in (annotations.get(key), (parse_status(annotations.get(nvj.ANN_NOTEBOOK_STATUS)) or {}).get(field)):
        try:
            return int(value)
        except (TypeError, ValueError):
            continue
    return 0


def is_new_failure(existing, new):
    """A failure that was not on the Application before: more failures, or a newer last failure."""
    if _count(new, nvj.ANN_NOTEBOOK_FAILED, "failed") > _count(existing, nvj.ANN_NOTEBOOK_FAILED, "failed"):
        return True
    newest = new.get(nvj.ANN_NOTEBOOK_LAST_FAILURE)
    return bool(newest) and newest != existing.get(nvj.ANN_NOTEBOOK_LAST_FAILURE)


def _last_update(existing):
    return nvj.parse_time((parse_status(existing.get(nvj.ANN_NOTEBOOK_STATUS)) or {}).get("lastUpdate"))


def _interval_left(last, now, min_interval):
    """``(elapsed, retry_after)`` while the interval since ``last`` holds writes back, else None.
    A ``lastUpdate`` in the future (clock skew) must not block writes."""
    elapsed = (now - last).total_seconds()
    if elapsed < 0 or elapsed >= min_interval:
        return None
    return elapsed, max(1, int(math.ceil(min_interval - elapsed)))


def _too_early(elapsed, min_interval):
    return "last written {}s ago; at most one write per {}s (min_interval)".format(int(elapsed), min_interval)


def decide(existing, new, now, min_interval):
    """``(action, reason, retry_after)`` with action ``updated`` (write now), ``unchanged`` or
    ``deferred`` (write in ``retry_after`` seconds). ``existing``/``new`` are managed annotations."""
    if same_content(existing, new):
        return UNCHANGED, "the annotations already hold this content", None
    if is_new_failure(existing, new):
        return UPDATED, "a new failure is written at once", None
    last = _last_update(existing)
    if last is None:
        return UPDATED, "no earlier notebook status on the Application", None
    wait = _interval_left(last, now, min_interval)
    if wait is None:
        return UPDATED, "content changed", None
    return DEFERRED, _too_early(wait[0], min_interval), wait[1]


def failure_reflected(existing, job):
    """True when the Application's ``notebook-last-failure`` is the failed ``job``'s completion reference
    or a newer one, in the order ``Tally`` keeps its references: this failure (or a later one) was written
    already. The same job at the same instant counts as written however the time is spelled; a job without
    a readable completion time only by its exact reference (it would sort before every other)."""
    written, mine = parse_completion_ref(existing.get(nvj.ANN_NOTEBOOK_LAST_FAILURE)), completion_ref(job)
    if written is None:
        return False
    return written[2] == mine[2] or (bool(mine[0]) and written[:2] >= mine[:2])


def decide_before_listing(existing, job, now, min_interval):
    """``(DEFERRED, reason, retry_after)`` when no list could make ``job``'s reconcile write now, else None.

    Inside the interval the only write allowed is a new failure. A job that is not Failed, or whose
    failure the Application already shows, cannot bring one: whatever the list holds, the outcome is
    ``unchanged`` or ``deferred``, and ``deferred`` is safe for both (the requeued run after the interval
    lists and writes, or finds nothing to write). A failure newly brought by another job is written by
    that job's own reconcile. ``existing`` are the Application's managed annotations."""
    last = _last_update(existing)
    if min_interval <= 0 or last is None:
        return None
    wait = _interval_left(last, now, min_interval)
    if wait is None:
        return None
    if nvj.phase(job) == nvj.FAILED and not failure_reflected(existing, job):
        return None
    reason = _too_early(wait[0], min_interval) + "; the jobs are counted when the interval is over"
    return DEFERRED, reason, wait[1]


def recorded_namespaces(app):
    """Where the Application's jobs were found last time (from the status JSON)."""
    status = parse_status(nvj.annotations(app or {}).get(nvj.ANN_NOTEBOOK_STATUS)) or {}
    values = status.get("namespaces")
    return set(v for v in values if isinstance(v, str) and v) if isinstance(values, list) else set()
