# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One reconcile of a NotebookValidationJob (or of every job in some namespaces) in one task.

Runs on the controller, in-process: one ``KubeApi`` for all steps, no module subprocess per step.
Order: wave markers, completion Event, on-success triggers, Application status. Each step gets the
freshest job (the ``object`` the previous step returned). A step that hits an API error does not
stop the others; the task fails at the end and names every failed step.
Documentation: plugins/modules/notebook_reconcile.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import re

from ansible.plugins.action import ActionBase

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
except ImportError:  # reported when the task runs
    AUTH_ARG_SPEC = {}

from ansible_collections.mlops.gitops.plugins.module_utils import module_runner, nvj
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi, KubeError, describe

FEATURES = ("waves", "events", "triggers", "status")  # also the order the steps run in
ALL_NAMESPACES = "*"

OWN_SPEC = {
    "name": {"type": "str"},
    "namespace": {"type": "str"},
    "definition": {"type": "dict"},
    "namespaces": {"type": "list", "elements": "str"},
    "features": {"type": "list", "elements": "str", "choices": list(FEATURES), "default": list(FEATURES)},
    "allowed_namespaces": {"type": "list", "elements": "str", "default": []},
    "trigger_annotation": {"type": "str", "default": nvj.ANN_TRIGGER},
    "min_interval": {"type": "int"},
}


def argument_spec():
    return module_runner.argument_spec(module_runner.ARGOCD_NAMESPACE_SPEC, OWN_SPEC)


_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_ANNOTATION_KEY = re.compile(r"([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")


def option_errors(params):
    """Every problem with the options, found before the first request (so nothing is half written)."""
    errors = []
    if params.get("min_interval") is not None and params["min_interval"] < 0:
        errors.append("min_interval must be an integer >= 0 (seconds), got {0}".format(params["min_interval"]))
    for key in ("namespaces", "allowed_namespaces"):
        bad = [n for n in params.get(key) or [] if n != ALL_NAMESPACES and not _DNS_LABEL.fullmatch(n or "")]
        if bad:
            errors.append("{0}: {1} not a namespace name (lowercase letters, digits and '-', or {2!r} for all)".format(
                key, ", ".join(repr(n) for n in bad), ALL_NAMESPACES))
    if not _DNS_LABEL.fullmatch(params.get("argocd_namespace") or ""):
        errors.append("argocd_namespace must name the Argo CD namespace (e.g. argocd, openshift-gitops), got {0!r}"
                      .format(params.get("argocd_namespace")))
    if not _ANNOTATION_KEY.fullmatch(params.get("trigger_annotation") or ""):
        errors.append("trigger_annotation must be an annotation key such as {0}, got {1!r}".format(
            nvj.ANN_TRIGGER, params.get("trigger_annotation")))
    return errors


def _features():
    """Feature modules, imported late so a missing one names itself instead of breaking the plugin."""
    from ansible_collections.mlops.gitops.plugins.module_utils import app_status, completion_event, triggers, waves

    return {"waves": waves, "events": completion_event, "triggers": triggers, "status": app_status}


def step_options(feature, params):
    if feature == "triggers":
        return {
            "allowed_namespaces": params["allowed_namespaces"],
            "argocd_namespace": params["argocd_namespace"],
            "trigger_annotation": params["trigger_annotation"],
        }
    if feature == "status":
        opts = {"argocd_namespace": params["argocd_namespace"]}
        if params.get("min_interval") is not None:
            opts["min_interval"] = params["min_interval"]
        return opts
    return {"argocd_namespace": params["argocd_namespace"]}


def _compact(result):
    """A step result without the job body (NVJ statuses carry notebook outputs)."""
    return dict((k, v) for k, v in result.items() if k != "object")


class JobReconcile:
    """The steps for one job; collects their results, errors, and what to report."""

    def __init__(self, api, modules, params, check_mode, who=module_runner.USER):
        self.who = who
        self.api = api
        self.modules = modules
        self.params = params
        self.check_mode = check_mode
        self.steps = {}
        self.failed = []

    def run(self, job, features):
        for feature in features:
            job = self.step(feature, job)
            if job is None:  # deleted while we worked: later steps have nothing to act on
                break
        return job

    def step(self, feature, job):
        try:
            result = self.modules[feature].reconcile(
                self.api, job, options=step_options(feature, self.params), check_mode=self.check_mode
            )
        except KubeError as exc:
            message = module_runner.error_message(exc, self.who)
            self.steps[feature] = {"changed": False, "failed": True, "msg": message, "status": exc.status}
            self.failed.append(feature)
            return self.reread(job)
        if result.get("failed"):
            self.failed.append(feature)
        self.steps[feature] = _compact(result)
        return result.get("object") or job

    def reread(self, job):
        """After an API error the step may have written part of its work: continue from the server's copy."""
        meta = nvj.metadata(job)
        try:
            fresh = self.api.get(nvj.API_VERSION, nvj.KIND, meta.get("name"), meta.get("namespace"))
        except KubeError:
            return job
        return fresh

    def failures(self):
        return ["{0}: {1}".format(f, self.steps[f].get("msg") or "failed") for f in self.failed]


def merge_lists(step_results, key):
    out = []
    for result in step_results:
        out.extend(result.get(key) or [])
    return out


def requeue_after(deferred):
    waits = [d.get("retry_after") for d in deferred if isinstance(d.get("retry_after"), (int, float))]
    return int(min(waits)) if waits else None


def metrics_of(job, steps):
    """What ansible-operator's custom metrics should count for this reconcile (each once per occurrence)."""
    created = (steps.get("events") or {}).get("events") or []
    completed = nvj.phase(job) if created and job else None
    fired = [f for f in (steps.get("triggers") or {}).get("fired") or [] if f.get("result") in ("succeeded", "failed")]
    return {
        "completed": completed,
        "duration_seconds": nvj.duration_seconds(job) if completed else None,
        "triggers_fired": len(fired),
        "triggers_failed": len([f for f in fired if f.get("result") == "failed"]),
    }


def diffs_of(label, steps):
    out = []
    for feature in FEATURES:
        diff = (steps.get(feature) or {}).get("diff")
        if diff:
            out.append(
                {
                    "before": diff.get("before"),
                    "after": diff.get("after"),
                    "before_header": "{0} {1} (before)".format(label, feature),
                    "after_header": "{0} {1} (after)".format(label, feature),
                }
            )
    return out


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        if not AUTH_ARG_SPEC:
            return dict(result, failed=True, msg="the kubernetes.core collection is required: "
                        "ansible-galaxy collection install kubernetes.core")
        problem = module_runner.kubernetes_problem()
        if problem:
            return dict(result, failed=True, msg=problem)
        _validation, params = self.validate_argument_spec(
            argument_spec=argument_spec(),
            mutually_exclusive=[("namespaces", "name"), ("namespaces", "definition")],
            required_one_of=[("name", "definition", "namespaces")],
        )
        check_mode = bool(self._play_context.check_mode)
        # ansible-operator passes ansible_operator_meta: then the credentials are the controller's.
        self.who = module_runner.CONTROLLER if "ansible_operator_meta" in (task_vars or {}) else module_runner.USER
        errors = option_errors(params)
        if errors:
            return dict(result, failed=True, msg="invalid options, nothing was done: " + "; ".join(errors))
        try:
            api = KubeApi.from_auth(dry_run=check_mode, **dict((k, params.get(k)) for k in AUTH_ARG_SPEC))
            modules = _features()
            if params.get("namespaces"):
                outcome = self.reconcile_namespaces(api, modules, params, check_mode)
            else:
                outcome = self.reconcile_job(api, modules, params, check_mode)
            outcome["requests"] = dict(api.counts)
        except ImportError as exc:
            message = "mlops.gitops is incomplete, a feature module is missing: {0}".format(exc)
            outcome = {"failed": True, "msg": message}
        except KubeError as exc:
            outcome = {"failed": True, "msg": module_runner.error_message(exc, self.who), "status": exc.status}
        except Exception as exc:  # kubeconfig errors come from kubernetes.core as CoreException
            if exc.__class__.__name__ not in ("CoreException", "ConfigException"):
                raise
            outcome = {"failed": True, "msg": "Could not connect to the Kubernetes API: {0}".format(exc)}
        result.update(module_runner.finish(outcome, self._play_context.diff))
        # No module runs, so no AnsibleModule strips the secrets (api_key, an inline kubeconfig's users): this does.
        return module_runner.redact(result, params)

    # -- one job --------------------------------------------------------------------------
    @staticmethod
    def target(params):
        definition = params.get("definition") or {}
        meta = definition.get("metadata") or {}
        name = params.get("name") or meta.get("name")
        namespace = params.get("namespace") or meta.get("namespace")
        if not name or not namespace:
            raise ValueError("name and namespace are required (or a definition with metadata.name and namespace)")
        if definition and (meta.get("name"), meta.get("namespace")) != (name, namespace):
            raise ValueError(
                "name/namespace ({0}/{1}) do not match the definition's metadata ({2}/{3}); pass one of them".format(
                    namespace, name, meta.get("namespace"), meta.get("name")
                )
            )
        return name, namespace

    def reconcile_job(self, api, modules, params, check_mode):
        try:
            name, namespace = self.target(params)
        except ValueError as exc:
            return {"failed": True, "msg": str(exc)}
        label = describe(nvj.KIND, name, namespace)
        # Always read fresh: the copy ansible-operator passes comes from its cache and can be stale.
        job = api.get(nvj.API_VERSION, nvj.KIND, name, namespace)
        if job is None:
            return {"changed": False, "deleted": True, "steps": {}, "deferred": [], "refused": [], "events": [],
                    "msg": "{0} no longer exists; nothing to do".format(label)}
        run = JobReconcile(api, modules, params, check_mode, self.who)
        final = run.run(job, params["features"])
        steps = run.steps
        deferred = merge_lists(steps.values(), "deferred")
        outcome = {
            "changed": any(s.get("changed") for s in steps.values()),
            "name": name,
            "namespace": namespace,
            "phase": nvj.phase(final or job),
            "steps": steps,
            "deferred": deferred,
            "refused": merge_lists(steps.values(), "refused"),
            "events": merge_lists(steps.values(), "events"),
            "metrics": metrics_of(final or job, steps),
            "diff": diffs_of(label, steps),
        }
        wait = requeue_after(deferred)
        if wait is not None:
            outcome["requeue_after"] = wait
        if run.failed:
            outcome["failed"] = True
            outcome["msg"] = "{0}: {1} step(s) failed: {2}".format(label, len(run.failed), "; ".join(run.failures()))
        return outcome

    # -- many jobs ------------------------------------------------------------------------
    def reconcile_namespaces(self, api, modules, params, check_mode):
        namespaces = params["namespaces"]
        scopes = [None] if ALL_NAMESPACES in namespaces else namespaces
        per_job = [f for f in params["features"] if f != "status"]
        jobs, failures, diffs, deferred, refused, events = [], [], [], [], [], []
        seen_namespaces = set()
        for scope in scopes:
            for job in api.list(nvj.API_VERSION, nvj.KIND, namespace=scope):
                meta = nvj.metadata(job)
                seen_namespaces.add(meta.get("namespace"))
                label = describe(nvj.KIND, meta.get("name"), meta.get("namespace"))
                run = JobReconcile(api, modules, params, check_mode, self.who)
                run.run(job, per_job)
                changed = any(s.get("changed") for s in run.steps.values())
                deferred += merge_lists(run.steps.values(), "deferred")
                refused += merge_lists(run.steps.values(), "refused")
                events += merge_lists(run.steps.values(), "events")
                diffs += diffs_of(label, run.steps)
                entry = {"namespace": meta.get("namespace"), "name": meta.get("name"), "changed": changed}
                if changed or run.failed:
                    entry["steps"] = run.steps
                if run.failed:
                    failures.append("{0}: {1}".format(label, "; ".join(run.failures())))
                jobs.append(entry)
        status = None
        if "status" in params["features"]:
            status = self.aggregate(api, modules["status"], scopes, seen_namespaces, params, check_mode)
            deferred += status.get("deferred") or []
            if status.get("failed"):
                failures.append("status: {0}".format(status.get("msg") or "failed"))
            if status.get("diff"):
                headers = {"before_header": "applications (before)", "after_header": "applications (after)"}
                diffs.append(dict(status["diff"], **headers))
        warnings = self.empty_namespaces(api, scopes, seen_namespaces)
        outcome = {
            "changed": any(j["changed"] for j in jobs) or bool(status and status.get("changed")),
            "jobs": jobs,
            "status": status,
            "deferred": deferred,
            "refused": refused,
            "events": events,
            "diff": diffs,
        }
        if warnings:
            outcome["warnings"] = warnings
        wait = requeue_after(deferred)
        if wait is not None:
            outcome["requeue_after"] = wait
        if failures:
            outcome["failed"] = True
            outcome["msg"] = "{0} failure(s): {1}".format(len(failures), " | ".join(failures))
        return outcome

    @staticmethod
    def empty_namespaces(api, scopes, seen_namespaces):
        """A warning per namespace asked for that holds no job: a misspelt namespace must not pass silently."""
        warnings = []
        for scope in scopes:
            if scope is None or scope in seen_namespaces:
                continue
            try:
                missing = api.get("v1", "Namespace", scope) is None
            except KubeError:  # no right to read namespaces: cannot tell
                missing = False
            why = "namespace {0} does not exist" if missing else "no NotebookValidationJob in namespace {0}"
            why = why.format(scope)
            warnings.append("{0}: nothing was reconciled there; check the namespaces option".format(why))
        if scopes == [None] and not seen_namespaces:
            warnings.append("no NotebookValidationJob in any namespace: nothing was reconciled")
        return warnings

    def aggregate(self, api, module, scopes, seen_namespaces, params, check_mode):
        """Each Application once, after every job was reconciled (not once per job)."""
        namespaces = sorted(seen_namespaces) if scopes == [None] else list(scopes)
        # '*': Applications whose jobs were all deleted are looked for in every namespace, not only these
        options = dict(step_options("status", params), all_namespaces=scopes == [None])
        try:
            result = module.aggregate(api, namespaces, options=options, check_mode=check_mode)
        except KubeError as exc:
            message = module_runner.error_message(exc, self.who)
            return {"changed": False, "failed": True, "msg": message, "status": exc.status}
        return _compact(result)
