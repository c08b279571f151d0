"""Fault tolerance of a whole reconcile (issue 8): API errors, timeouts and conflicts on any single
request, a controller that dies between acting and recording, and a world that changes under us.

Every scenario checks the same end state: the on-success trigger fired exactly once (each
original predictor pod deleted once, nothing newer touched), its record on the job says
succeeded, one Event per occurrence, the wave marker, and an exact notebook status on the
Application. The reconcile is ``module_utils.reconcile.JobReconcile`` with the feature modules,
called in-process with a ``KubeApi`` (as the plugin does); one test runs the real plugin in
``ansible-playbook`` under a fault. All need the recording proxy's fault injection and request log.
"""

import datetime
import json
import time

import pytest
from ansible_collections.mlops.gitops.plugins.module_utils.reconcile import FEATURES, JobReconcile, feature_modules
from ansible_collections.mlops.gitops.plugins.module_utils import notebook_status, nvj, trigger_record
from ansible_collections.mlops.gitops.plugins.module_utils.kube import (
    CONFLICT_ATTEMPTS,
    CONFLICT_RETRY_AFTER,
    RETRY_ATTEMPTS,
    RETRY_DELAY,
    KubeApi,
    KubeError,
)

from harness import world
from harness.world import APP, APP_NAME, DEPLOY, DEPLOY_NAME, ISVC, ISVC_LABEL, ISVC_NAME, JOB_NAME

SYNC_TRIGGER = "- {apiVersion: argoproj.io/v1alpha1, kind: Application, name: platform, action: sync}\n"
# Client request timeout used under faults; injected delays exceed it. Long enough that a real
# kube-apiserver on a loaded 2-core machine answers every undelayed request within it.
TIMEOUT = 2.0


def fast_api(api, retries=0):
    """The plugin's client with a short timeout; ``retries=0`` lets every fault reach the feature code."""
    return KubeApi(api.client, request_timeout=TIMEOUT, retries=retries)


# -- the reconcile, as the action plugin runs it -------------------------------------------------
class At:
    """A feature module run at a chosen moment (the plugin passes none: the real clock)."""

    def __init__(self, module, moment):
        self.module, self.moment = module, moment

    def reconcile(self, api, job, options=None, check_mode=False):
        return self.module.reconcile(api, job, options=options, check_mode=check_mode, now=self.moment)


def reconcile(api, namespace, moment=None, **params):
    """``notebook_reconcile`` for one job: read it fresh, run every step; None when the job is gone."""
    job = world.get_job(api, namespace)
    if job is None:
        return None
    modules = feature_modules()
    if moment is not None:
        modules = dict((name, At(module, moment)) for name, module in modules.items())
    options = {"allowed_namespaces": [], "argocd_namespace": namespace, "trigger_annotation": nvj.ANN_TRIGGER,
               "min_interval": 0}
    options.update(params)
    run = JobReconcile(api, modules, options, False)
    run.run(job, FEATURES)
    return run


def deferred(run):
    return [d for step in run.steps.values() for d in step.get("deferred") or []]


def ns_log(kube, namespace, start=0):
    return [e for e in kube.request_log[start:] if e.get("namespace") == namespace]


def settle(api, kube, namespace, limit=6):
    """Reconcile as the controller would (woken by its own writes, requeued when deferred) until a
    reconcile writes nothing; a deferral moves the clock past the trigger claim TTL. Returns the runs."""
    moment, runs = None, []
    for _ in range(limit):
        start = len(kube.request_log)
        run = reconcile(api, namespace, moment)
        runs.append(run)
        if run is None:
            return runs
        if not world.writes(ns_log(kube, namespace, start)) and not deferred(run) and not run.failed:
            return runs
        if deferred(run):
            moment = (moment or world.utc()) + datetime.timedelta(seconds=trigger_record.CLAIM_TTL + 1)
    raise AssertionError("{0}: not quiet after {1} reconciles: {2}".format(namespace, limit, runs[-1].steps))


# -- the end state --------------------------------------------------------------------------------
def pod_deletions(kube, namespace):
    return sorted(e["name"] for e in ns_log(kube, namespace) if e["verb"] == "delete" and e["resource"] == "pods"
                  and e["code"] == 200)


def assert_exact(api, kube, namespace, targets=1, trigger_events=True):
    """The end state; ``trigger_events=False`` only checks that no trigger Event is duplicated (see
    test_trigger_event_survives_a_failure_after_the_action for the Event lost after a late failure)."""
    job = world.get_job(api, namespace)
    ann = nvj.annotations(job)
    record = world.trigger_record(job)
    assert record["key"] == nvj.completion_key(job)
    assert [t["result"] for t in record["targets"]] == ["succeeded"] * targets, record
    assert ann[nvj.ANN_WAVE_COMPLETE] == "3"
    assert pod_deletions(kube, namespace) == ["predictor-old-0", "predictor-old-1"]  # each once, no more
    assert len(world.events(api, namespace, "ValidationSucceeded")) == 1
    trigger_events_found = len(world.events(api, namespace, "TriggerSucceeded"))
    assert trigger_events_found == targets if trigger_events else trigger_events_found <= targets
    status = json.loads(nvj.annotations(api.get(*APP, APP_NAME, namespace))[nvj.ANN_NOTEBOOK_STATUS])
    assert (status["total"], status["succeeded"], status["failed"], status["running"]) == (1, 1, 0, 0), status


# -- any single request fails --------------------------------------------------------------------
FAULTS = {
    "500": {"code": 500},
    "503": {"code": 503},
    # The server applies the request after the client gave up: the worst case for exactly-once.
    "timeout-applied": {"code": 0, "delay": TIMEOUT * 2},
    # The server answers too late and with an error: nothing applied, the client saw a timeout.
    "timeout-failed": {"code": 503, "delay": TIMEOUT * 2},
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_one_failed_request_anywhere_loses_nothing_and_fires_nothing_twice(api, kube, spaces, fault):
    (clean,) = spaces(1)
    world.load_scenario(kube, clean)
    start = len(kube.request_log)
    run = reconcile(fast_api(api), clean)
    assert not run.failed, run.steps
    requests = ns_log(kube, clean, start)
    assert len(requests) >= 12, requests  # get job, wave patch, Event get/create, claim, pods, record, app...
    assert_exact(api, kube, clean)

    for index in range(len(requests)):
        (namespace,) = spaces(1)
        world.load_scenario(kube, namespace)
        kube.inject_fault(namespace=namespace, nth=index + 1, **FAULTS[fault])
        try:
            reconcile(fast_api(api), namespace)
        except KubeError:
            pass  # the first read of the job failed: the plugin's task fails, the controller retries
        time.sleep(FAULTS[fault].get("delay", 0))  # let a late request land before the retry
        assert kube.active_faults() == [], "request {0} was never made".format(index + 1)
        settle(fast_api(api), kube, namespace)
        where = "fault {0} on request {1} ({2} {3} {4})".format(
            fault, index + 1, requests[index]["verb"], requests[index]["resource"], requests[index]["name"])
        try:
            assert_exact(api, kube, namespace, trigger_events=False)
        except AssertionError as exc:
            raise AssertionError("{0}: {1}".format(where, exc)) from exc


def test_single_transient_errors_are_absorbed_by_the_client_retry(api, kube, namespace):
    """With the plugin's default client (its retry budget), one 503 on each write still ends in ONE reconcile."""
    world.load_scenario(kube, namespace)
    for verb, resource in (("patch", "notebookvalidationjobs"), ("create", "events"), ("delete", "pods"),
                           ("patch", "applications"), ("list", "notebookvalidationjobs")):
        kube.inject_fault(verb=verb, resource=resource, namespace=namespace, code=503)
    run = reconcile(KubeApi(api.client, request_timeout=TIMEOUT), namespace)
    assert not run.failed, run.steps
    assert kube.active_faults() == []  # every fault was hit
    assert_exact(api, kube, namespace)



def tries_of(kube, namespace, name):
    return [e for e in kube.request_log if e.get("resource") == "configmaps" and e.get("namespace") == namespace
            and e.get("name") == name and e.get("verb") == "get"]


def test_transient_answers_are_retried_with_a_growing_jittered_backoff(api, kube, namespace):
    """The one retry budget of every request: RETRY_ATTEMPTS transient answers in a row are waited out, each pause
    at least half its exponential step (the proxy's log times each try); one more is the caller's, with the
    server's answer; a refusal (403) is not retried."""
    world.create(api, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe", "namespace": namespace}})
    client = KubeApi(api.client, request_timeout=TIMEOUT)
    kube.clear_log()
    kube.inject_fault(verb="get", resource="configmaps", namespace=namespace, name="probe", code=503,
                      count=RETRY_ATTEMPTS)
    assert client.get("v1", "ConfigMap", "probe", namespace)["metadata"]["name"] == "probe"
    tries = tries_of(kube, namespace, "probe")
    assert [e["code"] for e in tries] == [503] * RETRY_ATTEMPTS + [200]
    gaps = [later["time"] - earlier["time"] for earlier, later in zip(tries, tries[1:])]
    assert all(gap >= RETRY_DELAY * 2 ** n / 2 for n, gap in enumerate(gaps)), gaps

    kube.clear_log()
    kube.inject_fault(verb="get", resource="configmaps", namespace=namespace, name="probe", code=503,
                      count=RETRY_ATTEMPTS + 1)
    with pytest.raises(KubeError) as failed:
        client.get("v1", "ConfigMap", "probe", namespace)
    assert failed.value.status == 503 and "unable to handle the request" in str(failed.value)
    assert len(tries_of(kube, namespace, "probe")) == RETRY_ATTEMPTS + 1

    kube.clear_log()
    kube.inject_fault(verb="get", resource="configmaps", namespace=namespace, name="probe", code=403)
    with pytest.raises(KubeError) as refused:
        client.get("v1", "ConfigMap", "probe", namespace)
    assert refused.value.forbidden and len(tries_of(kube, namespace, "probe")) == 1


def test_too_many_requests_waits_what_retry_after_asks(api, kube, namespace):
    """A 429 (the API server's priority and fairness) carries Retry-After (the proxy sends 1 s, as the server
    does): the retry waits at least that long instead of the short exponential step."""
    world.create(api, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe", "namespace": namespace}})
    kube.clear_log()
    kube.inject_fault(verb="get", resource="configmaps", namespace=namespace, name="probe", code=429)
    assert KubeApi(api.client, request_timeout=TIMEOUT).get("v1", "ConfigMap", "probe", namespace) is not None
    tries = tries_of(kube, namespace, "probe")
    assert [e["code"] for e in tries] == [429, 200]
    assert tries[1]["time"] - tries[0]["time"] >= 1.0


# The trigger's Event fails after the action: the outcome is recorded with its Event marked missing, and the next
# reconcile records the Event (issue 22); a result patch applied late is the same occurrence.
@pytest.mark.parametrize("fault", [
    {"verb": "create", "resource": "events", "nth": 2},  # 1st create: ValidationSucceeded; 2nd: the trigger's
    {"verb": "get", "resource": "events", "nth": 2},
    {"verb": "patch", "resource": nvj.PLURAL, "name": JOB_NAME, "nth": 3},  # the result patch, applied late
], ids=["event-create", "event-get", "result-patch-timeout"])
def test_trigger_event_survives_a_failure_after_the_action(api, kube, namespace, fault):
    world.load_scenario(kube, namespace)
    kind = {"code": 0, "delay": TIMEOUT * 2} if fault["resource"] == nvj.PLURAL else {"code": 500}
    kube.inject_fault(namespace=namespace, **dict(fault, **kind))
    reconcile(fast_api(api), namespace)
    time.sleep(kind.get("delay", 0))
    kube.clear_faults()
    settle(fast_api(api), kube, namespace)
    assert_exact(api, kube, namespace)

# -- conflicts ----------------------------------------------------------------------------------
@pytest.mark.parametrize("nth", [1, 2, 3])
def test_conflict_on_each_job_write_is_retried_in_the_same_reconcile(api, kube, namespace, nth):
    """The job gets three patches (wave markers, trigger claim, trigger result): a 409 on any of them
    is re-read and decided again, within the same reconcile."""
    world.load_scenario(kube, namespace)
    kube.inject_fault(verb="patch", resource=nvj.PLURAL, namespace=namespace, name=JOB_NAME, nth=nth, code=409)
    run = reconcile(fast_api(api), namespace)
    assert not run.failed, run.steps
    assert kube.active_faults() == []
    assert_exact(api, kube, namespace)
    start = len(kube.request_log)
    reconcile(fast_api(api), namespace)
    assert world.writes(ns_log(kube, namespace, start)) == []


def test_conflict_on_the_application_write_recounts_and_writes(api, kube, namespace):
    world.load_scenario(kube, namespace)
    kube.inject_fault(verb="patch", resource="applications", namespace=namespace, code=409)
    run = reconcile(fast_api(api), namespace)
    assert not run.failed and run.steps["status"]["changed"], run.steps
    assert_exact(api, kube, namespace)


def test_application_changing_under_every_write_is_deferred_then_written(api, kube, namespace):
    world.load_scenario(kube, namespace)
    kube.inject_fault(verb="patch", resource="applications", namespace=namespace, code=409, count=CONFLICT_ATTEMPTS)
    run = reconcile(fast_api(api), namespace)
    assert [d["retry_after"] for d in run.steps["status"]["deferred"]] == [CONFLICT_RETRY_AFTER], run.steps["status"]
    assert nvj.ANN_NOTEBOOK_STATUS not in nvj.annotations(api.get(*APP, APP_NAME, namespace))
    settle(fast_api(api), kube, namespace)  # the requeue after retry_after
    assert_exact(api, kube, namespace)


def test_conflict_on_a_sync_rereads_the_application_and_starts_one_sync(api, kube, namespace):
    trigger = SYNC_TRIGGER
    world.load_scenario(kube, namespace, trigger=trigger)
    kube.inject_fault(verb="patch", resource="applications", namespace=namespace, name=APP_NAME, code=409)
    run = reconcile(fast_api(api), namespace)
    assert [f["result"] for f in run.steps["trigger"]["fired"]] == ["succeeded"], run.steps["trigger"]
    app = api.get(*APP, APP_NAME, namespace)
    assert app["operation"]["initiatedBy"]["username"] == "mlops-gitops"
    operation_writes = [e for e in ns_log(kube, namespace)
                        if e["verb"] == "patch" and e["resource"] == "applications" and e["code"] == 200]
    assert len(operation_writes) == 2  # the sync operation, then the notebook status; the 409 wrote nothing


# -- dying between acting and recording ------------------------------------------------------------
EVERY_EFFECT = (
    "- {apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, name: predictor, action: restart}\n"
    "- {apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, name: predictor, action: rollout}\n"
    "- {apiVersion: apps/v1, kind: Deployment, name: feature-server, action: restart}\n"
    "- {apiVersion: argoproj.io/v1alpha1, kind: Application, name: platform, action: refresh}\n"
)


def test_replay_after_dying_before_the_record_is_harmless(api, kube, namespace):
    """The trigger result patch never lands (the controller died): the record keeps our ``pending``
    claim; after the claim TTL the next reconcile replays every action — same restart values, no
    write to any target, no pod deleted, the pods KServe created since left alone."""
    world.load_scenario(kube, namespace, trigger=EVERY_EFFECT)
    # Job patches: wave markers, announced completion, claim, result. The result (4th) fails, and so does its retry.
    kube.inject_fault(verb="patch", resource=nvj.PLURAL, namespace=namespace, name=JOB_NAME, nth=4, count=5, code=500)
    run = reconcile(fast_api(api), namespace)
    assert run.failed == ["trigger"], run.steps
    kube.clear_faults()
    job = world.get_job(api, namespace)
    record = world.trigger_record(job)
    assert [t["result"] for t in record["targets"]] == ["pending"] * 4
    values = {
        "isvc": api.get(*ISVC, ISVC_NAME, namespace)["spec"]["predictor"]["annotations"],
        "deploy": api.get(*DEPLOY, DEPLOY_NAME, namespace)["spec"]["template"]["metadata"]["annotations"],
        "app": nvj.annotations(api.get(*APP, APP_NAME, namespace)).get("argocd.argoproj.io/refresh"),
    }
    assert values["deploy"]["kubectl.kubernetes.io/restartedAt"] == nvj.completion_time(job)
    assert pod_deletions(kube, namespace) == ["predictor-old-0", "predictor-old-1"]
    kube.load([world.pod(namespace, name) for name in world.predictor_pod_names(2, "new")])  # KServe's new pods

    fresh = reconcile(fast_api(api), namespace)  # within the claim TTL: left alone, requeued
    # each put-off claim names its job: a namespace-wide reconcile lists the deferred work of many jobs
    assert {d["what"] for d in fresh.steps["trigger"]["deferred"]} == {
        "{0} trigger {1}".format(nvj.ref(job), t["id"]) for t in record["targets"]}
    start = len(kube.request_log)
    replay = reconcile(fast_api(api), namespace, moment=world.utc(seconds=trigger_record.CLAIM_TTL + 1))
    assert not replay.failed, replay.steps
    assert [f["result"] for f in replay.steps["trigger"]["fired"]] == ["succeeded"] * 4
    target_writes = [e for e in world.writes(ns_log(kube, namespace, start))
                     if e["resource"] in ("inferenceservices", "deployments", "applications", "pods")]
    assert target_writes == [], target_writes  # the status was written before: unchanged too
    assert api.get(*ISVC, ISVC_NAME, namespace)["spec"]["predictor"]["annotations"] == values["isvc"]
    assert api.get(*DEPLOY, DEPLOY_NAME, namespace)["spec"]["template"]["metadata"]["annotations"] == values["deploy"]
    assert nvj.annotations(api.get(*APP, APP_NAME, namespace)).get("argocd.argoproj.io/refresh") == values["app"]
    assert pod_deletions(kube, namespace) == ["predictor-old-0", "predictor-old-1"]
    predictor_pods = api.list("v1", "Pod", namespace=namespace, label_selector="{0}={1}".format(ISVC_LABEL, ISVC_NAME))
    assert sorted(nvj.metadata(p)["name"] for p in predictor_pods) == ["predictor-new-0", "predictor-new-1"]
    record = world.trigger_record(world.get_job(api, namespace))
    assert [t["result"] for t in record["targets"]] == ["succeeded"] * 4


# -- the world changes under us ----------------------------------------------------------------------
def test_sync_while_an_operation_runs_is_deferred_then_started_once(api, kube, namespace):
    trigger = SYNC_TRIGGER
    world.load_scenario(kube, namespace, trigger=trigger, operation_running=True)
    run = reconcile(fast_api(api), namespace)
    assert [f["result"] for f in run.steps["trigger"]["fired"]] == ["deferred"]
    assert any(d["retry_after"] for d in run.steps["trigger"]["deferred"])
    assert "operation" not in api.get(*APP, APP_NAME, namespace)
    again = reconcile(fast_api(api), namespace)  # requeued: still running, still deferred
    assert "operation" not in api.get(*APP, APP_NAME, namespace) and deferred(again)

    api.patch(*APP, APP_NAME, {"status": {"operationState": {"phase": "Succeeded", "finishedAt": world.stamp()}}},
              namespace=namespace)
    start = len(kube.request_log)
    settle(fast_api(api), kube, namespace)
    operation = api.get(*APP, APP_NAME, namespace)["operation"]
    assert operation["initiatedBy"]["username"] == "mlops-gitops"
    syncs = [e for e in ns_log(kube, namespace, start) if e["verb"] == "patch" and e["resource"] == "applications"
             and e["code"] == 200]
    assert len(syncs) == 1  # the sync operation; the notebook status was written by the first reconcile
    job = world.get_job(api, namespace)
    assert world.trigger_record(job)["targets"][0]["result"] == "succeeded"


def test_target_deleted_between_validation_and_action(api, kube, namespace):
    """The InferenceService vanishes after the trigger list was validated and claimed: that target
    fails with a message naming it, nothing is deleted, and it fires once when it is back."""
    world.load_scenario(kube, namespace)
    kube.inject_fault(verb="get", resource="inferenceservices", namespace=namespace, name=ISVC_NAME, code=404)
    run = reconcile(fast_api(api), namespace)
    fired = run.steps["trigger"]["fired"]
    assert [f["result"] for f in fired] == ["failed"] and "predictor does not exist" in fired[0]["message"], fired
    assert run.failed == ["trigger"] and run.steps["status"]["changed"]
    assert pod_deletions(kube, namespace) == []
    assert len(world.events(api, namespace, "TriggerFailed")) == 1
    settle(fast_api(api), kube, namespace)  # the failed target is retried
    assert_exact(api, kube, namespace)


def test_job_deleted_mid_reconcile_fires_nothing(api, kube, namespace):
    """The job is deleted after the completion Event: the trigger claim gets 404, nothing fires, the
    reconcile stops; the namespace reconcile (cron/AWX) then corrects the Application's count."""
    world.load_scenario(kube, namespace)
    modules = feature_modules()

    class DeleteAfterEvents:
        def reconcile(self, api_, job, options=None, check_mode=False):
            result = modules["event"].reconcile(api_, job, options=options, check_mode=check_mode)
            api.delete(nvj.API_VERSION, nvj.KIND, JOB_NAME, namespace)
            return result

    job = world.get_job(api, namespace)
    options = {"allowed_namespaces": [], "argocd_namespace": namespace, "trigger_annotation": nvj.ANN_TRIGGER,
               "min_interval": 0}
    run = JobReconcile(fast_api(api), dict(modules, event=DeleteAfterEvents()), options, False)
    assert run.run(job, FEATURES) is None
    assert run.failed == ["trigger"] and run.steps["trigger"]["status"] == 404, run.steps
    assert "status" not in run.steps  # nothing left to count it for
    assert pod_deletions(kube, namespace) == []
    assert reconcile(fast_api(api), namespace) is None  # the plugin's next run: "no longer exists"
    options = {"argocd_namespace": namespace, "min_interval": 0}
    result = notebook_status.aggregate(fast_api(api), [namespace], options=options)
    assert not result.get("failed"), result
    # The job's Application had no notebook status yet and has no jobs now: nothing to write.
    assert nvj.ANN_NOTEBOOK_STATUS not in nvj.annotations(api.get(*APP, APP_NAME, namespace))


def test_missing_application_is_reported_and_the_rest_completes(api, kube, namespace):
    world.load_scenario(kube, namespace, app=False)
    run = reconcile(fast_api(api), namespace)
    assert not run.failed, run.steps
    assert run.steps["status"]["missing_applications"] == [namespace + "/" + APP_NAME]
    assert [f["result"] for f in run.steps["trigger"]["fired"]] == ["succeeded"]
    assert pod_deletions(kube, namespace) == ["predictor-old-0", "predictor-old-1"]
    start = len(kube.request_log)
    again = reconcile(fast_api(api), namespace)
    assert not again.failed and world.writes(ns_log(kube, namespace, start)) == []


def test_sync_of_a_missing_application_fails_that_target_only(api, kube, namespace):
    trigger = world.RESTART_TRIGGER + SYNC_TRIGGER
    world.load_scenario(kube, namespace, trigger=trigger, app=False)
    run = reconcile(fast_api(api), namespace)
    results = dict((f["kind"], f["result"]) for f in run.steps["trigger"]["fired"])
    assert results == {"InferenceService": "succeeded", "Application": "failed"}, run.steps["trigger"]
    assert "Application {0}/platform does not exist".format(namespace) in run.steps["trigger"]["msg"]
    assert pod_deletions(kube, namespace) == ["predictor-old-0", "predictor-old-1"]


# -- the real plugin under a fault ----------------------------------------------------------------
def test_playbook_run_under_a_fault_then_the_next_run_completes(api, kube, namespace, playbook):
    """ansible-playbook: the Application write fails every time (the client's retries too), the task fails
    naming the step; the next run writes the exact status and fires nothing again."""
    world.load_scenario(kube, namespace)
    kube.inject_fault(verb="patch", resource="applications", namespace=namespace, code=503, count=RETRY_ATTEMPTS + 1)
    task = {"name": "reconcile", "register": "out", "ignore_errors": True,
            "mlops.gitops.notebook_reconcile": {"name": JOB_NAME, "namespace": namespace, "argocd_namespace": namespace,
                                                "min_interval": 0}}
    first = playbook.run([task]).result("reconcile")
    assert first.get("failed") is True and "status" in first["msg"] and "503" in first["msg"], first.get("msg")
    assert first["steps"]["trigger"]["changed"] and first["metrics"]["triggers_fired"] == 1
    kube.clear_faults()
    second = playbook.run([task]).result("reconcile")
    assert not second.get("failed"), second.get("msg")
    assert second["metrics"]["triggers_fired"] == 0 and second["steps"]["status"]["changed"]
    assert_exact(api, kube, namespace)
