"""The reconcile registry (plugins/module_utils/reconcile.py): the order of the steps, the options each
feature gets, what each reports, and the poll of a running job that backs off with its running time."""

import datetime

import pytest
from ansible_collections.mlops.gitops.plugins.module_utils import notebook_trigger, nvj, reconcile

NOW = datetime.datetime(2026, 11, 30, 12, 0, 0, tzinfo=datetime.UTC)
PARAMS = {"argocd_namespace": "openshift-gitops", "allowed_namespaces": ["serving"],
          "trigger_annotation": "gitops.mlops.dev/on-success-trigger", "min_interval": None}


def job(phase="ValidationRunning", running_for=None):
    status = {"phase": phase}
    if running_for is not None:
        status["startTime"] = nvj.rfc3339(NOW - datetime.timedelta(seconds=running_for))
    return {"apiVersion": nvj.API_VERSION, "kind": nvj.KIND, "metadata": {"name": "j", "namespace": "n"},
            "status": status}


def test_the_steps_run_in_one_order_and_each_names_its_module():
    assert reconcile.FEATURES == ("wave", "event", "trigger", "status")
    modules = reconcile.feature_modules()
    assert [m.__name__.rsplit(".", 1)[1] for m in modules.values()] == [
        "notebook_wave", "notebook_event", "notebook_trigger", "notebook_status"]
    assert all(callable(m.reconcile) for m in modules.values())
    assert callable(modules["status"].aggregate)
    assert list(reconcile.feature_modules(["event"])) == ["event"]


def test_each_feature_gets_its_own_options_and_an_unset_one_is_left_to_the_feature():
    assert reconcile.step_options("wave", PARAMS) == {"argocd_namespace": "openshift-gitops"}
    assert reconcile.step_options("event", PARAMS) == {"argocd_namespace": "openshift-gitops"}
    assert reconcile.step_options("trigger", PARAMS) == {
        "allowed_namespaces": ["serving"], "argocd_namespace": "openshift-gitops",
        "trigger_annotation": "gitops.mlops.dev/on-success-trigger"}
    # the triggers step reads the key under the name the reconcile passes (a wrong name falls back to the default)
    assert notebook_trigger.normalize_options(reconcile.step_options("trigger", PARAMS))["trigger_annotation"] == \
        "gitops.mlops.dev/on-success-trigger"
    assert reconcile.step_options("status", PARAMS) == {"argocd_namespace": "openshift-gitops"}
    assert reconcile.step_options("status", dict(PARAMS, min_interval=0)) == {
        "argocd_namespace": "openshift-gitops", "min_interval": 0}
    assert reconcile.step_options("trigger", dict(PARAMS, allowed_namespaces=[]))["allowed_namespaces"] == []


def test_metrics_count_a_first_completion_and_the_triggers_that_ran():
    done = job("Succeeded", running_for=90)
    done["status"]["completionTime"] = nvj.rfc3339(NOW)
    steps = {"event": {"events": ["j.validationsucceeded.abc"]},
             "trigger": {"fired": [{"result": "succeeded"}, {"result": "failed"}, {"result": "skipped"}]}}
    assert reconcile.metrics_of(done, steps) == {"completed": "Succeeded", "duration_seconds": 90,
                                                 "triggers_fired": 2, "triggers_failed": 1}
    assert reconcile.metrics_of(done, {}) == {"completed": None, "duration_seconds": None,
                                              "triggers_fired": 0, "triggers_failed": 0}


def test_requeue_after_is_the_soonest_deferred_work():
    assert reconcile.requeue_after([]) is None
    assert reconcile.requeue_after([{"retry_after": 40}, {"retry_after": 5.5}, {"reason": "no time"}]) == 5


@pytest.mark.parametrize(("running_for", "expected"), [
    (None, 15),      # no startTime yet: the base
    (0, 15),
    (60, 15),        # a fifth of 60 s is below the base
    (100, 20),
    (150, 30),
    (600, 30),       # capped
    (-30, 15),       # a startTime in the future (clock skew): the base
])
def test_the_running_poll_grows_with_the_running_time_up_to_the_cap(running_for, expected):
    assert reconcile.running_requeue(job(running_for=running_for), 15, 30, now=NOW) == expected


def test_the_running_poll_without_cap_and_when_there_is_nothing_to_poll():
    assert reconcile.running_requeue(job(running_for=600), 15, None, now=NOW) == 120
    assert reconcile.running_requeue(job(running_for=600), 15, 0, now=NOW) == 120
    assert reconcile.running_requeue(job("Succeeded", running_for=600), 15, 30, now=NOW) is None
    assert reconcile.running_requeue(job("Failed"), 15, 30, now=NOW) is None
    assert reconcile.running_requeue(None, 15, 30, now=NOW) is None  # deleted
    assert reconcile.running_requeue(job(), 0, 30, now=NOW) is None  # turned off


def test_a_job_with_a_sync_wave_has_the_announced_cap():
    """The Go operator's wave annotations wake the run of a job with a sync wave at its completion: its poll is
    the backstop, with a cap of its own."""
    waved = job(running_for=600)
    waved["metadata"]["annotations"] = {nvj.ANN_SYNC_WAVE: "3"}
    assert reconcile.running_requeue(waved, 15, 30, now=NOW, announced_cap=60) == 60
    assert reconcile.running_requeue(waved, 15, 30, now=NOW, announced_cap=0) == 120  # no limit
    assert reconcile.running_requeue(waved, 15, 30, now=NOW) == 30  # not set: the cap of every job
    assert reconcile.running_requeue(job(running_for=600), 15, 30, now=NOW, announced_cap=60) == 30  # no wave
    waved["metadata"]["annotations"][nvj.ANN_SYNC_WAVE] = ""
    assert reconcile.running_requeue(waved, 15, 30, now=NOW, announced_cap=60) == 30  # as the Go operator reads it


def test_a_ten_minute_validation_costs_at_most_20_polls_when_a_run_takes_5_seconds():
    """The defaults against issue 12's target, with the run time measured under ansible-operator."""
    elapsed, runs = 0.0, 0
    while elapsed < 600:
        runs += 1
        elapsed += reconcile.running_requeue(job(running_for=elapsed), 15, 30, now=NOW) + 5
    assert runs <= 20, runs


def test_the_steps_run_in_their_order_whatever_order_the_task_gives():
    """features: [status, wave] runs the wave step first, as the option's documentation says."""
    ran = []

    class Step:
        def __init__(self, name):
            self.name = name

        def reconcile(self, api, job, options=None, check_mode=False):
            ran.append(self.name)
            return {"changed": False}

    class Api:
        def get(self, *args):
            return job()

    params = dict(PARAMS, name="j", namespace="n", features=["status", "wave"])
    outcome = reconcile.reconcile_job(Api(), params, False, modules={f: Step(f) for f in ("status", "wave")})
    assert ran == ["wave", "status"]
    assert list(outcome["steps"]) == ["wave", "status"]
