# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NotebookValidationJob facts shared by every feature: names, annotation keys, phases, time."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import re

from ansible_collections.mlops.gitops.plugins.module_utils import names

GROUP = "mlops.mlops.dev"
VERSION = "v1alpha1"
API_VERSION = GROUP + "/" + VERSION
KIND = "NotebookValidationJob"
PLURAL = "notebookvalidationjobs"

# Annotations this collection reads (ADR-048) ...
ANN_TRIGGER = "mlops.dev/on-success-trigger"
ANN_BLOCK_WAVE = "mlops.dev/block-wave"
ANN_SYNC_WAVE = "argocd.argoproj.io/sync-wave"
ANN_TRACKING_ID = "argocd.argoproj.io/tracking-id"
LABEL_INSTANCE = "app.kubernetes.io/instance"
LABEL_PART_OF = "app.kubernetes.io/part-of"
# ... and writes on the NVJ ...
ANN_TRIGGER_STATUS = "mlops.dev/trigger-status"
# mlops.dev/triggers-<action>-<result>: the record's outcomes counted flat, for kube-state-metrics
ANN_TRIGGER_COUNT_PREFIX = "mlops.dev/triggers-"
ANN_WAVE_COMPLETE = "mlops.dev/wave-complete"
ANN_COMPLETION_TIME = "mlops.dev/completion-time"
ANN_WAVE_FAILED = "mlops.dev/wave-failed"
ANN_FAILURE_TIME = "mlops.dev/failure-time"
# The completion key whose Event was recorded (and counted): lasts as long as the job, unlike the Event
# (an hour by default), so a resync after the Event expired neither announces nor counts it again.
ANN_ANNOUNCED = "mlops.dev/announced-completion"
# ... and on the parent Application.
ANN_NOTEBOOK_STATUS = "mlops.dev/notebook-status"
ANN_NOTEBOOK_SUMMARY = "mlops.dev/notebook-summary"
# Flat values for Argo CD notification triggers (expr cannot parse JSON): counts as decimal strings,
# and completion references (ns/name@time) that change with each new failure / each new all-succeeded state,
# for `oncePer`.
ANN_NOTEBOOK_TOTAL = "mlops.dev/notebook-total"
ANN_NOTEBOOK_SUCCEEDED = "mlops.dev/notebook-succeeded"
ANN_NOTEBOOK_FAILED = "mlops.dev/notebook-failed"
ANN_NOTEBOOK_RUNNING = "mlops.dev/notebook-running"
ANN_NOTEBOOK_LAST_FAILURE = "mlops.dev/notebook-last-failure"  # "<ns>/<name>@<completion time>" of the newest failure
ANN_NOTEBOOK_LAST_SUCCESS = "mlops.dev/notebook-last-success"  # same, newest success

SUCCEEDED = "Succeeded"
FAILED = "Failed"
TERMINAL_PHASES = (SUCCEEDED, FAILED)

# Field manager / reporting component used on every write and Event.
COMPONENT = "mlops-gitops"

# A terminal phase without a completion time is the first of the Go operator's two steps (it writes the time on its
# very next reconcile): the steps that need the time wait for it, and ask to be run again after this many seconds.
SETTLE_RETRY = 10


def metadata(obj):
    return obj.get("metadata") or {}


def annotations(obj):
    return metadata(obj).get("annotations") or {}


def labels(obj):
    return metadata(obj).get("labels") or {}


def status(obj):
    value = obj.get("status")
    return value if isinstance(value, dict) else {}


def phase(obj):
    """The job's phase, or None when the Go operator has not written a status yet."""
    value = status(obj).get("phase")
    return value if isinstance(value, str) and value else None


def is_terminal(obj):
    return phase(obj) in TERMINAL_PHASES


def ref(obj):
    """``NotebookValidationJob ns/name`` for messages."""
    meta = metadata(obj)
    return names.describe(obj.get("kind") or KIND, meta.get("name"), meta.get("namespace"))


STATUS_TIMES = ("startTime", "completionTime")


def completion_time(obj):
    """``status.completionTime`` as written, or None when it is absent or not an RFC 3339 time.

    A terminal phase without it is not a completion yet: the Go operator's ``transitionPhase`` writes
    ``Failed`` without a completion time (a failed build, for one) and its next reconcile writes the
    completion time (and ``message: "Unknown phase: Failed"``). Both steps are one completion, so
    nothing is announced, marked or counted until the time is there. There is no fallback to condition
    times: those change between the two steps, which would give the one completion two keys.

    The time is returned normalised (UTC, whole seconds, ``Z``: what the Go operator's ``metav1.Time`` writes),
    since it is also the value the triggers write (``restartedAt``) and part of the completion's key. A time more
    than ``FUTURE_SKEW`` seconds ahead of this clock is not trusted either (``9999-12-31T23:59:59Z`` would make
    every later completion look older than a restart it recorded)."""
    moment = parse_time(status(obj).get("completionTime"))
    return rfc3339(moment) if moment is not None and not _ahead(moment) else None


# Seconds a status time may lie ahead of this controller's clock (skew between the operator's and ours).
FUTURE_SKEW = 300


def _ahead(parsed, moment=None):
    return parsed > (moment or now()) + datetime.timedelta(seconds=FUTURE_SKEW)


def time_problem(value, moment=None):
    """Why ``value`` (a status time that is set) is treated as missing, or None when it is usable."""
    parsed = parse_time(value)
    if parsed is None:
        return "is not an RFC 3339 time (such as 2026-01-24T22:30:00Z)"
    if _ahead(parsed, moment):
        return "lies in the future (more than {0} s ahead of this controller's clock)".format(FUTURE_SKEW)
    return None


def invalid_times(obj):
    """``[(field, value)]`` for the status times that are set but unusable (``time_problem``): not RFC 3339, or
    in the future. They are treated as missing."""
    st = status(obj)
    return [(f, st[f]) for f in STATUS_TIMES if st.get(f) not in (None, "") and time_problem(st[f]) is not None]


def being_deleted(obj):
    """Whether ``obj`` is being deleted (``metadata.deletionTimestamp``; a finalizer holds it, or its namespace is
    terminating): no step acts on such a job, marks it or announces it."""
    return bool(metadata(obj).get("deletionTimestamp"))


def completion_key(obj):
    """Identifies one terminal completion: the same job run reconciled again has the same key,
    a re-run (or a deleted and re-created namesake) has a new one. Meaningful only when
    ``completion_time`` is set."""
    return "{0}/{1}/{2}".format(metadata(obj).get("uid", ""), phase(obj) or "", completion_time(obj) or "")


def short_hash(text, length=10):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def rfc3339(moment):
    """``moment`` as RFC 3339 in UTC, whole seconds, four-digit year (strftime's %Y drops leading zeros)."""
    m = moment.astimezone(datetime.timezone.utc)
    return "{0:04d}-{1:02d}-{2:02d}T{3:02d}:{4:02d}:{5:02d}Z".format(
        m.year, m.month, m.day, m.hour, m.minute, m.second)


# RFC 3339 date-time, the whole string: what metav1.Time and every Kubernetes client write.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def parse_time(value):
    """RFC 3339 → aware datetime, or None when absent or anything else ("yesterday", a date alone,
    no offset, surrounding blanks): such a time is treated as missing, never guessed."""
    if not value or not isinstance(value, str) or not _RFC3339.fullmatch(value):
        return None
    text = value.replace("z", "Z").replace("t", "T").replace("Z", "+00:00")
    if "." in text:
        head, tail = text.split(".", 1)
        frac = "".join(ch for ch in tail if ch.isdigit())
        offset = tail[len(frac):]
        text = head + "." + frac[:6].ljust(6, "0") + offset
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def duration_seconds(obj):
    start = parse_time(status(obj).get("startTime"))
    end = parse_time(completion_time(obj))
    if start and end and end >= start:
        return int((end - start).total_seconds())
    return None


# What notebook cells printed, as the Go operator's status (CRD v1alpha1) carries it: per CellResult in
# status.results, per CellDiff (against the golden notebook) in status.comparisonResult.diffs.
CELL_RESULT_OUTPUTS = ("output",)
CELL_DIFF_OUTPUTS = ("actual", "expected", "diff")


def _without(item, keys):
    if isinstance(item, dict) and any(key in item for key in keys):
        return dict((k, v) for k, v in item.items() if k not in keys)
    return item


def without_cell_outputs(obj):
    """The job without what its notebook cells printed (``status.results[].output``, and ``actual``,
    ``expected`` and ``diff`` of ``status.comparisonResult.diffs[]``); every other field is kept.

    Only the dicts on the way to those fields are copied (shallowly): the rest is shared with ``obj``,
    which is not changed, so trimming a large job costs a few small dicts, not a deep copy."""
    state = (obj or {}).get("status")
    if not isinstance(state, dict):
        return obj
    trimmed = {}
    if isinstance(state.get("results"), list):
        trimmed["results"] = [_without(cell, CELL_RESULT_OUTPUTS) for cell in state["results"]]
    comparison = state.get("comparisonResult")
    if isinstance(comparison, dict) and isinstance(comparison.get("diffs"), list):
        diffs = [_without(cell_diff, CELL_DIFF_OUTPUTS) for cell_diff in comparison["diffs"]]
        trimmed["comparisonResult"] = dict(comparison, diffs=diffs)
    if not trimmed:
        return obj
    return dict(obj, status=dict(state, **trimmed))
