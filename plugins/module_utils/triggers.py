# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Feature 2: on-success triggers. Parsing, validation and policy are pure; ``reconcile`` does the I/O.

The trigger annotation is untrusted input written by whoever may create a NotebookValidationJob,
while the controller holds cluster-wide rights. So: the size is bounded before parsing, the YAML
loader refuses anchors/aliases and deep nesting, every entry is checked against a closed schema,
the namespace/Application policy is applied to the whole list, and only then does anything fire.

Exactly once per completion: the record in ``mlops.dev/trigger-status`` is claimed (targets
``pending``) with a resourceVersion precondition before acting, and every action is idempotent by
construction (see ``trigger_actions``), so a replay after a crash between acting and recording is
harmless.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import re

try:
    import yaml
except ImportError:  # PyYAML comes with the kubernetes library, whose absence AnsibleK8SModule reports
    yaml = None

from ansible_collections.mlops.gitops.plugins.module_utils import argo_app, events, nvj, trigger_actions
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError

MAX_ANNOTATION_BYTES = 16 * 1024
MAX_DEPTH = 8  # a list of flat mappings needs 2; anything deeper is not a trigger list
DEFAULT_MAX_TARGETS = 20
DEFAULT_RETRY_AFTER = 30
CLAIM_TTL = 120  # seconds a ``pending`` claim of another writer is left alone before it is replayed
MAX_MESSAGE = 300
ANN_ALLOW_FROM = "mlops.dev/allow-triggers-from"

ACTIONS = ("restart", "rollout", "sync", "refresh")
REFRESH_MODES = ("normal", "hard")
FIELDS = ("apiVersion", "kind", "name", "namespace", "action", "mode")
REQUIRED = ("apiVersion", "kind", "name", "action")
WORKLOAD_ACTIONS = ("restart", "rollout", "refresh")
# kind -> (apiVersion, actions that fit it)
KINDS = {
    # No refresh: KServe copies an InferenceService's metadata annotations into the pod templates of its
    # predictor, transformer and explainer, so a refresh annotation would roll every component.
    "InferenceService": ("serving.kserve.io/v1beta1", ("restart", "rollout")),
    "Deployment": ("apps/v1", WORKLOAD_ACTIONS),
    "StatefulSet": ("apps/v1", WORKLOAD_ACTIONS),
    "DaemonSet": ("apps/v1", WORKLOAD_ACTIONS),
    "Application": (argo_app.APP_API_VERSION, ("sync", "refresh")),
}
# (action, kind) pairs refused with the reason and the alternative, not only "does not apply".
UNFIT_WHY = {
    ("refresh", "InferenceService"): (
        "KServe copies an InferenceService's annotations into the pod templates of its predictor, transformer "
        "and explainer, so a refresh would roll every component; use rollout (rolls the predictor gracefully)"
    ),
}
# Kinds named explicitly so the refusal says why, not only "unsupported".
FORBIDDEN_KINDS = {
    "Secret": "a trigger never touches credentials",
    "ConfigMap": "a trigger never rewrites configuration",
    "Namespace": "a trigger never touches namespaces",
    "Role": "a trigger never touches RBAC",
    "ClusterRole": "a trigger never touches RBAC",
    "RoleBinding": "a trigger never touches RBAC",
    "ClusterRoleBinding": "a trigger never touches RBAC",
    "ServiceAccount": "a trigger never touches identities",
    "CustomResourceDefinition": "a trigger never touches API definitions",
}
# Matched with fullmatch: "$" would accept a trailing newline ("predictor\n"), which the API then 404s on.
NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
NAMESPACE_RE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")

SUCCEEDED = "succeeded"
FAILED = "failed"
DEFERRED = "deferred"
REFUSED = "refused"
PENDING = "pending"
# The record's final results, each counted per action in a flat annotation (see ``outcome_annotations``).
RESULTS = (SUCCEEDED, FAILED, DEFERRED, REFUSED)
EVENT_REASONS = {
    SUCCEEDED: ("TriggerSucceeded", events.NORMAL),
    FAILED: ("TriggerFailed", events.WARNING),
    DEFERRED: ("TriggerDeferred", events.NORMAL),
    REFUSED: ("TriggerRefused", events.WARNING),
}


class TriggerError(Exception):
    """The annotation is not a valid trigger list; ``errors`` holds one message per problem."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(TriggerError, self).__init__("; ".join(self.errors))


# -- parsing -------------------------------------------------------------------------------
_LOADER = []


def _loader_class():
    """A SafeLoader without anchors, aliases (YAML bombs) or deep nesting (built on first use, so the
    module imports without PyYAML and can report it missing)."""
    if _LOADER:
        return _LOADER[0]

    class TriggerLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent):
                raise yaml.YAMLError("YAML aliases (*{0}) are not allowed{1}".format(event.anchor, _mark(event)))
            if getattr(event, "anchor", None):
                raise yaml.YAMLError("YAML anchors (&{0}) are not allowed{1}".format(event.anchor, _mark(event)))
            self._depth = getattr(self, "_depth", 0) + 1
            try:
                if self._depth > MAX_DEPTH:
                    raise yaml.YAMLError("nesting deeper than {0} levels{1}".format(MAX_DEPTH, _mark(event)))
                return super(TriggerLoader, self).compose_node(parent, index)
            finally:
                self._depth -= 1

    _LOADER.append(TriggerLoader)
    return TriggerLoader


def _mark(event):
    mark = getattr(event, "start_mark", None)
    return " (line {0}, column {1})".format(mark.line + 1, mark.column + 1) if mark else ""


def load_annotation(text):
    """The annotation's YAML as Python data. Raises TriggerError; never builds anything but plain data."""
    if not isinstance(text, str):
        raise TriggerError(["the value must be a string"])
    size = len(text.encode("utf-8"))
    if size > MAX_ANNOTATION_BYTES:
        raise TriggerError(
            ["the value is {0} bytes, more than the {1} allowed; list fewer targets".format(size, MAX_ANNOTATION_BYTES)]
        )
    loader = _loader_class()(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise TriggerError(["the value is not valid YAML: {0}; write a YAML list of mappings".format(detail)]) from None
    finally:
        loader.dispose()


def target_id(entry):
    """``<action>:<apiVersion>/<kind>:<ns>/<name>``, the key of a target in the record."""
    return "{0}:{1}/{2}:{3}/{4}".format(
        entry["action"], entry["apiVersion"], entry["kind"], entry["namespace"], entry["name"]
    )


def _entry_errors(raw, where, default_namespace, argocd_namespace, parent=None):
    """(entry or None, errors) for one list item."""
    if not isinstance(raw, dict):
        return None, [
            "{0}: must be a mapping with apiVersion, kind, name and action, not {1}".format(where, _type(raw))
        ]
    errors = []
    for key in raw:
        if key not in FIELDS:
            errors.append(
                "{0}: unknown field {1!r}; allowed fields are {2}".format(where, str(key)[:40], ", ".join(FIELDS))
            )
    for key in REQUIRED:
        if key not in raw or raw[key] in (None, ""):
            errors.append("{0}: field {1!r} is missing; add it".format(where, key))
    for key in FIELDS:
        if key in raw and raw[key] is not None and not isinstance(raw[key], str):
            errors.append(
                "{0}: field {1!r} must be a string, not {2}; quote the value".format(where, key, _type(raw[key]))
            )
    if errors:
        return None, errors
    kind, action = raw["kind"], raw["action"]
    if kind in FORBIDDEN_KINDS:
        return None, [
            "{0}: field 'kind': {1} is never a trigger target ({2}); allowed kinds: {3}".format(
                where, kind, FORBIDDEN_KINDS[kind], _allowed_kinds()
            )
        ]
    if kind not in KINDS:
        return None, [
            "{0}: field 'kind': {1!r} is not supported; allowed kinds: {2}".format(where, kind[:60], _allowed_kinds())
        ]
    api_version, fitting = KINDS[kind]
    if raw["apiVersion"] != api_version:
        errors.append(
            "{0}: field 'apiVersion': {1} is supported as {2}, not {3!r}; set apiVersion: {2}".format(
                where, kind, api_version, raw["apiVersion"][:60]
            )
        )
    if action not in ACTIONS:
        errors.append(
            "{0}: field 'action': unknown action {1!r}; use one of {2}".format(where, action[:40], ", ".join(ACTIONS))
        )
    elif (action, kind) in UNFIT_WHY:
        errors.append("{0}: field 'action': {1} does not apply to {2}: {3}".format(
            where, action, kind, UNFIT_WHY[(action, kind)]))
    elif action not in fitting:
        errors.append(
            "{0}: field 'action': {1} does not apply to {2}; use one of {3}".format(
                where, action, kind, ", ".join(fitting)
            )
        )
    if not NAME_RE.fullmatch(raw["name"]):
        errors.append(
            "{0}: field 'name': {1!r} is not a Kubernetes object name; "
            "use lower-case letters, digits, '-' and '.'".format(where, raw["name"][:80])
        )
    namespace = raw.get("namespace")
    if namespace is not None and not NAMESPACE_RE.fullmatch(namespace):
        errors.append(
            "{0}: field 'namespace': {1!r} is not a namespace name; use lower-case letters, digits and '-'".format(
                where, namespace[:80]
            )
        )
    mode = raw.get("mode")
    if mode is not None:
        if action != "refresh" or kind != "Application":
            errors.append("{0}: field 'mode' applies only to action refresh of an Application; remove it".format(where))
        elif mode not in REFRESH_MODES:
            errors.append("{0}: field 'mode': {1!r} is not one of normal, hard; fix the value".format(where, mode[:40]))
    if errors:
        return None, errors
    if namespace is None and kind == "Application":
        # The job's own Application lives where its tracking id says (``<ns>_<name>``: apps in any namespace).
        same = parent and parent.get("name") == raw["name"]
        namespace = parent["namespace"] if same else argocd_namespace
    elif namespace is None:
        namespace = default_namespace
    entry = {
        "apiVersion": api_version,
        "kind": kind,
        "name": raw["name"],
        "namespace": namespace,
        "action": action,
        "mode": mode or ("normal" if action == "refresh" and kind == "Application" else None),
    }
    entry["id"] = target_id(entry)
    return entry, []


def _type(value):
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "a mapping"}.get(
        type(value), "a " + type(value).__name__
    )


def _allowed_kinds():
    return ", ".join("{0} ({1})".format(kind, KINDS[kind][0]) for kind in KINDS)


def parse_triggers(text, default_namespace, max_targets=DEFAULT_MAX_TARGETS, argocd_namespace=None, parent=None):
    """Validate the whole annotation and return its targets (dicts with ``id``), or raise TriggerError
    listing every problem. A target's namespace defaults to the NVJ's; an Application's to the namespace
    of the job's parent Application when the entry names that Application (``parent``, from
    ``argo_app.find_parent``: ``<ns>_<name>`` for apps in any namespace), else to the Argo CD namespace."""
    argocd_namespace = argocd_namespace or argo_app.DEFAULT_ARGOCD_NAMESPACE
    data = load_annotation(text)
    if data is None:
        return []
    if not isinstance(data, list):
        raise TriggerError(
            ["the value must be a YAML list of targets (each line starting with '- '), not {0}".format(_type(data))]
        )
    if len(data) > max_targets:
        raise TriggerError(
            ["{0} entries is more than the {1} allowed; list at most {1} targets".format(len(data), max_targets)]
        )
    targets, errors, seen = [], [], {}
    for index, raw in enumerate(data):
        where = "entry {0} of {1}".format(index + 1, len(data))
        entry, problems = _entry_errors(raw, where, default_namespace, argocd_namespace, parent)
        errors.extend(problems)
        if entry is None:
            continue
        if entry["id"] in seen:
            errors.append(
                "{0}: repeats entry {1} (same action and target); remove one".format(where, seen[entry["id"]])
            )
            continue
        seen[entry["id"]] = index + 1
        entry["index"] = index + 1
        targets.append(entry)
    if errors:
        raise TriggerError(errors)
    return targets


# -- policy --------------------------------------------------------------------------------
def namespace_opts_in(namespace_obj, source_namespace):
    """Whether a Namespace object's ``mlops.dev/allow-triggers-from`` admits ``source_namespace``."""
    value = nvj.annotations(namespace_obj or {}).get(ANN_ALLOW_FROM)
    if not isinstance(value, str):
        return False
    allowed = [item.strip() for item in value.split(",") if item.strip()]
    return "*" in allowed or source_namespace in allowed


def refusal(target, job, allowed_namespaces, parent, namespace_obj=None, claimed=None):
    """Why ``target`` may not be fired for ``job`` (a message), or None when it may.

    ``parent`` is the NVJ's confirmed parent Application or None; ``claimed`` the parent its tracking id
    or labels name (``argo_app.find_parent``), used to suggest the namespace; ``namespace_obj`` the
    target's Namespace (or None when absent), needed only for other-namespace workloads."""
    source = nvj.metadata(job).get("namespace")
    allowed = list(allowed_namespaces or [])
    admin_allows = "*" in allowed or target["namespace"] in allowed
    what = "{0} {1}/{2}".format(target["kind"], target["namespace"], target["name"])
    if target["kind"] == "Application":
        if parent and parent["namespace"] == target["namespace"] and parent["name"] == target["name"]:
            return None
        if admin_allows:
            return None
        hint = ""
        if claimed and claimed["name"] == target["name"] and claimed["namespace"] != target["namespace"]:
            hint = "; the job's {0} names Application {1}/{2}: set namespace: {1} in the entry".format(
                claimed.get("source") or "tracking id", claimed["namespace"], claimed["name"]
            )
        return (
            "{0} is not the parent Application of {1} (the job must be tracked by it, and the Application "
            "must deploy into the job's namespace) and namespace {2} is not in allowed_namespaces; "
            "target the job's own Application or ask an administrator to allow {2}{3}".format(
                what, nvj.ref(job), target["namespace"], hint
            )
        )
    if target["namespace"] == source or admin_allows:
        return None
    if namespace_opts_in(namespace_obj, source):
        return None
    return (
        "{0} is in another namespace than {1}; the administrator must add {2} to allowed_namespaces, "
        "or namespace {2} must opt in with annotation {3}: {4}".format(
            what, nvj.ref(job), target["namespace"], ANN_ALLOW_FROM, source
        )
    )


# -- the record on the NVJ --------------------------------------------------------------------
def load_record(job, key):
    """The trigger-status targets for completion ``key`` as ``{id: entry}`` ({} for another key)."""
    raw = nvj.annotations(job).get(nvj.ANN_TRIGGER_STATUS)
    try:
        record = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    if not isinstance(record, dict) or record.get("key") != key:
        return {}
    out = {}
    for item in record.get("targets") or []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            out[item["id"]] = item
    return out


def build_record(key, targets, previous, updates):
    """The new record: every current target in annotation order, ``updates`` over ``previous``."""
    items = []
    for target in targets:
        item = updates.get(target["id"]) or previous.get(target["id"])
        if item:
            items.append(item)
    return {"key": key, "targets": items}


def dump_record(record):
    return json.dumps(record, separators=(",", ":"), sort_keys=False)


def outcome_annotation(action, result):
    """``mlops.dev/triggers-<action>-<result>``: how many of the record's targets have that outcome."""
    return "{0}{1}-{2}".format(nvj.ANN_TRIGGER_COUNT_PREFIX, action, result)


def outcome_annotations(record, current):
    """The record's outcome counts as flat annotations (decimal strings; None removes a count that fell
    to 0), for readers that cannot parse the JSON record: kube-state-metrics' custom-resource metrics
    (roles/notebook_controller_deploy/files/kube-state-metrics.yaml) turn them into labelled series."""
    counts = {}
    for item in record.get("targets") or []:
        action = item["id"].split(":", 1)[0]
        if action in ACTIONS and item.get("result") in RESULTS:
            key = outcome_annotation(action, item["result"])
            counts[key] = counts.get(key, 0) + 1
    out = dict((key, None) for key in current if key.startswith(nvj.ANN_TRIGGER_COUNT_PREFIX))
    out.update((key, str(n)) for key, n in counts.items())
    return out


def status_item(target_or_id, result, moment, message=None):
    item = {
        "id": target_or_id if isinstance(target_or_id, str) else target_or_id["id"],
        "result": result,
        "time": moment,
    }
    if message:
        item["message"] = message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."
    return item


def plan(targets, record, moment):
    """Split targets into (to fire, in flight elsewhere): succeeded ones are done; a ``pending``
    claim younger than CLAIM_TTL belongs to another writer; everything else fires (again)."""
    todo, busy = [], []
    for target in targets:
        item = record.get(target["id"]) or {}
        result = item.get("result")
        if result == SUCCEEDED:
            continue
        if result == PENDING:
            claimed = nvj.parse_time(item.get("time"))
            if claimed and moment - claimed < datetime.timedelta(seconds=CLAIM_TTL):
                busy.append(target)
                continue
        todo.append(target)
    return todo, busy


# -- reconcile -----------------------------------------------------------------------------
def normalize_options(options):
    opts = dict(options or {})
    return {
        "trigger_annotation": opts.get("trigger_annotation") or nvj.ANN_TRIGGER,
        "allowed_namespaces": list(opts.get("allowed_namespaces") or []),
        "argocd_namespace": opts.get("argocd_namespace") or argo_app.DEFAULT_ARGOCD_NAMESPACE,
        "max_targets": int(opts.get("max_targets") or DEFAULT_MAX_TARGETS),
        "retry_after": int(opts.get("retry_after") or DEFAULT_RETRY_AFTER),
    }


def _describe(target):
    return "{0} {1} {2}/{3}".format(target["action"], target["kind"], target["namespace"], target["name"])


class _Run:
    """State of one reconcile: the freshest NVJ, the result being built, Events recorded. ``api`` is the
    step's API (``KubeApi.checking``): in check mode every write, actions included, is a server-side dry run."""

    def __init__(self, api, job, opts, check_mode, moment):
        self.api = api.checking(check_mode)
        self.job = job
        self.opts = opts
        self.check_mode = check_mode
        self.moment = moment
        self.stamp = nvj.rfc3339(moment)
        self.before = nvj.annotations(job).get(nvj.ANN_TRIGGER_STATUS)
        self.result = {"changed": False, "deferred": [], "refused": [], "events": [], "fired": []}
        self.namespaces = {}

    def event(self, reason, event_type, message, discriminator):
        event, created = events.record(self.api, self.job, event_type, reason, message, discriminator)
        if created and not self.check_mode:  # check mode: a dry run, nothing was recorded
            self.result["events"].append(event["metadata"]["name"])

    def namespace(self, name):
        if name not in self.namespaces:
            try:
                self.namespaces[name] = self.api.get("v1", "Namespace", name)
            except KubeError as exc:
                if not exc.forbidden:
                    raise
                self.namespaces[name] = None  # cannot read its opt-in: treated as not opted in
        return self.namespaces[name]

    def write_record(self, decide):
        """Write the record ``decide(fresh job) -> record or None`` gives, with ``KubeApi.conditional_write``
        (a 409 re-reads the job and decides again). True when done, False when the job is gone; a give-up
        is deferred."""
        meta = nvj.metadata(self.job)

        def patch_for(fresh):
            record = decide(fresh) if fresh is not None else None
            value = None if record is None else dump_record(record)
            if value is None or nvj.annotations(fresh).get(nvj.ANN_TRIGGER_STATUS) == value:
                return None
            changes = outcome_annotations(record, nvj.annotations(fresh))
            changes[nvj.ANN_TRIGGER_STATUS] = value
            return {"metadata": {"annotations": changes}}

        written = self.api.conditional_write(nvj.API_VERSION, nvj.KIND, meta.get("name"), meta.get("namespace"),
                                             patch_for, what="trigger status of " + nvj.ref(self.job),
                                             current=self.job)
        self.job = written.object
        if written.deferred:
            self.result["deferred"].append(written.deferred)
            return False
        if written.written:
            self.result["changed"] = True
            self.result["object"] = self.job
        return self.job is not None

    def finish(self):
        after = nvj.annotations(self.job).get(nvj.ANN_TRIGGER_STATUS) if self.job else self.before
        if after != self.before:
            self.result["diff"] = {
                "before": {nvj.ANN_TRIGGER_STATUS: _loads(self.before)},
                "after": {nvj.ANN_TRIGGER_STATUS: _loads(after)},
            }
        return self.result


def _loads(value):
    try:
        return json.loads(value) if value else None
    except ValueError:
        return value


def reconcile(api, job, options=None, check_mode=False, now=None):
    """Fire the NVJ's on-success triggers once per successful completion; see the module docs.

    ``options``: trigger_annotation, allowed_namespaces, argocd_namespace, max_targets, retry_after.
    Result: the common keys plus ``fired`` (per-target outcomes of this run) and ``key``.
    The claim (or the refusal) is decided on the freshest job and written with ``KubeApi.conditional_write``;
    in check mode the claim, the actions, the Events and the record are server-side dry runs."""
    opts = normalize_options(options)
    run = _Run(api, job, opts, check_mode, now or nvj.now())
    decision = {}

    def decide(fresh):
        decision.clear()
        decision.update(_decide(run, fresh))
        return decision.get("record")

    if run.job is None or not run.write_record(decide):
        if run.job is None:
            run.result["msg"] = "the NotebookValidationJob is gone; nothing to trigger"
        return run.finish()
    _act(run, decision)
    return run.finish()


def _decide(run, job):
    """What this reconcile does for ``job``, decided without a request of its own besides reads: a dict with
    ``key``, and ``record`` (the record to write first: a claim or the refusals) or the reason not to write
    (``msg``, ``deferred``, ``invalid``)."""
    opts = run.opts
    key = nvj.completion_key(job)
    out = {"key": key, "deferred": []}
    if nvj.phase(job) != nvj.SUCCEEDED:
        out["msg"] = "phase is {0}, triggers fire only on Succeeded".format(nvj.phase(job))
        return out
    text = nvj.annotations(job).get(opts["trigger_annotation"])
    if text is None:
        out["msg"] = "no {0} annotation".format(opts["trigger_annotation"])
        return out
    try:
        targets = parse_triggers(
            text, nvj.metadata(job).get("namespace"), opts["max_targets"], opts["argocd_namespace"],
            parent=argo_app.find_parent(job, opts["argocd_namespace"]),
        )
    except TriggerError as exc:
        out["invalid"] = exc
        return out
    if not nvj.completion_time(job):
        out["deferred"].append(
            {"what": nvj.ref(job), "reason": "status.completionTime is not set yet", "retry_after": opts["retry_after"]}
        )
        return out
    out["targets"] = targets
    record = load_record(job, key)
    refusals = _refusals(run, job, targets)
    if refusals:
        out["refusals"] = refusals
        out["record"] = _refusal_record(run, key, targets, record, refusals)
        return out
    todo, busy = plan(targets, record, run.moment)
    for target in busy:
        out["deferred"].append(
            {
                "what": target["id"],
                "reason": "claimed by another writer, in progress",
                "retry_after": opts["retry_after"],
            }
        )
    if todo:
        out["todo"] = todo
        claim = dict((t["id"], status_item(t, PENDING, run.stamp)) for t in todo)
        out["record"] = build_record(key, targets, record, claim)
    return out


def _act(run, decision):
    """What follows the record written on the decision: the Events of an invalid list or of refusals, or
    the claimed actions, their Events and their outcomes."""
    result, key = run.result, decision.get("key")
    result["key"] = key
    result["deferred"].extend(decision.get("deferred") or [])
    if decision.get("msg"):
        result["msg"] = decision["msg"]
    if decision.get("invalid") is not None:
        exc = decision["invalid"]
        message = "{0}: annotation {1}: {2}".format(nvj.ref(run.job), run.opts["trigger_annotation"], exc)
        run.event("TriggerInvalid", events.WARNING, message, key + "|" + str(exc))
        result.update(failed=True, msg=message)
    elif decision.get("refusals"):
        _refuse(run, key, decision["targets"], decision["refusals"])
    elif decision.get("todo"):
        outcomes = _fire(run, key, decision["todo"])
        # Events before the record: once the record says "succeeded" nothing would report it again, while
        # an Event recorded twice is one Event (deterministic names) and a lost record only means a replay.
        _report(run, key, decision["todo"], outcomes)
        _record_outcomes(run, key, decision["targets"], outcomes)


def _confirmed_parent(run, job):
    """The job's parent Application, only when that Application agrees (``argo_app.manages_namespace``):
    a job's labels are its author's to write, and must not let it sync another team's Application."""
    parent = argo_app.find_parent(job, run.opts["argocd_namespace"])
    if parent is None:
        return None
    app = run.api.get(argo_app.APP_API_VERSION, argo_app.APP_KIND, parent["name"], parent["namespace"])
    if app is None:  # nothing to sync yet: the action fails for this target and is retried
        return parent
    if argo_app.manages_namespace(app, nvj.metadata(job).get("namespace")):
        return parent
    return None


def _refusals(run, job, targets):
    parent = claimed = None
    if any(t["kind"] == "Application" for t in targets):
        parent = _confirmed_parent(run, job)
        claimed = argo_app.find_parent(job, run.opts["argocd_namespace"])
    source = nvj.metadata(job).get("namespace")
    refusals = {}
    for target in targets:
        namespace_obj = None
        if target["kind"] != "Application" and target["namespace"] != source:
            allowed = run.opts["allowed_namespaces"]
            if "*" not in allowed and target["namespace"] not in allowed:
                namespace_obj = run.namespace(target["namespace"])
        reason = refusal(target, job, run.opts["allowed_namespaces"], parent, namespace_obj, claimed)
        if reason:
            refusals[target["id"]] = reason
    return refusals


def _refusal_record(run, key, targets, record, refusals):
    """The record with the refusals: one refused target stops the whole list."""
    items = dict((tid, status_item(tid, REFUSED, run.stamp, reason)) for tid, reason in refusals.items())
    for tid in refusals:
        previous = record.get(tid) or {}
        if previous.get("result") == REFUSED and previous.get("message") == items[tid].get("message"):
            items[tid] = previous  # unchanged: keep the first time it was refused
    return build_record(key, targets, record, items)


def _refuse(run, key, targets, refusals):
    """Report the refusals (recorded by ``_refusal_record``), fire nothing."""
    result = run.result
    for tid, reason in refusals.items():
        result["refused"].append({"what": tid, "reason": reason})
    for tid, reason in refusals.items():
        run.event(
            "TriggerRefused",
            events.WARNING,
            "{0}: trigger {1} refused: {2}".format(nvj.ref(run.job), tid, reason),
            "|".join((key, tid, REFUSED)),
        )
    result["failed"] = True
    result["msg"] = "{0}: {1} of {2} trigger targets refused, none fired: {3}".format(
        nvj.ref(run.job), len(refusals), len(targets), "; ".join(refusals.values())
    )


def _fire(run, key, todo):
    """Run every claimed action; an error on one target never stops the others."""
    context = {
        "key": key,
        "completion_time": nvj.completion_time(run.job),
        "job_ref": "{0}/{1}".format(nvj.metadata(run.job).get("namespace"), nvj.metadata(run.job).get("name")),
    }
    outcomes = {}
    for target in todo:
        try:
            outcome = trigger_actions.run(run.api, target, context)
        except KubeError as exc:
            outcome = {"result": FAILED, "message": str(exc)}
        outcomes[target["id"]] = outcome
    return outcomes


def _record_outcomes(run, key, targets, outcomes):
    """Write the results; on 409 re-read and merge ours into the other writer's record."""
    updates = dict(
        (tid, status_item(tid, out["result"], run.stamp, out.get("message"))) for tid, out in outcomes.items()
    )

    def decide(job):
        if nvj.completion_key(job) != key:
            return None  # the job ran again meanwhile: this record is stale
        return build_record(key, targets, load_record(job, key), updates)

    run.write_record(decide)


def _fired(target, result, message):
    return {
        "id": target["id"],
        "action": target["action"],
        "kind": target["kind"],
        "namespace": target["namespace"],
        "name": target["name"],
        "result": result,
        "message": message,
    }


def _report(run, key, todo, outcomes):
    result = run.result
    failures = []
    for target in todo:
        out = outcomes[target["id"]]
        message = out.get("message") or ""
        if run.check_mode and out["result"] == SUCCEEDED:  # the action's writes were dry runs
            result["fired"].append(_fired(target, "would fire", "check mode (dry run): " + message))
        else:
            result["fired"].append(_fired(target, out["result"], message))
        if out.get("changed"):
            result["changed"] = True
        if out["result"] == DEFERRED:
            result["deferred"].append({"what": target["id"], "reason": message, "retry_after": run.opts["retry_after"]})
        if out["result"] == FAILED:
            failures.append("{0}: {1}".format(_describe(target), message))
        reason, event_type = EVENT_REASONS[out["result"]]
        text = "{0}: trigger {1} {2}: {3}".format(nvj.ref(run.job), _describe(target), out["result"], message)
        run.event(reason, event_type, text, "|".join((key, target["id"], out["result"])))
    if failures:
        result["failed"] = True
        result["msg"] = "{0}: {1} trigger target(s) failed and will be retried: {2}".format(
            nvj.ref(run.job), len(failures), "; ".join(failures)
        )
