# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Feature 2: on-success triggers, the step of module ``notebook_trigger``: ``reconcile`` sequences them.

Parse and validate the whole annotation (``trigger_parse``), apply the namespace policy to the whole list
(``trigger_policy``), claim the targets in the record (``trigger_record``), fire them (the verbs of
``trigger_verbs``), report each outcome as an Event and record it. Only ``reconcile`` does I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.mlops.gitops.plugins.module_utils import (
    argo_app, events, nvj, trigger_parse, trigger_policy, trigger_record, trigger_verbs,
)
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError
from ansible_collections.mlops.gitops.plugins.module_utils.trigger_record import (
    DEFERRED, FAILED, REFUSED, SUCCEEDED,
)

DEFAULT_RETRY_AFTER = 30
EVENT_REASONS = {
    SUCCEEDED: ("TriggerSucceeded", events.NORMAL),
    FAILED: ("TriggerFailed", events.WARNING),
    DEFERRED: ("TriggerDeferred", events.NORMAL),
    REFUSED: ("TriggerRefused", events.WARNING),
}


def normalize_options(options):
    opts = dict(options or {})
    return {
        "trigger_annotation": opts.get("trigger_annotation") or nvj.ANN_TRIGGER,
        "allowed_namespaces": list(opts.get("allowed_namespaces") or []),
        "argocd_namespace": opts.get("argocd_namespace") or argo_app.DEFAULT_ARGOCD_NAMESPACE,
        "max_targets": int(opts.get("max_targets") or trigger_parse.DEFAULT_MAX_TARGETS),
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
        self.event_errors = []

    def event(self, reason, event_type, message, discriminator):
        """Record the Event; an API error (a token without ``events: create``, a namespace being deleted) is kept
        for ``finish``, which fails the task with it, and never stops what follows: the outcome of an action
        that ran must still be recorded on the job."""
        try:
            event, created = events.record(self.api, self.job, event_type, reason, message, discriminator)
        except KubeError as exc:
            self.event_errors.append("the {0} Event was not recorded: {1}".format(reason, exc))
            return False
        if created and not self.check_mode:  # check mode: a dry run, nothing was recorded
            self.result["events"].append(event["metadata"]["name"])
        return True

    def namespace(self, name):
        if name not in self.namespaces:
            try:
                self.namespaces[name] = self.api.get("v1", "Namespace", name)
            except KubeError as exc:
                if not exc.forbidden:
                    raise
                self.namespaces[name] = trigger_policy.Unreadable(exc)  # not opted in, and the refusal says why
        return self.namespaces[name]

    def write_record(self, decide):
        """Write the record ``decide(fresh job) -> record or None`` gives, with ``KubeApi.conditional_write``
        (a 409 re-reads the job and decides again). True when done, False when the job is gone; a give-up
        is deferred."""
        meta = nvj.metadata(self.job)

        def patch_for(fresh):
            return trigger_record.record_patch(fresh, decide(fresh)) if fresh is not None else None

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
        if self.event_errors:
            self.result["failed"] = True
            said = self.result.get("msg")
            template = ("{0}{1}: {2} (the triggers' outcome is recorded on the job; the next reconcile records "
                        "the Event)")
            self.result["msg"] = template.format(said + "; " if said else "", nvj.ref(self.job),
                                                 "; ".join(self.event_errors))
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
    if nvj.being_deleted(job):  # the rule of every step: a job being deleted is left alone
        out["msg"] = "the job is being deleted (metadata.deletionTimestamp); nothing fires"
        return out
    if nvj.phase(job) != nvj.SUCCEEDED:
        out["msg"] = "phase is {0}, triggers fire only on Succeeded".format(nvj.phase(job))
        return out
    text = nvj.annotations(job).get(opts["trigger_annotation"])
    if text is None:
        out["msg"] = "no {0} annotation".format(opts["trigger_annotation"])
        return out
    try:
        targets = trigger_parse.parse_triggers(
            text, nvj.metadata(job).get("namespace"), opts["max_targets"], opts["argocd_namespace"],
            parent=argo_app.find_parent(job, opts["argocd_namespace"]),
        )
    except trigger_parse.TriggerError as exc:
        out["invalid"] = exc
        return out
    if not nvj.completion_time(job):
        out["deferred"].append(
            {"what": nvj.ref(job), "reason": "status.completionTime is not set yet", "retry_after": opts["retry_after"]}
        )
        return out
    out["targets"] = targets
    record = trigger_record.load_record(job, key)
    # what already fired for this completion is done, whatever this run's options would say of it now
    pending = [t for t in targets if not trigger_record.done(t, record)]
    if not pending:
        out["msg"] = "every trigger target already fired for this completion"
        out["unannounced"] = trigger_record.missing_events(record)
        return out
    refusals = trigger_policy.refusals(run.api, job, pending, opts["allowed_namespaces"], opts["argocd_namespace"],
                                       run.namespace)
    if refusals:
        out["refusals"] = refusals
        out["record"] = trigger_record.refusal_record(key, targets, record, refusals, run.stamp)
        return out
    todo, busy = trigger_record.plan(targets, record, run.moment)
    for target in busy:
        out["deferred"].append(
            {
                "what": "{0} trigger {1}".format(nvj.ref(job), target["id"]),
                "reason": "claimed by another writer, in progress",
                "retry_after": opts["retry_after"],
            }
        )
    if todo:
        out["todo"] = todo
        out["record"] = trigger_record.claim_record(key, targets, record, todo, run.stamp)
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
    elif decision.get("unannounced"):
        _announce(run, key, decision["targets"], decision["unannounced"])
    elif decision.get("refusals"):
        _refuse(run, key, decision["targets"], decision["refusals"])
    elif decision.get("todo"):
        outcomes = _fire(run, key, decision["todo"])
        # Events before the record (an Event recorded twice is one Event: deterministic names); an Event the API
        # refuses is marked on its item, and the next reconcile records it (``_announce``).
        unannounced = _report(run, key, decision["todo"], outcomes)
        # On 409 the record is re-read and ours merged into the other writer's.
        run.write_record(lambda job: trigger_record.outcome_record(job, key, decision["targets"], outcomes, run.stamp,
                                                                   unannounced))


def _announce(run, key, targets, items):
    """Record the Events an earlier reconcile could not (their items are marked), then drop the marks."""
    by_id = dict((t["id"], t) for t in targets)
    recorded = []
    for item in items:
        target = by_id.get(item["id"])
        what = _describe(target) if target else item["id"]
        if _outcome_event(run, key, item["id"], what, item["result"], item.get("message") or ""):
            recorded.append(item["id"])
    if recorded:
        run.write_record(lambda job: trigger_record.events_recorded(job, key, targets, recorded))


def _refuse(run, key, targets, refusals):
    """Report the refusals (recorded by ``trigger_record.refusal_record``), fire nothing."""
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
            outcome = trigger_verbs.run(run.api, target, context)
        except KubeError as exc:
            outcome = {"result": FAILED, "message": str(exc)}
        outcomes[target["id"]] = outcome
    return outcomes


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


def _outcome_event(run, key, tid, what, result, message):
    """The Event of one target's outcome; its name comes from (completion, target, result), so the first try
    (``_report``) and a later one (``_announce``) are the same Event. True when it is recorded."""
    reason, event_type = EVENT_REASONS[result]
    text = "{0}: trigger {1} {2}: {3}".format(nvj.ref(run.job), what, result, message)
    return run.event(reason, event_type, text, "|".join((key, tid, result)))


def _report(run, key, todo, outcomes):
    """Report the outcomes (result, Events); the ids whose Event the API refused."""
    result = run.result
    failures, unannounced = [], []
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
        if not _outcome_event(run, key, target["id"], _describe(target), out["result"], message):
            unannounced.append(target["id"])
    if failures:
        result["failed"] = True
        result["msg"] = "{0}: {1} trigger target(s) failed and will be retried: {2}".format(
            nvj.ref(run.job), len(failures), "; ".join(failures)
        )
    return unannounced
