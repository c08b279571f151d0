# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trigger verbs: one ``Verb`` entry each in ``VERBS``, and the API effect of each (its handlers).

An entry holds everything a verb is: the kinds it accepts (apiVersion, kind, the handler that acts on
that kind), the kinds it refuses with a reason and an alternative (``unfit``), and the extra fields an
entry of it may carry (``Field``: refresh's ``mode``). The schema (``trigger_parse``), the record's
per-action counts (``trigger_record``) and the firing (``notebook_trigger``) read this registry; what
cannot (module DOCUMENTATION, docs, the kube-state-metrics configs) is checked against it by
``tests/unit/test_trigger_verbs.py``. Adding a verb is adding an entry (CONTRIBUTING.md).

Every handler is idempotent by construction, because a crash between acting and recording the
result means the action is replayed: values written are the job's completion time (a replay writes
the same value, so the write is skipped), pod deletion only touches pods created before the
completion, and a sync carries the completion key so a replay recognises its own operation.

A handler is ``handler(api, target, context)`` (``context``: key, completion_time, job_ref) and returns
``{"result": succeeded|failed|deferred, "message": str, "changed": bool}``; API errors raise ``KubeError``
(the caller records them as a failure of that target only).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.mlops.gitops.plugins.module_utils import argo_app, nvj
from ansible_collections.mlops.gitops.plugins.module_utils.kube import MERGE, STRATEGIC, KubeError
from ansible_collections.mlops.gitops.plugins.module_utils.names import describe

ISVC_LABEL = "serving.kserve.io/inferenceservice"
ANN_RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
ANN_PREDICTOR_RESTARTED_AT = "mlops.dev/restartedAt"
ANN_REFRESHED_AT = "mlops.dev/refreshedAt"
ANN_ARGOCD_REFRESH = "argocd.argoproj.io/refresh"
SYNC_USERNAME = "mlops-gitops"
INFO_KEY = "completionKey"


def _done(message, changed=True):
    return {"result": "succeeded", "message": message, "changed": changed}


def _target_ref(target):
    return describe(target["kind"], target["name"], target["namespace"])


def _get_target(api, target):
    obj = api.get(target["apiVersion"], target["kind"], target["name"], target["namespace"])
    if obj is None:
        raise KubeError(
            404,
            "NotFound",
            "{0} does not exist; create it or fix entry {1}'s name/namespace".format(
                _target_ref(target), target.get("index")
            ),
        )
    return obj


def _not_before(current, completion):
    """True when ``current`` (a timestamp we or someone wrote) is at or after the completion:
    a restart since then already picked up the new model. A ``current`` in the future (``nvj.time_problem``)
    proves nothing: it was written by hand or from a bad status, and must not stop every later restart."""
    if nvj.time_problem(current) is not None:
        return False
    current_time, completion_time = nvj.parse_time(current), nvj.parse_time(completion)
    return bool(current_time and completion_time and current_time >= completion_time)


def restart_pods(api, target, context):
    """InferenceService restart (the ADR's behaviour): delete its pods created before the completion.
    Pods created after it already serve the new model, so a replay deletes nothing new."""
    _get_target(api, target)
    completion = nvj.parse_time(context["completion_time"])
    if completion is None:
        return {
            "result": "failed",
            "message": "completion time {0!r} is not RFC 3339".format(context["completion_time"]),
        }
    selector = "{0}={1}".format(ISVC_LABEL, target["name"])
    deleted, kept = 0, 0
    for pod in api.list("v1", "Pod", namespace=target["namespace"], label_selector=selector):
        meta = nvj.metadata(pod)
        created = nvj.parse_time(meta.get("creationTimestamp"))
        if meta.get("deletionTimestamp") or (created and created >= completion):
            kept += 1
            continue
        if api.delete("v1", "Pod", meta["name"], target["namespace"], uid=meta.get("uid")):
            deleted += 1
    return _done(
        "deleted {0} pod(s) labelled {1} created before {2}; {3} newer pod(s) kept".format(
            deleted, selector, context["completion_time"], kept
        ),
        changed=deleted > 0,
    )


def restart_workload(api, target, context):
    """Deployment/StatefulSet/DaemonSet: what ``kubectl rollout restart`` writes, with the completion time."""
    obj = _get_target(api, target)
    template_meta = ((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}
    current = (template_meta.get("annotations") or {}).get(ANN_RESTARTED_AT)
    if current == context["completion_time"] or _not_before(current, context["completion_time"]):
        return _done("already restarted at {0}".format(current), changed=False)
    patch = {"spec": {"template": {"metadata": {"annotations": {ANN_RESTARTED_AT: context["completion_time"]}}}}}
    api.patch(
        target["apiVersion"], target["kind"], target["name"], patch, namespace=target["namespace"], patch_type=STRATEGIC
    )
    return _done("rolling restart: pod template {0}={1}".format(ANN_RESTARTED_AT, context["completion_time"]))


def rollout_inference_service(api, target, context):
    """Graceful InferenceService restart: a new predictor annotation makes KServe roll out new pods."""
    obj = _get_target(api, target)
    predictor = (obj.get("spec") or {}).get("predictor") or {}
    current = (predictor.get("annotations") or {}).get(ANN_PREDICTOR_RESTARTED_AT)
    if current == context["completion_time"] or _not_before(current, context["completion_time"]):
        return _done("already rolled out at {0}".format(current), changed=False)
    patch = {"spec": {"predictor": {"annotations": {ANN_PREDICTOR_RESTARTED_AT: context["completion_time"]}}}}
    api.patch(
        target["apiVersion"], target["kind"], target["name"], patch, namespace=target["namespace"], patch_type=MERGE
    )
    return _done(
        "rollout: spec.predictor.annotations {0}={1}".format(ANN_PREDICTOR_RESTARTED_AT, context["completion_time"])
    )


def refresh_application(api, target, context):
    """Ask Argo CD to re-read the Application's sources (it removes the annotation when done)."""
    obj = _get_target(api, target)
    mode = target.get("mode") or "normal"
    if nvj.annotations(obj).get(ANN_ARGOCD_REFRESH) == mode:
        return _done("a {0} refresh is already requested".format(mode), changed=False)
    patch = {"metadata": {"annotations": {ANN_ARGOCD_REFRESH: mode}}}
    api.patch(target["apiVersion"], target["kind"], target["name"], patch, namespace=target["namespace"])
    return _done("{0} refresh requested ({1}: {0})".format(mode, ANN_ARGOCD_REFRESH))


def refresh_annotation(api, target, context):
    """Other kinds: a timestamp annotation on the object, for whatever watches it."""
    obj = _get_target(api, target)
    current = nvj.annotations(obj).get(ANN_REFRESHED_AT)
    if current == context["completion_time"] or _not_before(current, context["completion_time"]):
        return _done("already refreshed at {0}".format(current), changed=False)
    patch = {"metadata": {"annotations": {ANN_REFRESHED_AT: context["completion_time"]}}}
    api.patch(target["apiVersion"], target["kind"], target["name"], patch, namespace=target["namespace"])
    return _done("annotation {0}={1}".format(ANN_REFRESHED_AT, context["completion_time"]))


def _info_key(operation):
    for item in (operation or {}).get("info") or []:
        if isinstance(item, dict) and item.get("name") == INFO_KEY:
            return item.get("value")
    return None


def _automated_sync(policy):
    """``spec.syncPolicy.automated`` when automated sync is on (Argo CD 3 may switch it off with ``enabled: false``)."""
    automated = policy.get("automated")
    if not isinstance(automated, dict) or automated.get("enabled") is False:
        return None
    return automated


def sync_operation(app, context):
    """The ``operation`` Argo CD's API server writes for ``argocd app sync`` (pkg/apis/application/v1alpha1
    Operation): the sync options and the retry strategy come from ``spec.syncPolicy``, because the
    application controller reads ServerSideApply, Replace, PruneLast, CreateNamespace... only from the
    operation. ``prune`` is what Argo CD does to this Application on its own syncs: the automated policy's
    ``prune`` when automated sync is on, else false (``argocd app sync`` without ``--prune``)."""
    spec = app.get("spec") or {}
    policy = spec.get("syncPolicy") if isinstance(spec.get("syncPolicy"), dict) else {}
    sync = {"syncStrategy": {"hook": {}}}
    revision = (spec.get("source") or {}).get("targetRevision")
    if revision and not spec.get("sources"):
        sync["revision"] = revision
    options = policy.get("syncOptions")
    if isinstance(options, list) and options:
        sync["syncOptions"] = [item for item in options if isinstance(item, str)]
    automated = _automated_sync(policy)
    if automated and automated.get("prune") is True:
        sync["prune"] = True
    operation = {
        "initiatedBy": {"username": SYNC_USERNAME, "automated": False},
        "info": [
            {"name": "reason", "value": "NotebookValidationJob {0} succeeded".format(context["job_ref"])},
            {"name": INFO_KEY, "value": context["key"]},
        ],
        "sync": sync,
    }
    retry = policy.get("retry")
    if isinstance(retry, dict) and retry:
        operation["retry"] = retry
    return operation


def sync_decision(app, key):
    """(result, message) from the Application alone: already ours, busy, or None (free to start)."""
    state = (app.get("status") or {}).get("operationState") or {}
    if _info_key(app.get("operation")) == key:
        return "succeeded", "sync already requested, waiting for Argo CD to start it"
    if _info_key(state.get("operation")) == key:
        return "succeeded", "sync already started by this trigger (operation phase {0})".format(state.get("phase"))
    # Argo CD keeps ``.operation`` set while it runs that operation: a Running phase says more
    if state.get("phase") == "Running":
        return "deferred", "a sync is running on the Application; will sync after it"
    if app.get("operation"):
        return "deferred", "another operation is requested on the Application; will sync after it"
    return None, None


def sync_application(api, target, context):
    """Start a real Argo CD sync, never over another operation (``KubeApi.conditional_write``: a 409, maybe a
    sync that started meanwhile, re-reads the Application and decides again)."""
    app = _get_target(api, target)
    seen = {}

    def decide(app):
        if app is None:
            _get_target(api, target)  # raises the 404 that names the entry
        seen["decision"] = sync_decision(app, context["key"])
        if seen["decision"][0]:
            return None
        return {"operation": sync_operation(app, context)}

    written = api.conditional_write(target["apiVersion"], target["kind"], target["name"], target["namespace"], decide,
                                    what=_target_ref(target), current=app)
    if written.deferred:
        return {"result": "deferred", "message": written.deferred["reason"], "changed": False}
    if not written.written:
        result, message = seen["decision"]
        if result == "deferred":
            return {"result": result, "message": message, "changed": False}
        return _done(message, changed=False)
    revision = written.patch["operation"]["sync"].get("revision")
    return _done("sync operation started{0}".format(" at revision " + revision if revision else ""))


class Kind(namedtuple("Kind", "api_version kind handler")):
    """A kind a verb accepts: its apiVersion and the handler that acts on it."""


class Field(namedtuple("Field", "name kinds choices default")):
    """An extra field of a verb's entries: the kinds it applies to, its allowed values and its default."""


class Verb(namedtuple("Verb", "name kinds unfit fields")):
    """One trigger verb: ``kinds`` (``Kind`` entries, in the order the docs list them), ``unfit``
    (``{kind: why it does not apply, and the alternative}``) and ``fields`` (``Field`` entries)."""

    def kind(self, kind):
        return next((k for k in self.kinds if k.kind == kind), None)

    def field(self, name, kind):
        """The ``Field`` called ``name`` when it applies to ``kind``, else None."""
        return next((f for f in self.fields if f.name == name and kind in f.kinds), None)


def _verb(name, kinds, unfit=None, fields=()):
    return Verb(name, tuple(Kind(*k) for k in kinds), dict(unfit or {}), tuple(fields))


ISVC = "serving.kserve.io/v1beta1"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")

VERBS = (
    _verb("restart", [(ISVC, "InferenceService", restart_pods)]
          + [("apps/v1", kind, restart_workload) for kind in WORKLOADS]),
    _verb("rollout", [(ISVC, "InferenceService", rollout_inference_service)]
          + [("apps/v1", kind, restart_workload) for kind in WORKLOADS]),
    _verb("sync", [(argo_app.APP_API_VERSION, "Application", sync_application)]),
    _verb("refresh", [(argo_app.APP_API_VERSION, "Application", refresh_application)]
          + [("apps/v1", kind, refresh_annotation) for kind in WORKLOADS],
          unfit={"InferenceService": (
              "KServe copies an InferenceService's annotations into the pod templates of its predictor, transformer "
              "and explainer, so a refresh would roll every component; use rollout (rolls the predictor gracefully)")},
          fields=[Field("mode", ("Application",), ("normal", "hard"), "normal")]),
)
BY_NAME = dict((verb.name, verb) for verb in VERBS)
ACTIONS = tuple(verb.name for verb in VERBS)  # every list of verbs (schema, messages, counts) is this order


def _first_seen(pairs):
    out = {}
    for key, value in pairs:
        out.setdefault(key, value)
    return out


# kind -> apiVersion, in the order the kinds first appear; one apiVersion per kind (a unit test checks it).
KINDS = _first_seen((k.kind, k.api_version) for verb in VERBS for k in verb.kinds)
# The extra fields some verb takes (beyond apiVersion, kind, name, namespace, action), in registry order.
FIELDS = tuple(_first_seen((f.name, None) for verb in VERBS for f in verb.fields))


def verbs_for(kind):
    """The verbs that act on ``kind``, in registry order."""
    return tuple(verb.name for verb in VERBS if verb.kind(kind))


def field_users(name):
    """``[(verb, kinds)]`` that take the extra field ``name``."""
    return [(verb.name, f.kinds) for verb in VERBS for f in verb.fields if f.name == name]


def run(api, target, context):
    """Fire one validated target. ``context``: key, completion_time, job_ref (``ns/name``)."""
    return BY_NAME[target["action"]].kind(target["kind"]).handler(api, target, context)
