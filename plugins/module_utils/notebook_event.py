# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One Kubernetes Event per terminal completion of an NVJ (ADR-048 Feature 5).

Once per completion rests on the job itself, not on the Event: after recording the Event the job gets
annotation ``mlops.dev/announced-completion: <completion key>``, and a job carrying its own key is done
without a request. Events expire (an hour by default) while the controller resyncs every few minutes,
so an Event that is gone must not mean "not announced". The Event's name is still derived from the
key, so two writers racing before the annotation lands get 409 AlreadyExists, not a duplicate.

A terminal phase without a valid ``status.completionTime`` is not a completion yet (see
``nvj.completion_time``): nothing is announced and the step is deferred.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mlops.gitops.plugins.module_utils import argo_app, events, nvj

REASON_SUCCEEDED = "ValidationSucceeded"
REASON_FAILED = "ValidationFailed"
LABEL_APPLICATION = "mlops.dev/application"
LABEL_NOTIFICATION_TYPE = "mlops.dev/notification-type"
TYPE_SUCCESS = "validation-success"
TYPE_FAILURE = "validation-failure"

# (pattern over the failure message, suggested action); the first match wins.
SUGGESTIONS = (
    (
        re.compile(r"No module named\s+['\"]([\w\-]+)"),
        "add the package that provides the Python module '{0}' to the notebook's requirements.txt or to the "
        "validation image (spec.podConfig.containerImage, or spec.podConfig.buildConfig when the operator builds it)",
    ),
    (
        re.compile(r"ModuleNotFoundError|ImportError|No module named", re.I),
        "add the missing Python package to the notebook's requirements.txt or to the validation image",
    ),
    (
        re.compile(r"OOMKilled|out of memory|MemoryError|exit code 137", re.I),
        "raise the memory limit in spec.podConfig.resources.limits.memory, or make the notebook use less memory",
    ),
    (
        re.compile(r"timed? ?out|timeout|deadline exceeded", re.I),
        "raise spec.timeout (default 30m), or make the slow cells faster; check cells that wait on external services",
    ),
    (
        re.compile(r"ImagePullBackOff|ErrImagePull|pull access denied|manifest unknown", re.I),
        "check the image name in spec.podConfig.containerImage and the pull secret of the pod's service account",
    ),
    (
        re.compile(r"authentication failed|could not read Username|\(publickey\)|repository not found", re.I),
        "check spec.notebook.git.url and spec.notebook.git.credentialsSecret (the Secret must exist in this namespace)",
    ),
    (
        re.compile(r"FileNotFoundError|No such file or directory|notebook not found", re.I),
        "check spec.notebook.path and spec.notebook.git.ref, and that data files the notebook reads are mounted",
    ),
    (
        re.compile(r"build failed|BuildFailed|buildconfig", re.I),
        "read the image build logs and fix spec.podConfig.buildConfig",
    ),
    (
        re.compile(r"CellExecutionError|Error in cell|cell \d+", re.I),
        "fix the failing cell named in the logs and push the notebook again",
    ),
)
MAX_FAILURE = 500  # leaves room in the 1 KiB message for the suggestion and the logs hint
DEFAULT_SUGGESTION = "read the validation pod's logs and the job's status.message, fix the cause and push again"


def build_failure(job):
    """``status.buildStatus`` when the image build failed, else None.

    The Go operator moves a failed build to phase Failed without a message, and its next reconcile
    writes ``message: "Unknown phase: Failed"``: the build's own message is the only true cause."""
    build = nvj.status(job).get("buildStatus")
    if isinstance(build, dict) and build.get("phase") == "Failed":
        return build
    return None


def failure_text(job):
    """The failure to show (health message, Event): the build's message when the build failed."""
    build = build_failure(job)
    if build is not None and isinstance(build.get("message"), str) and build["message"].strip():
        return build["message"].strip()
    message = nvj.status(job).get("message")
    if build is not None:
        return "the image build failed{0}".format(" ({0})".format(message) if message else "")
    return message.strip() if isinstance(message, str) and message.strip() else None


def build_suggestion(job):
    """What to do about a failed image build: its logs, by strategy, and what usually breaks."""
    build = build_failure(job) or {}
    name = build.get("buildName")
    namespace = nvj.metadata(job).get("namespace")
    if name and build.get("strategy") == "tekton":
        logs = "read the build logs (tkn pipelinerun logs {0} -n {1})".format(name, namespace)
    elif name:
        logs = "read the build logs (oc logs build/{0} -n {1})".format(name, namespace)
    else:
        logs = "read the image build's logs"
    return logs + ", then fix the notebook's requirements.txt or spec.podConfig.buildConfig (base image, strategy)"


def suggested_action(message):
    """A concrete next step derived from the failure message."""
    text = message or ""
    for pattern, action in SUGGESTIONS:
        match = pattern.search(text)
        if match:
            return action.format(*match.groups())
    return DEFAULT_SUGGESTION


def format_duration(seconds):
    if seconds is None:
        return None
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append("{0}h".format(hours))
    if hours or minutes:
        parts.append("{0}m".format(minutes))
    parts.append("{0}s".format(secs))
    return "".join(parts)


def logs_hint(job):
    pod = nvj.status(job).get("validationPodName")
    namespace = nvj.metadata(job).get("namespace")
    if not pod:
        return None
    return "kubectl logs {0} -n {1}".format(pod, namespace)


def retries_text(value):
    """``status.retryCount`` for the message: a count, 0 when unset, and what it holds when it is no count."""
    if value is None:
        return "0"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return "unknown (status.retryCount is {0!r}, not a count)".format(value)


def build_message(job, parent=None):
    """The Event message: phase, retries, duration, the parent Application (``parent``, when confirmed), failure
    message, suggested action, logs hint."""
    phase = nvj.phase(job)
    parts = ["{0} {1}".format(nvj.ref(job), phase), "retries: " + retries_text(nvj.status(job).get("retryCount"))]
    duration = format_duration(nvj.duration_seconds(job))
    if duration:
        parts.append("duration: {0}".format(duration))
    if parent:
        parts.append(argo_app.app_ref(parent["namespace"], parent["name"]))
    text = "; ".join(parts) + "."
    if phase == nvj.FAILED:
        failure = failure_text(job) or "no failure message in status.message"
        if len(failure) > MAX_FAILURE:
            failure = failure[: MAX_FAILURE - 3] + "..."
        action = build_suggestion(job) if build_failure(job) is not None else suggested_action(failure)
        text += " Failure: {0}. Suggested action: {1}.".format(failure.rstrip("."), action)
    hint = logs_hint(job)
    if hint:
        text += " Logs: {0}".format(hint)
    return text


_LABEL_BAD = re.compile(r"[^A-Za-z0-9_.\-]")
MAX_LABEL = 63
LABEL_HASH = 10  # hex digits of the SHA-256 of the whole name that end a shortened label value


def label_value(text):
    """A valid label value for ``text``: ``text`` itself when it fits (63 characters, alphanumeric at both ends);
    a longer one is not cut (two long names would share a value) but becomes its first 52 characters, ``-`` and
    the first 10 hex digits of the SHA-256 of the whole ``text`` (docs/notifications.md shows the selector)."""
    value = _LABEL_BAD.sub("-", text or "").strip("-_.")
    if len(value) <= MAX_LABEL:
        return value
    return "{0}-{1}".format(value[: MAX_LABEL - LABEL_HASH - 1].rstrip("-_."), nvj.short_hash(text, LABEL_HASH))


def build_labels(job, parent, control_namespace=argo_app.DEFAULT_ARGOCD_NAMESPACE):
    """The Event's labels; ``parent``: the job's confirmed parent Application (``argo_app.confirmed_parent``),
    or None."""
    labels = {LABEL_NOTIFICATION_TYPE: TYPE_SUCCESS if nvj.phase(job) == nvj.SUCCEEDED else TYPE_FAILURE}
    if parent:
        labels[nvj.LABEL_PART_OF] = label_value(parent["name"])
        whole = argo_app.app_name(parent["namespace"], parent["name"], control_namespace)
        labels[LABEL_APPLICATION] = label_value(whole)
    return dict((k, v) for k, v in labels.items() if v)


def build_annotations(parent, control_namespace=argo_app.DEFAULT_ARGOCD_NAMESPACE):
    """The Application's whole name (a label value may be shortened: ``label_value``), under the label's key."""
    if not parent:
        return {}
    return {LABEL_APPLICATION: argo_app.app_name(parent["namespace"], parent["name"], control_namespace)}


def announced(job):
    """True when the job records that its current completion was announced (and counted)."""
    if nvj.completion_time(job) is None:
        return False
    return nvj.annotations(job).get(nvj.ANN_ANNOUNCED) == nvj.completion_key(job)


def _mark_announced(api, job, key):
    """Write ``announced-completion: key`` on the job (``KubeApi.conditional_write``: a 409 re-reads and
    writes again while the job still has that completion). Returns the ``Written``."""
    meta = nvj.metadata(job)

    def decide(fresh):
        if fresh is None or nvj.completion_key(fresh) != key:
            return None  # deleted, or completed again meanwhile: that completion is the next reconcile's
        if nvj.annotations(fresh).get(nvj.ANN_ANNOUNCED) == key:
            return None
        return {"metadata": {"annotations": {nvj.ANN_ANNOUNCED: key}}}

    return api.conditional_write(nvj.API_VERSION, nvj.KIND, meta.get("name"), meta.get("namespace"), decide,
                                 what="announced completion on " + nvj.ref(job), current=job)


def reconcile(api, job, options=None, check_mode=False, now=None):
    """Record the completion Event of a terminal job once; nothing for a running job.

    ``options``: ``argocd_namespace`` (the Argo CD control-plane namespace, default ``argocd``).
    Extra result keys: ``event`` (the Event body, when recorded or read), ``created`` (this run created
    the Event: the completion is counted) and ``object`` (the job, when this run annotated it).
    """
    api = api.checking(check_mode)
    options = options or {}
    result = {"changed": False, "events": [], "deferred": [], "refused": [], "created": False}
    if not nvj.is_terminal(job) or nvj.being_deleted(job):
        return result
    if nvj.completion_time(job) is None:
        result["deferred"].append({
            "what": "completion Event of " + nvj.ref(job),
            "reason": "phase {0} without a valid status.completionTime: not complete until the operator "
                      "writes it".format(nvj.phase(job)),
            "retry_after": nvj.SETTLE_RETRY,
        })
        return result
    key = nvj.completion_key(job)
    if announced(job):
        return result  # recorded on the job itself: whether the Event still exists does not matter
    control = options.get("argocd_namespace") or argo_app.DEFAULT_ARGOCD_NAMESPACE
    parent, _app, refusal = argo_app.confirmed_parent(api, job, control)
    if refusal:
        result["refused"].append({"what": argo_app.app_ref(parent["namespace"], parent["name"]),
                                  "reason": "{0}; the completion Event does not name it. {1}".format(
                                      refusal, argo_app.UNCONFIRMED_FIX)})
        parent = None
    succeeded = nvj.phase(job) == nvj.SUCCEEDED
    event, created = events.record(
        api,
        job,
        events.NORMAL if succeeded else events.WARNING,
        REASON_SUCCEEDED if succeeded else REASON_FAILED,
        build_message(job, parent),
        nvj.completion_key(job),
        labels=build_labels(job, parent, control),
        annotations=build_annotations(parent, control),
    )
    result["event"] = event
    if created:
        # in check mode the create was a dry run: the task changes (would create), nothing was created
        result["created"] = not api.dry_run
        result["changed"] = True
        result["events"] = [nvj.metadata(event).get("name")] if not api.dry_run else []
        result["diff"] = {"before": {}, "after": {"event": event}}
    # The Event first, then the record: a crash in between leaves an Event that the next reconcile
    # finds by name (no second one, not counted again); the other order could lose the announcement.
    # In check mode both are server-side dry runs.
    marked = _mark_announced(api, job, key)
    if marked.deferred:
        result["deferred"].append(marked.deferred)
    elif marked.written:
        result["changed"] = True
        result["object"] = marked.object
    return result
