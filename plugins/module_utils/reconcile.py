# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reconcile of a NotebookValidationJob as a registry of features.

Each feature (``wave``, ``event``, ``trigger``, ``status``: its module's name without ``notebook_``) is one
``Feature`` entry in ``REGISTRY``: the
module_utils file whose ``reconcile(api, job, options, check_mode)`` is its step, the options it takes
(step option <- task option), and what it reports (its share of the metrics; its deferred work, which is
the requeue). ``FEATURES`` is the order the steps run in. ``reconcile_job`` and ``reconcile_namespaces``
run them; the action plugin ``mlops.gitops.notebook_reconcile`` validates its options and calls one of them.

A running job is also looked at again on a schedule of its own (``running_requeue``): ansible-operator does
not wake on status changes, so this poll is how a completion is noticed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
from collections import namedtuple

from ansible_collections.mlops.gitops.plugins.module_utils import module_runner, nvj, reconcile_poll, variables
from ansible_collections.mlops.gitops.plugins.module_utils.names import ANNOTATION_KEY, is_namespace
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError
from ansible_collections.mlops.gitops.plugins.module_utils.names import describe

ALL_NAMESPACES = "*"


def _no_metrics(result, job):
    return {}


def _completion_metrics(result, job):
    """The terminal phase and duration, counted when this run recorded the completion for the first time."""
    completed = nvj.phase(job) if (result.get("events") and job) else None
    return {"completed": completed, "duration_seconds": nvj.duration_seconds(job) if completed else None}


def _trigger_metrics(result, job):
    fired = [f for f in result.get("fired") or [] if f.get("result") in ("succeeded", "failed")]
    return {"triggers_fired": len(fired), "triggers_failed": len([f for f in fired if f.get("result") == "failed"])}


class Feature(namedtuple("Feature", "name module options metrics")):
    """One step of the reconcile.

    ``module``: the module_utils file with ``reconcile(api, job, options=, check_mode=)`` (and, for
    ``status``, ``aggregate``). ``options``: ``{step option: task option}``; a task option that is None is
    left out, so the feature's own default applies. ``metrics(step_result, job)``: this feature's keys of
    ``metrics_of`` (``job`` is the job after every step). A feature's requeue is its ``deferred`` work.
    """

    def step_options(self, params):
        return dict((key, params.get(param)) for key, param in self.options.items() if params.get(param) is not None)

    def load(self):
        """The feature's module, imported late so that a missing one names itself instead of breaking the plugin."""
        return importlib.import_module("ansible_collections.mlops.gitops.plugins.module_utils." + self.module)


REGISTRY = (
    Feature("wave", "notebook_wave", {"argocd_namespace": "argocd_namespace"}, _no_metrics),
    Feature("event", "notebook_event", {"argocd_namespace": "argocd_namespace"}, _completion_metrics),
    Feature("trigger", "notebook_trigger", {"allowed_namespaces": "allowed_namespaces",
                                            "argocd_namespace": "argocd_namespace",
                                            "trigger_annotation": "trigger_annotation"}, _trigger_metrics),
    Feature("status", "notebook_status", {"argocd_namespace": "argocd_namespace", "min_interval": "min_interval"},
            _no_metrics),
)
BY_NAME = dict((f.name, f) for f in REGISTRY)
FEATURES = tuple(f.name for f in REGISTRY)  # also the order the steps run in
# Former spellings of option values (option -> {old: new}): the features' plural names. Read as the new ones, with
# a deprecation warning, until 2.0.0.
RENAMED_VALUES = {"features": {"waves": "wave", "events": "event", "triggers": "trigger"}}

# The task options the features take (besides the auth options and which job(s) to reconcile).
OPTION_SPEC = {
    "features": {"type": "list", "elements": "str", "choices": list(FEATURES) + list(RENAMED_VALUES["features"]),
                 "default": list(FEATURES)},
    "allowed_namespaces": {"type": "list", "elements": "str", "default": []},
    "trigger_annotation": {"type": "str", "default": nvj.ANN_TRIGGER},
    "min_interval": {"type": "int"},
    "running_requeue": {"type": "int", "default": 0},
    "running_requeue_max": {"type": "int"},
    "announced_requeue_max": {"type": "int"},
    "poll_state": {"type": "path"},
}
SECONDS_OPTIONS = ("min_interval", "running_requeue", "running_requeue_max", "announced_requeue_max")


def renamed_values(params, names=None):
    """``(params, warnings)``: ``params`` with each former spelling of an option's value (``RENAMED_VALUES``) read as
    the new one, and a deprecation warning for each option that had one, naming it as ``names`` (option -> name,
    such as the role variable that sets it) calls it and giving the new values."""
    names = names or {}
    out, warnings = dict(params), []
    for option, renames in RENAMED_VALUES.items():
        if out.get(option) is not None:
            out[option], warning = variables.renamed_value(names.get(option, option), out[option], renames)
            warnings += [warning] if warning else []
    return out, warnings


def option_errors(params, names=None):
    """Every problem with the options (of ``OPTION_SPEC``, ``argocd_namespace`` and ``namespaces``, converted to
    their types), found before the first request so that nothing is half written. ``names`` (option -> name)
    says what the messages call an option (a role's variable that the option is set from); only the options
    it names are checked then. The controller's deployment checks its settings with these same rules."""
    names = dict((key, key) for key in params) if names is None else names
    errors = []
    for key in SECONDS_OPTIONS:
        if key in names and params.get(key) is not None and params[key] < 0:
            errors.append("{0} must be an integer >= 0 (seconds), got {1}".format(names[key], params[key]))
    if "namespaces" in names and params.get("namespaces") == []:
        errors.append("{0} is empty: name the namespaces whose NotebookValidationJobs to reconcile (or {1!r} for "
                      "all), as a list or comma-separated".format(names["namespaces"], ALL_NAMESPACES))
    for key in ("namespaces", "allowed_namespaces"):
        bad = [n for n in params.get(key) or [] if n != ALL_NAMESPACES and not is_namespace(n)]
        if key in names and bad:
            errors.append("{0}: {1} not a namespace name (lowercase letters, digits and '-', or {2!r} for all)".format(
                names[key], ", ".join(repr(n) for n in bad), ALL_NAMESPACES))
    if "argocd_namespace" in names and not is_namespace(params.get("argocd_namespace")):
        errors.append("{0} must name the Argo CD namespace (e.g. argocd, openshift-gitops), got {1!r}".format(
            names["argocd_namespace"], params.get("argocd_namespace")))
    if "trigger_annotation" in names and not ANNOTATION_KEY.fullmatch(params.get("trigger_annotation") or ""):
        errors.append("{0} must be an annotation key such as {1}, got {2!r}".format(
            names["trigger_annotation"], nvj.ANN_TRIGGER, params.get("trigger_annotation")))
    return errors


# How fast the poll of a running job backs off: it waits a fifth of the time the job has been running.
RUNNING_REQUEUE_GROWTH = 0.2


def in_order(features):
    """``features`` in ``FEATURES`` order, whatever order the task gave them in."""
    return [name for name in FEATURES if name in features]


def feature_modules(features=FEATURES):
    """``{feature: module}``: what ``JobReconcile`` calls (tests may put a wrapper in a module's place)."""
    return dict((name, BY_NAME[name].load()) for name in features)


def step_options(feature, params):
    return BY_NAME[feature].step_options(params)


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
    """The smallest ``retry_after`` of the deferred work (seconds), or None."""
    waits = [d.get("retry_after") for d in deferred if isinstance(d.get("retry_after"), (int, float))]
    return int(min(waits)) if waits else None


def running_requeue(job, base, cap=None, now=None, announced_cap=None):
    """Seconds until a job that is not finished is looked at again, or None (finished, gone, or ``base`` 0).

    The poll backs off with the time the job has been running (``status.startTime``): a fifth of it, at least
    ``base``, at most ``cap`` (no cap when None or 0). A completion the poll finds is noticed within about one
    poll plus one run, so ``cap`` bounds how late; the growth is what keeps a long validation from costing a run
    every ``base``. A job with a sync wave gets ``announced_cap`` instead, when it is set: the Go operator follows
    such a job's terminal status write with its own wave annotations, which wake a run at once, so for it the
    poll is only the backstop.
    """
    if not base or base <= 0 or job is None or nvj.is_terminal(job):
        return None
    if announced_cap is not None and nvj.annotations(job).get(nvj.ANN_SYNC_WAVE):
        cap = announced_cap
    started = nvj.parse_time(nvj.status(job).get("startTime"))
    running_for = ((now or nvj.now()) - started).total_seconds() if started else 0
    wait = max(base, int(running_for * RUNNING_REQUEUE_GROWTH))
    return min(wait, cap) if cap else wait


def one_poll_chain(path, job, poll, write=True):
    """The running poll to ask for, so that the job keeps one requeue chain (``reconcile_poll``): the armed
    instant when this run is a wake-up while a requeue is pending, none when that requeue fires before this run
    returns. A state file that cannot be used leaves the poll as it is."""
    uid = nvj.metadata(job).get("uid")
    if not uid:
        return poll
    try:
        return reconcile_poll.PollState(path).settle(uid, poll, reconcile_poll.run_started(), write=write)
    except (OSError, ValueError):
        return poll


def metrics_of(job, steps):
    """What ansible-operator's custom metrics should count for this reconcile (each once per occurrence)."""
    out = {}
    for feature in REGISTRY:
        out.update(feature.metrics(steps.get(feature.name) or {}, job))
    return out


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


# -- one job ------------------------------------------------------------------------------


def target(params):
    """``(name, namespace)`` from the task's name/namespace or its definition; ValueError when unclear."""
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


def reconcile_job(api, params, check_mode, who=module_runner.USER, modules=None):
    """Every feature of ``params['features']`` for the job the params name, in ``FEATURES`` order."""
    try:
        name, namespace = target(params)
    except ValueError as exc:
        return {"failed": True, "msg": str(exc)}
    label = describe(nvj.KIND, name, namespace)
    # Always read fresh: the copy ansible-operator passes comes from its cache and can be stale.
    job = api.get(nvj.API_VERSION, nvj.KIND, name, namespace)
    if job is None:
        return {"changed": False, "deleted": True, "steps": {}, "deferred": [], "refused": [], "events": [],
                "msg": "{0} no longer exists; nothing to do".format(label)}
    features = in_order(params["features"])
    run = JobReconcile(api, modules or feature_modules(features), params, check_mode, who)
    final = run.run(job, features)
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
    poll = running_requeue(final, params.get("running_requeue"), params.get("running_requeue_max"),
                           announced_cap=params.get("announced_requeue_max"))
    if params.get("poll_state") and not check_mode:
        poll = one_poll_chain(params["poll_state"], final or job, poll, write=not run.failed)
    waits = [w for w in (requeue_after(deferred), poll) if w is not None]
    if waits:
        outcome["requeue_after"] = min(waits)
    if run.failed:
        outcome["failed"] = True
        outcome["msg"] = "{0}: {1} step(s) failed: {2}".format(label, len(run.failed), "; ".join(run.failures()))
    return outcome


# -- many jobs ----------------------------------------------------------------------------


def reconcile_namespaces(api, params, check_mode, who=module_runner.USER, modules=None):
    """Every job of ``params['namespaces']`` once, then each Application's aggregate once (not once per job)."""
    modules = modules or feature_modules(params["features"])
    namespaces = params["namespaces"]
    scopes = [None] if ALL_NAMESPACES in namespaces else namespaces
    per_job = [f for f in in_order(params["features"]) if f != "status"]
    jobs, failures, diffs, deferred, refused, events = [], [], [], [], [], []
    seen_namespaces = set()
    for scope in scopes:
        for job in api.list(nvj.API_VERSION, nvj.KIND, namespace=scope):
            meta = nvj.metadata(job)
            seen_namespaces.add(meta.get("namespace"))
            label = describe(nvj.KIND, meta.get("name"), meta.get("namespace"))
            run = JobReconcile(api, modules, params, check_mode, who)
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
        status = _aggregate(api, modules["status"], scopes, seen_namespaces, params, check_mode, who)
        deferred += status.get("deferred") or []
        if status.get("failed"):
            failures.append("status: {0}".format(status.get("msg") or "failed"))
        if status.get("diff"):
            headers = {"before_header": "applications (before)", "after_header": "applications (after)"}
            diffs.append(dict(status["diff"], **headers))
    warnings = _empty_namespaces(api, scopes, seen_namespaces)
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


def _empty_namespaces(api, scopes, seen_namespaces):
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


def _aggregate(api, module, scopes, seen_namespaces, params, check_mode, who):
    """Each Application once, after every job was reconciled."""
    namespaces = sorted(seen_namespaces) if scopes == [None] else list(scopes)
    # '*': Applications whose jobs were all deleted are looked for in every namespace, not only these
    options = dict(step_options("status", params), all_namespaces=scopes == [None])
    try:
        result = module.aggregate(api, namespaces, options=options, check_mode=check_mode)
    except KubeError as exc:
        message = module_runner.error_message(exc, who)
        return {"changed": False, "failed": True, "msg": message, "status": exc.status}
    return _compact(result)
