"""Completion Events against the cluster: exactly one per terminal completion, a new one per re-run,
the right type, reason, labels, involvedObject and message; the module's check mode."""

import re
import subprocess
from pathlib import Path

from ansible_collections.mlops.gitops.plugins.module_utils import notebook_event, notebook_status, nvj
from harness import world
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
    assert "Failed; retries: 3; duration: 30m0s; Application argocd/fraud." in message
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
    preview = run.result("preview")
    assert preview["changed"] is True  # it would create the Event
    assert preview["created"] is False and preview["events"] == []  # but created none (issue 22 finding 10)
    record = run.result("record")
    assert record["changed"] is True
    assert record["event"]["metadata"]["labels"]["mlops.dev/application"] == "team-a_fraud"
    assert run.result("again")["changed"] is False
    assert len(completion_events(api, namespace)) == 1


# -- issue 22 finding 10 ------------------------------------------------------------------------------------------
def test_a_long_application_name_gets_a_label_its_selector_finds(api, namespace):
    """63 characters is all a label value holds: a longer Application name is not cut (docs/notifications.md's
    selector would miss it, and two long names would share it) but hashed; the annotation holds the whole name."""
    app = "fraud-detection-model-" + "x" * 50  # 72 characters
    create_job(api, namespace, "train",  # a label could not hold the name either: the tracking id can
               annotations={TRACKED: "{0}:mlops.mlops.dev/NotebookValidationJob:{1}/train".format(app, namespace)})
    set_phase(api, namespace, "train", "Succeeded", completed="2026-01-24T22:30:00Z")
    created = notebook_event.reconcile(api, get_job(api, namespace, "train"))
    assert created["created"] is True
    selector = "mlops.dev/application=" + documented_label_value(app)
    found = list(api.list("v1", "Event", namespace=namespace, label_selector=selector))
    assert [e["metadata"]["name"] for e in found] == created["events"]
    event = found[0]
    assert event["metadata"]["annotations"] == {"mlops.dev/application": app}
    assert "Application argocd/{0}.".format(app) in event["message"]


def documented_label_value(name):
    """The label value for ``name`` as docs/notifications.md tells users to compute it (its shell snippet)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "notifications.md").read_text(encoding="utf-8")
    snippet = re.search(r"```sh\n(app=.*?)```", doc, re.S).group(1)
    script = "kubectl() { printf '%s\\n' \"$@\"; }\n" + re.sub(r"^app=\S+", "app=" + name, snippet)
    args = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout.split()
    return [a for a in args if a.startswith("mlops.dev/application=")][0].split("=", 1)[1]


def test_a_job_cannot_attribute_its_event_to_another_teams_application(api, namespace, spaces):
    """Team B's Application deploys into team B's namespace; a job in team A's namespace that names it gets an
    Event without it (refused as the status step refuses it, by the same rule), and that Application's label
    selector does not find the Event."""
    team_a, team_b = spaces(2)
    world.create(api, world.application(namespace, "team-b-model", destination=team_b))
    create_job(api, team_a, "intruder", labels={"app.kubernetes.io/instance": "team-b-model"})
    set_phase(api, team_a, "intruder", "Failed", completed="2026-01-24T22:30:00Z", message="boom")
    job = get_job(api, team_a, "intruder")
    options = {"argocd_namespace": namespace}
    event_step = notebook_event.reconcile(api, job, options=options)
    status_step = notebook_status.reconcile(api, job, options=options)
    assert event_step["created"] is True
    assert [r["what"] for r in event_step["refused"]] == [r["what"] for r in status_step["refused"]] == [
        "Application {0}/team-b-model".format(namespace)]
    assert "does not deploy into namespace " + team_a in event_step["refused"][0]["reason"]
    labels = event_step["event"]["metadata"]["labels"]
    assert "mlops.dev/application" not in labels and "app.kubernetes.io/part-of" not in labels, labels
    assert "team-b-model" not in event_step["event"]["message"]
    assert list(api.list("v1", "Event", namespace=team_a, label_selector="mlops.dev/application=team-b-model")) == []
