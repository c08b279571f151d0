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

from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError

ANN_HELM_HOOK_WEIGHT = "helm.sh/hook-weight"
MARKERS = (nvj.ANN_WAVE_COMPLETE, nvj.ANN_COMPLETION_TIME, nvj.ANN_WAVE_FAILED, nvj.ANN_FAILURE_TIME)
DEFAULT_WAVE = "0"
# strconv.Atoi, which Argo CD uses: optional sign, decimal digits, nothing else (fullmatch: "3\n" is
# not a number to Atoi, so Argo CD puts that job in wave 0).
_INT = re.compile(r"[+-]?[0-9]+")
CONFLICT_RETRIES = 3


def parse_wave(value):
    """The wave a string names the way Argo CD reads it, as a canonical decimal string; None if invalid."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and _INT.fullmatch(value):
        return str(int(value))
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


def desired_markers(job, now=None):
    """The marker annotations the job should carry, as ``{key: value}`` (absent keys: none).

    The timestamp is the job's own completion time, so it is stable across reconciles; only when
    the Go operator wrote none is the existing marker's time kept, or ``now`` used.
    """
    phase = nvj.phase(job)
    if phase not in nvj.TERMINAL_PHASES:
        return {}
    wave = wave_of(job)
    if phase == nvj.SUCCEEDED:
        wave_key, time_key = nvj.ANN_WAVE_COMPLETE, nvj.ANN_COMPLETION_TIME
    else:
        wave_key, time_key = nvj.ANN_WAVE_FAILED, nvj.ANN_FAILURE_TIME
    stamp = nvj.completion_time(job)
    if stamp:
        moment = nvj.parse_time(stamp)
        stamp = nvj.rfc3339(moment) if moment else stamp
    else:
        existing = current_markers(job)
        if existing.get(wave_key) == wave and existing.get(time_key):
            stamp = existing[time_key]
        else:
            stamp = nvj.rfc3339(now or nvj.now())
    return {wave_key: wave, time_key: stamp}


def marker_changes(job, now=None):
    """``{key: value or None}`` that turns the current markers into the desired ones; {} when settled."""
    current = current_markers(job)
    desired = desired_markers(job, now=now)
    changes = {}
    for key in MARKERS:
        if current.get(key) != desired.get(key):
            changes[key] = desired.get(key)
    return changes


def build_patch(job, changes):
    """A merge patch (``null`` deletes a key) guarded by the job's resourceVersion."""
    meta = {"annotations": dict(changes)}
    version = nvj.metadata(job).get("resourceVersion")
    if version:
        meta["resourceVersion"] = version
    return {"metadata": meta}


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


def reconcile(api, job, options=None, check_mode=False, now=None):
    """Bring the job's wave markers in line with its phase with at most one merge patch.

    A 409 (someone else wrote the job since it was read) re-reads the job and decides again.
    Result keys besides the standard ones: ``wave`` and ``markers`` (the markers after this step).
    """
    meta = nvj.metadata(job)
    namespace, name = meta.get("namespace"), meta.get("name")
    for _attempt in range(CONFLICT_RETRIES):
        result = _result(job)
        if nvj.metadata(job).get("deletionTimestamp"):
            return result
        changes = marker_changes(job, now=now)
        if not changes:
            return result
        before = result["markers"]
        after = _apply(before, changes)
        result.update(changed=True, markers=after, diff=_diff(before, after))
        if check_mode:
            return result
        try:
            patch = build_patch(job, changes)
            result["object"] = api.patch(nvj.API_VERSION, nvj.KIND, name, patch, namespace=namespace)
            return result
        except KubeError as exc:
            if not exc.conflict:
                raise
        job = api.get(nvj.API_VERSION, nvj.KIND, name, namespace)
        if job is None:  # deleted meanwhile: nothing left to mark
            return {"changed": False, "events": [], "deferred": [], "refused": [], "wave": None, "markers": {}}
    result = _result(job)
    result["deferred"].append(
        {
            "what": "wave markers on " + nvj.ref(job),
            "reason": "the job changed under every write (HTTP 409, {0} times); decided again later".format(
                CONFLICT_RETRIES
            ),
            "retry_after": 5,
        }
    )
    return result
