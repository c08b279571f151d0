"""Completion Events against the cluster: exactly one per terminal completion, a new one per re-run,
the right type, reason, labels, involvedObject and message; the module's check mode."""

from ansible_collections.mlops.gitops.plugins.module_utils import notebook_event, nvj
from harness.world import create_job, get_job, set_phase

TRACKED = "argocd.argoproj.io/tracking-id"


def completion_events(api, namespace):
    return sorted(
        (e for e in api.list("v1", "Event", namespace=namespace) if e.get("reason", "").startswith("Validation")),
        key=lambda e: e["metadata"]["name"],
    )


def test_one_event_per_completion(api, namespace):
    create_job(api, namespace, "train", annotations={TRACKED: "fraud:mlops.mlops.dev/NotebookValidationJob:{0}/train"
                                                     .format(namespace)})
    set_phase(api, namespace, "train", "ValidationRunning")
    assert notebook_event.reconcile(api, get_job(api, namespace, "train"))["changed"] is False

    set_phase(api, namespace, "train", "Failed", completed="2026-01-24T22:30:00Z", retries=3,
              message="ModuleNotFoundError: No module named 'sklearn'")
    job = get_job(api, namespace, "train")
    first = notebook_event.reconcile(api, job, options={"argocd_namespace": "argocd"})
    assert first["changed"] is True and first["created"] is True and len(first["events"]) == 1
    for _ in range(2):  # repeated reconciles (other processes too: the name is deterministic)
        again = notebook_event.reconcile(api, get_job(api, namespace, "train"))
        assert again["changed"] is False and again["events"] == []

    events = completion_events(api, namespace)
    assert len(events) == 1
    event = events[0]
    assert (event["type"], event["reason"]) == ("Warning", "ValidationFailed")
    assert event["involvedObject"]["kind"] == nvj.KIND and event["involvedObject"]["name"] == "train"
    assert event["involvedObject"]["uid"] == job["metadata"]["uid"]
    assert event["metadata"]["labels"] == {
        "app.kubernetes.io/part-of": "fraud",
        "mlops.dev/application": "fraud",
        "mlops.dev/notification-type": "validation-failure",
    }
    message = event["message"]
    assert "Failed; retries: 3; duration: 30m0s" in message
    assert "No module named 'sklearn'" in message and "Suggested action: add the package" in message
    assert message.endswith("kubectl logs train-validation -n {0}".format(namespace))

    # The job runs again and succeeds: a new completion, a new (Normal) Event.
    set_phase(api, namespace, "train", "Succeeded", completed="2026-01-25T09:00:00Z")
    second = notebook_event.reconcile(api, get_job(api, namespace, "train"))
    assert second["created"] is True
    events = completion_events(api, namespace)
    assert [(e["type"], e["reason"]) for e in events if e["metadata"]["name"] == second["events"][0]] == [
        ("Normal", "ValidationSucceeded")]
    assert len(events) == 2
    success = [e for e in events if e["reason"] == "ValidationSucceeded"][0]
    assert success["metadata"]["labels"]["mlops.dev/notification-type"] == "validation-success"


def test_module_check_mode_then_create_then_idempotent(playbook, api, namespace):
    create_job(api, namespace, "train", labels={"app.kubernetes.io/instance": "team-a_fraud"})
    set_phase(api, namespace, "train", "Succeeded", completed="2026-01-24T22:30:00Z")
    task = {"mlops.gitops.notebook_event": {"name": "train", "namespace": namespace,
                                            "argocd_namespace": "openshift-gitops"}}
    run = playbook.run([dict(task, name="preview", check_mode=True), dict(task, name="record"),
                        dict(task, name="again")])
    assert run.result("preview")["changed"] is True and run.result("preview")["created"] is True
    record = run.result("record")
    assert record["changed"] is True
    assert record["event"]["metadata"]["labels"]["mlops.dev/application"] == "team-a_fraud"
    assert run.result("again")["changed"] is False
    assert len(completion_events(api, namespace)) == 1
