# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sync-wave markers on the NVJ (ADR-048 Feature 3) that never go stale.

A terminal phase writes ``mlops.dev/wave-complete`` + ``mlops.dev/completion-time`` (Succeeded) or
``mlops.dev/wave-failed`` + ``mlops.dev/failure-time`` (Failed) and removes the opposite pair; any
other phase (the job runs again) removes all four. The markers are a pure function of the job, so a
reconcile of a settled job sends nothing and the controller settles.

The wave is Argo CD's own reading of the job: ``argocd.argoproj.io/sync-wave`` as an integer, else
``helm.sh/hook-weight``, else 0 — so a job without the annotation is marked with wave "0", the wave
Argo CD syncs it in, and a wait for wave 0 finds it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mlops.gitops.plugins.module_utils import events, nvj
ANN_HELM_HOOK_WEIGHT = "helm.sh/hook-weight"
MARKERS = (nvj.ANN_WAVE_COMPLETE, nvj.ANN_COMPLETION_TIME, nvj.ANN_WAVE_FAILED, nvj.ANN_FAILURE_TIME)
DEFAULT_WAVE = "0"
# strconv.Atoi, which Argo CD uses: optional sign, decimal digits, nothing else (fullmatch: "3\n" is
# not a number to Atoi, so Argo CD puts that job in wave 0).
_INT = re.compile(r"[+-]?[0-9]+")
INVALID_TIME_RETRY = 300  # a malformed time is only fixed by whoever wrote it
REASON_INVALID_TIME = "InvalidStatusTime"


# strconv.Atoi's range on the 64-bit platforms Argo CD runs on: a larger value fails there ("value out of range"),
# and Argo CD falls back as for any text that is no number.
WAVE_MIN, WAVE_MAX = -(2 ** 63), 2 ** 63 - 1


def parse_wave(value):
    """The wave a string names the way Argo CD reads it (gitops-engine's ``syncwaves.Wave``: ``strconv.Atoi``), as
    a canonical decimal string; None if Argo CD could not read it (not a decimal integer, or out of int64 range)."""
    if isinstance(value, str) and _INT.fullmatch(value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and WAVE_MIN <= value <= WAVE_MAX:
        return str(value)
    return None


def wave_of(job):
    """The job's sync wave as Argo CD computes it (sync-wave, else Helm hook weight, else 0)."""
    ann = nvj.annotations(job)
    for key in (nvj.ANN_SYNC_WAVE, ANN_HELM_HOOK_WEIGHT):
        wave = parse_wave(ann.get(key))
        if wave is not None:
            return wave
    return DEFAULT_WAVE


def current_markers(job):
    ann = nvj.annotations(job)
    return dict((key, ann[key]) for key in MARKERS if key in ann)


def unsettled(job):
    """True for a terminal phase without a valid ``status.completionTime``: not a completion yet (the Go
    operator's two-step failure, or a time that is not RFC 3339); the markers wait for the time."""
    return nvj.is_terminal(job) and nvj.completion_time(job) is None


def desired_markers(job):
    """The marker annotations the job should carry, as ``{key: value}`` (absent keys: none).

    The timestamp is the job's own completion time, so it is the same on every reconcile and across
    the Go operator's two steps of a failure."""
    phase = nvj.phase(job)
    if phase not in nvj.TERMINAL_PHASES:
        return {}
    wave = wave_of(job)
    if phase == nvj.SUCCEEDED:
        wave_key, time_key = nvj.ANN_WAVE_COMPLETE, nvj.ANN_COMPLETION_TIME
    else:
        wave_key, time_key = nvj.ANN_WAVE_FAILED, nvj.ANN_FAILURE_TIME
    return {wave_key: wave, time_key: nvj.rfc3339(nvj.parse_time(nvj.completion_time(job)))}


def marker_changes(job):
    """``{key: value or None}`` that turns the current markers into the desired ones; {} when settled,
    and {} while the job is ``unsettled`` (the markers are left as they are until the time is there)."""
    if unsettled(job):
        return {}
    current = current_markers(job)
    desired = desired_markers(job)
    changes = {}
    for key in MARKERS:
        if current.get(key) != desired.get(key):
            changes[key] = desired.get(key)
    return changes


def build_patch(changes):
    """A merge patch (``null`` deletes a key); ``KubeApi.conditional_write`` guards it with the resourceVersion."""
    return {"metadata": {"annotations": dict(changes)}}


def _diff(before, after):
    return {"before": {"annotations": before}, "after": {"annotations": after}}


def _apply(markers, changes):
    out = dict(markers)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def _result(job, changed=False):
    return {
        "changed": changed,
        "events": [],
        "deferred": [],
        "refused": [],
        "wave": wave_of(job),
        "markers": current_markers(job),
    }


def _wait_for_time(api, job, result):
    """A terminal job without a usable completion time: defer, and say so with a Warning Event when the
    time is there but is not RFC 3339 (``completionTime: yesterday``), once per field and value."""
    bad = dict(nvj.invalid_times(job))
    for field, value in bad.items():
        template = ("{0}: status.{1} {2!r} {3}; it is treated as missing: no wave marker, completion Event or "
                    "trigger until the operator writes a valid time")
        message = template.format(nvj.ref(job), field, str(value)[:80], nvj.time_problem(value))
        event, created = events.record(api, job, events.WARNING, REASON_INVALID_TIME, message,
                                       "{0}={1}".format(field, value))
        if created and not api.dry_run:  # check mode: the Event was a dry run
            result["events"].append(nvj.metadata(event).get("name"))
    if "completionTime" in bad:
        reason = "status.completionTime {0}; treated as missing".format(nvj.time_problem(bad["completionTime"]))
        retry = INVALID_TIME_RETRY
    else:
        reason = "phase {0} without status.completionTime: not complete until the operator writes it".format(
            nvj.phase(job))
        retry = nvj.SETTLE_RETRY
    result["deferred"].append({"what": "wave markers on " + nvj.ref(job), "reason": reason, "retry_after": retry})
    return result


def reconcile(api, job, options=None, check_mode=False, now=None):
    """Bring the job's wave markers in line with its phase with at most one merge patch.

    The patch goes through ``KubeApi.conditional_write``: a 409 (someone else wrote the job since it was
    read) re-reads the job and decides again. In check mode the patch is a server-side dry run.
    Result keys besides the standard ones: ``wave`` and ``markers`` (the markers after this step).
    """
    api = api.checking(check_mode)
    meta = nvj.metadata(job)
    outcome = {}

    def decide(fresh):
        outcome.clear()
        if fresh is None or nvj.being_deleted(fresh):
            return None  # deleted (meanwhile): nothing left to mark
        if unsettled(fresh):
            outcome["unsettled"] = True
            return None
        changes = marker_changes(fresh)
        if not changes:
            return None
        outcome["before"] = current_markers(fresh)
        outcome["after"] = _apply(outcome["before"], changes)
        return build_patch(changes)

    written = api.conditional_write(nvj.API_VERSION, nvj.KIND, meta.get("name"), meta.get("namespace"), decide,
                                    what="wave markers on " + nvj.ref(job), current=job)
    job = written.object
    if job is None:
        return {"changed": False, "events": [], "deferred": [], "refused": [], "wave": None, "markers": {}}
    result = _result(job)
    if written.deferred:
        result["deferred"].append(written.deferred)
    elif outcome.get("unsettled"):
        return _wait_for_time(api, job, result)
    elif written.written:
        before, after = outcome["before"], outcome["after"]
        result.update(changed=True, markers=after, diff=_diff(before, after), object=job)
    return result
