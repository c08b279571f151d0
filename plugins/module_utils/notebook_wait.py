# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait until the NVJs of a sync wave (or an Application, or a list of names) have all succeeded.

It watches instead of polling: one list for the current state and its resourceVersion, then a
watch from that version with ``timeoutSeconds``; a watch the server ends is resumed from the last
version seen, an expired version (410) is answered with a fresh list. It stops at the first
``Failed`` job (fail fast, naming the failed jobs) and at the deadline (naming what still runs).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import time

from ansible_collections.mlops.gitops.plugins.module_utils import argo_app, nvj, notebook_wave
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError
from ansible_collections.mlops.gitops.plugins.module_utils.names import is_namespace, is_object_name

DELETED = "(deleted)"
NO_STATUS = "(no status yet)"
MAX_STREAM_FAILURES = 5


def clean_name(option, value, valid):
    """``value`` without the spaces around it (an AWX text answer or ``-e "x= a "`` brings them), None when empty;
    a ValueError naming ``option`` when what is left still is not a valid name (``valid``)."""
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else value
    if text == "":
        return None
    if not isinstance(text, str) or not valid(text):
        raise ValueError("{0} must be a Kubernetes name (lower-case letters, digits and '-', no spaces); got "
                         "{1!r}".format(option, value))
    return text


def _is_application(value):
    """``name``, ``<namespace>_<name>`` or ``<namespace>/<name>``."""
    return argo_app.parse_app_name(value.replace("/", "_", 1)) is not None


class Selector:
    """Which NVJs a wait is about: every given criterion must hold (AND)."""

    def __init__(self, wave=None, application=None, names=None, block_wave=None, argocd_namespace=None):
        self.wave = self._wave("wave", wave)
        self.block_wave = self._wave("block_wave", block_wave)
        self.application = clean_name("application", application, _is_application)
        # Trimmed: "a, b" from an AWX list question or a comma-separated string arrives as ["a", " b"].
        self.names = sorted(set(filter(None, (clean_name("names", n, is_object_name) for n in names or []))))
        self.argocd_namespace = (clean_name("argocd_namespace", argocd_namespace, is_namespace)
                                 or argo_app.DEFAULT_ARGOCD_NAMESPACE)
        if self.wave is None and self.block_wave is None and not self.application and not self.names:
            raise ValueError(
                "select the NotebookValidationJobs to wait for: give wave, block_wave, application or names"
            )

    @staticmethod
    def _wave(field, value):
        if value is None or value == "":
            return None
        parsed = notebook_wave.parse_wave(value.strip() if isinstance(value, str) else value)
        if parsed is None:
            raise ValueError(
                "{0} must be an integer Argo CD can read in argocd.argoproj.io/sync-wave ({2} to {3}); "
                "got {1!r}".format(field, value, notebook_wave.WAVE_MIN, notebook_wave.WAVE_MAX)
            )
        return parsed

    def matches(self, job):
        if self.names and nvj.metadata(job).get("name") not in self.names:
            return False
        if self.wave is not None and notebook_wave.wave_of(job) != self.wave:
            return False
        if self.block_wave is not None:
            if notebook_wave.parse_wave(nvj.annotations(job).get(nvj.ANN_BLOCK_WAVE)) != self.block_wave:
                return False
        if self.application and not self._in_application(job):
            return False
        return True

    def _in_application(self, job):
        parent = argo_app.find_parent(job, self.argocd_namespace)
        if not parent:
            return False
        accepted = (parent["name"], argo_app.app_name(parent["namespace"], parent["name"], None),
                    "{0}/{1}".format(parent["namespace"], parent["name"]))
        return self.application in accepted

    def describe(self, namespace):
        parts = []
        if self.wave is not None:
            parts.append("sync-wave {0}".format(self.wave))
        if self.block_wave is not None:
            parts.append("{0} {1}".format(nvj.ANN_BLOCK_WAVE, self.block_wave))
        if self.application:
            parts.append("Application {0}".format(self.application))
        if self.names:
            parts.append("names {0}".format(", ".join(self.names)))
        return "NotebookValidationJobs in {0} with {1}".format(namespace, " and ".join(parts))


def job_state(job):
    """``{"name", "phase", "wave", "message"}`` for results and messages."""
    if job is None:
        return None
    st = nvj.status(job)
    return {
        "name": nvj.metadata(job).get("name"),
        "phase": nvj.phase(job) or NO_STATUS,
        "wave": notebook_wave.wave_of(job),
        "message": st.get("message"),
    }


def summarize(tracked):
    """Split ``{name: job or None (deleted)}`` into succeeded / failed / pending state lists."""
    succeeded, failed, pending = [], [], []
    for name in sorted(tracked):
        job = tracked[name]
        if job is None:
            pending.append({"name": name, "phase": DELETED, "wave": None, "message": None})
            continue
        state = job_state(job)
        phase = nvj.phase(job)
        if phase == nvj.SUCCEEDED:
            succeeded.append(state)
        elif phase == nvj.FAILED:
            failed.append(state)
        else:
            pending.append(state)
    return succeeded, failed, pending


def _failure(msg, succeeded=(), failed=(), pending=(), **extra):
    """The one shape of a failed wait: the three job lists, ``failed``, ``msg`` and any ``extra`` keys."""
    result = {"changed": False, "failed": True, "succeeded_jobs": list(succeeded), "failed_jobs": list(failed),
              "pending_jobs": list(pending), "msg": msg}
    result.update(extra)
    return result


def verdict(tracked, selector, namespace):
    """``None`` while waiting, else the final result (without timing keys)."""
    succeeded, failed, pending = summarize(tracked)
    result = {"changed": False, "succeeded_jobs": succeeded, "failed_jobs": failed, "pending_jobs": pending}
    what = selector.describe(namespace)
    if failed:
        details = "; ".join(
            "{0}: {1}".format(s["name"], s["message"] or "no status.message") for s in failed
        )
        result.update(failed=True, msg="{0} of the {1}: Failed ({2}). Fix them and sync again; see "
                      "`kubectl describe notebookvalidationjob -n {3} <name>`".format(
                          len(failed), what, details, namespace))
        return result
    if not pending:
        return result
    return None


def timeout_result(tracked, selector, namespace, timeout):
    succeeded, failed, pending = summarize(tracked)
    running = ", ".join("{0} ({1})".format(s["name"], s["phase"]) for s in pending)
    return _failure("timed out after {0}s waiting for the {1}: {2} of {3} not Succeeded yet: {4}. Raise timeout if "
                    "they are still making progress".format(timeout, selector.describe(namespace), len(pending),
                                                            len(tracked), running),
                    succeeded, failed, pending, timed_out=True)


def _apply_event(tracked, selector, event_type, obj, left):
    name = nvj.metadata(obj).get("name")
    if event_type == "DELETED":
        if name in tracked:
            tracked[name] = None
        return
    if selector.matches(obj):
        tracked[name] = obj
        left.discard(name)
    elif name in tracked and tracked[name] is not None:
        del tracked[name]  # its annotations changed: no longer part of the selection
        left.add(name)


def _relist(tracked, selector, items, left):
    """After a 410: the fresh list decides. A tracked job that is listed but no longer matches left the
    selection (as a MODIFIED event would say); one that is not listed at all was deleted."""
    listed = dict((nvj.metadata(job).get("name"), job) for job in items)
    fresh = dict((name, job) for name, job in listed.items() if selector.matches(job))
    out = {}
    for name in set(tracked) | set(fresh):
        if name in fresh:
            out[name] = fresh[name]
            left.discard(name)
        elif name in listed:
            left.add(name)
        else:
            out[name] = None
    return out


def emptied_result(tracked, selector, namespace, left):
    """Every selected job left the selection while we waited: as for an empty selection, an error."""
    return _failure("no {0} any more: {1} left the selection while waiting (their annotations or labels changed); "
                    "check {2} / {3} on the jobs".format(selector.describe(namespace), ", ".join(sorted(left)),
                                                         nvj.ANN_SYNC_WAVE, nvj.ANN_BLOCK_WAVE))


def _pause(failures, deadline, clock, sleep):
    """Back off after a transient error (1, 2, 4 ... at most 10 s), never past the deadline."""
    sleep(max(0.0, min(2.0 ** (failures - 1), 10.0, deadline - clock())))


def _retrying(call, deadline, clock, sleep):
    """``call()``, retried on transient errors (429, 5xx, no answer at all) until the deadline."""
    failures = 0
    while True:
        try:
            return call()
        except KubeError as exc:
            if not exc.transient or clock() >= deadline:
                raise
            failures += 1
            _pause(failures, deadline, clock, sleep)


def _snapshot(api, namespace, label_selector, deadline, clock, sleep):
    """The list, retried on transient errors (429, 5xx, connection) until the deadline."""
    return _retrying(lambda: api.snapshot(nvj.API_VERSION, nvj.KIND, namespace=namespace,
                                          label_selector=label_selector), deadline, clock, sleep)


def unanswered_result(exc, server, tracked, selector, namespace, timeout):
    """The wait ended while the API server did not answer (or kept answering 429/5xx): one failure naming the
    server and the last error, with what was known of the jobs."""
    succeeded, failed, pending = summarize(tracked)
    server = exc.server or server or "(address unknown)"
    return _failure("timed out after {0}s waiting for the {1}: no usable answer from the Kubernetes API server {2} "
                    "until then; last error: {3}. Check that it runs and that this host reaches it (the kubeconfig's "
                    "server address, the network, a proxy)".format(timeout, selector.describe(namespace), server, exc),
                    succeeded, failed, pending, timed_out=True, api_server=server)


def wait(api, namespace, selector, timeout=600, watch_timeout=60, label_selector=None, clock=time.monotonic,
         sleep=time.sleep):
    """Block until every selected NVJ Succeeded, one Failed, or ``timeout`` seconds passed.

    ``api``: a ``KubeApi``, or a function that makes one (connecting is then retried like any request, within
    the same deadline). The result has ``succeeded_jobs``, ``failed_jobs``, ``pending_jobs`` (``{name, phase,
    wave, message}``), ``elapsed`` (seconds), ``watches`` (watch requests made) and, on failure or timeout,
    ``failed: True`` and ``msg`` (and ``timed_out: True``). An empty selection is an error: a typo must not
    pass, and neither may a selection that empties while waiting. A throttled, unavailable or unreachable API
    (429, 5xx, refused, reset, DNS, TLS handshake) is waited out until the deadline, as ``KubeError.transient``
    says; then the wait fails once, naming the API server and the last error.
    """
    start = clock()
    deadline = start + timeout
    progress = {"tracked": {}, "watches": 0}
    try:
        if callable(api):
            api = _retrying(api, deadline, clock, sleep)
        result = _watch_until(api, namespace, selector, (timeout, deadline), watch_timeout, label_selector, clock,
                              sleep, progress)
    except KubeError as exc:
        if not exc.transient:
            raise
        result = unanswered_result(exc, getattr(api, "server", None), progress["tracked"], selector, namespace,
                                   timeout)
    result["elapsed"] = round(clock() - start, 3)
    result["watches"] = progress["watches"]
    return result


def _watch_until(api, namespace, selector, limit, watch_timeout, label_selector, clock, sleep, progress):
    """``wait`` once connected: list, then watch until a verdict or the deadline (``limit``: the timeout and
    the deadline); ``progress`` keeps the jobs and the watch count for the caller, also when this raises."""
    timeout, deadline = limit
    items, version = _snapshot(api, namespace, label_selector, deadline, clock, sleep)
    tracked = progress["tracked"] = dict(
        (nvj.metadata(job).get("name"), job) for job in items if selector.matches(job))
    missing = [n for n in selector.names if n not in tracked]
    if missing or not tracked:
        found = "none matched" if not tracked else "missing: " + ", ".join(missing)
        return _failure("no {0} ({1}); check the namespace, the wave or application value and the annotations "
                        "{2} / {3} on the jobs".format(selector.describe(namespace), found, nvj.ANN_SYNC_WAVE,
                                                       nvj.ANN_BLOCK_WAVE))
    failures, left = 0, set()
    while True:
        if not tracked:
            return emptied_result(tracked, selector, namespace, left)
        result = verdict(tracked, selector, namespace)
        if result is not None:
            return result
        remaining = deadline - clock()
        if remaining <= 0:
            return timeout_result(tracked, selector, namespace, timeout)
        if remaining < 1:  # a watch's timeoutSeconds counts whole seconds: wait out the rest, then list once more
            sleep(remaining)
            items, version = _snapshot(api, namespace, label_selector, deadline, clock, sleep)
            tracked = progress["tracked"] = _relist(tracked, selector, items, left)
            continue
        progress["watches"] += 1
        try:
            for event_type, obj in api.watch(
                nvj.API_VERSION,
                nvj.KIND,
                namespace=namespace,
                resource_version=version,
                timeout_seconds=min(watch_timeout, math.floor(remaining)),  # never past the deadline
                label_selector=label_selector,
            ):
                version = nvj.metadata(obj).get("resourceVersion") or version
                if event_type in ("ADDED", "MODIFIED", "DELETED"):
                    _apply_event(tracked, selector, event_type, obj, left)
                    if not tracked or verdict(tracked, selector, namespace) is not None:
                        break
            failures = 0
        except KubeError as exc:
            if exc.status == 410 and failures < MAX_STREAM_FAILURES:  # our version was compacted away: list again
                failures += 1
                items, version = _snapshot(api, namespace, label_selector, deadline, clock, sleep)
                tracked = progress["tracked"] = _relist(tracked, selector, items, left)
                continue
            if not exc.transient or clock() >= deadline:
                raise
            failures += 1  # throttled (429), unavailable (5xx) or the stream broke: back off, watch again
            _pause(failures, deadline, clock, sleep)
