"""One completion is announced and counted once, whatever happens to its Event, and the Go operator's
two-step failure is one completion (issue 14, items 2, 4, 5 and 9), against the cluster.

The whole reconcile runs as the controller runs it (``module_utils.reconcile.JobReconcile`` with every feature),
and ``metrics_of`` says what ansible-operator would count."""

import os

import yaml
from ansible_collections.mlops.gitops.plugins.module_utils.reconcile import (
    FEATURES,
    JobReconcile,
    feature_modules,
    metrics_of,
)
from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError

from harness.world import create_job, get_job, markers, set_phase, write_status

SEQUENCE = os.path.join(os.path.dirname(__file__), "..", "data", "go_operator", "failed-build-sequence.yaml")
PARAMS = {"allowed_namespaces": [], "argocd_namespace": "argocd", "trigger_annotation": nvj.ANN_TRIGGER,
          "min_interval": 0}


def reconcile(api, namespace, name="train"):
    run = JobReconcile(api, feature_modules(), PARAMS, False)
    final = run.run(get_job(api, namespace, name), FEATURES)
    assert not run.failed, run.steps
    return run, metrics_of(final, run.steps)


def completion_events(api, namespace):
    return [e for e in api.list("v1", "Event", namespace=namespace)
            if e.get("reason") in ("ValidationSucceeded", "ValidationFailed")]


def test_an_expired_event_is_not_announced_or_counted_again(api, namespace):
    create_job(api, namespace, "train")
    set_phase(api, namespace, "train", "Succeeded", completed="2026-01-24T22:30:00Z")
    _run, first = reconcile(api, namespace)
    assert first["completed"] == "Succeeded" and first["duration_seconds"] == 1800
    [event] = completion_events(api, namespace)
    job = get_job(api, namespace, "train")
    assert nvj.annotations(job)[nvj.ANN_ANNOUNCED] == nvj.completion_key(job)

    # The Event expires (an hour by default) while the controller keeps resyncing the job.
    api.delete("v1", "Event", event["metadata"]["name"], namespace)
    for _ in range(2):
        run, again = reconcile(api, namespace)
        assert again["completed"] is None and again["duration_seconds"] is None
        assert run.steps["event"]["changed"] is False and run.steps["event"]["events"] == []
    assert completion_events(api, namespace) == []


def test_go_operator_failed_build_is_one_completion_with_the_build_message(api, namespace):
    with open(SEQUENCE) as handle:
        steps = [doc for doc in yaml.safe_load_all(handle) if doc]
    create_job(api, namespace, "predictive-analytics-kserve-validation")
    name = "predictive-analytics-kserve-validation"
    counted, marker_values = [], []
    for step in steps:  # each write of the Go operator, then a reconcile as the controller would run one
        write_status(api, namespace, name, step["status"])
        _run, metrics = reconcile(api, namespace, name)
        counted.append(metrics["completed"])
        marker_values.append(markers(get_job(api, namespace, name)))

    assert counted == [None] * (len(steps) - 1) + ["Failed"]  # counted once, at the second failure step
    assert [m for m in marker_values if m] == [{nvj.ANN_WAVE_FAILED: "3", nvj.ANN_FAILURE_TIME: "2026-01-24T22:24:41Z"}]
    [event] = completion_events(api, namespace)
    assert (event["type"], event["reason"]) == ("Warning", "ValidationFailed")
    assert "Failure: Build failed: Assemble script failed." in event["message"]
    assert "oc logs build/predictive-analytics-kserve-validation-build-1 -n {0}".format(namespace) in event["message"]
    assert "Unknown phase" not in event["message"]

    _run, again = reconcile(api, namespace, name)  # settled: nothing more
    assert again["completed"] is None and len(completion_events(api, namespace)) == 1


def test_a_completion_time_that_is_not_rfc3339_is_never_used(api, namespace):
    """``completionTime: yesterday``: the real API server refuses it (format: date-time); where a server or
    an older CRD lets it through, it is treated as missing, with a Warning Event, and nothing is written
    from it (no marker, no completion Event)."""
    create_job(api, namespace, "train")
    try:
        set_phase(api, namespace, "train", "Succeeded", completed="yesterday")
    except KubeError as exc:
        assert exc.status == 422, exc
        return
    run, metrics = reconcile(api, namespace)
    assert metrics["completed"] is None and completion_events(api, namespace) == []
    assert markers(get_job(api, namespace, "train")) == {}
    warnings = [e for e in api.list("v1", "Event", namespace=namespace) if e.get("reason") == "InvalidStatusTime"]
    assert len(warnings) == 1 and "'yesterday' is not an RFC 3339 time" in warnings[0]["message"]
    assert run.steps["event"]["deferred"] and run.steps["wave"]["deferred"]
