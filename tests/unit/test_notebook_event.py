"""The completion Event's message, suggested action and labels."""

import hashlib
import re

import pytest

from ansible_collections.mlops.gitops.plugins.module_utils import argo_app, nvj
from ansible_collections.mlops.gitops.plugins.module_utils import notebook_event as ce
from ansible_collections.mlops.gitops.plugins.module_utils import events
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi


def job(phase="Failed", message=None, retries=2, pod="train-validation", annotations=None, labels=None):
    status = {"phase": phase, "startTime": "2026-01-24T22:00:00Z", "completionTime": "2026-01-24T23:05:09Z",
              "retryCount": retries}
    if message is not None:
        status["message"] = message
    if pod:
        status["validationPodName"] = pod
    return {
        "apiVersion": "mlops.mlops.dev/v1alpha1",
        "kind": "NotebookValidationJob",
        "metadata": {"name": "train", "namespace": "ml", "uid": "u-1", "annotations": annotations or {},
                     "labels": labels or {}},
        "status": status,
    }


@pytest.mark.parametrize(
    "message, expected",
    [
        ("ModuleNotFoundError: No module named 'sklearn'", "module 'sklearn' to the notebook's requirements.txt"),
        ("ModuleNotFoundError: No module named \"xgboost.core\"", "module 'xgboost'"),
        ("ImportError: cannot import name 'x' from 'y'", "missing Python package"),
        ("container validation was OOMKilled", "spec.podConfig.resources.limits.memory"),
        ("Pod exited with exit code 137", "spec.podConfig.resources.limits.memory"),
        ("validation timed out after 30m", "spec.timeout"),
        ("context deadline exceeded", "spec.timeout"),
        ("Back-off pulling image: ErrImagePull", "spec.podConfig.containerImage"),
        ("fatal: Authentication failed for 'https://git.example/x.git'", "spec.notebook.git.credentialsSecret"),
        ("FileNotFoundError: [Errno 2] No such file or directory: 'data.csv'", "spec.notebook.path"),
        ("BuildFailed: S2I build failed", "spec.podConfig.buildConfig"),
        ("CellExecutionError: An error occurred while executing cell 7", "fix the failing cell"),
        ("something nobody expected", "read the validation pod's logs"),
        ("", "read the validation pod's logs"),
        (None, "read the validation pod's logs"),
    ],
)
def test_suggested_action(message, expected):
    assert expected in ce.suggested_action(message)


def test_failure_message_has_everything():
    text = ce.build_message(job(message="ModuleNotFoundError: No module named 'sklearn'"))
    assert text.startswith("NotebookValidationJob ml/train Failed; retries: 2; duration: 1h5m9s.")
    assert "Failure: ModuleNotFoundError: No module named 'sklearn'." in text
    assert "Suggested action: add the package that provides the Python module 'sklearn'" in text
    assert text.endswith("Logs: kubectl logs train-validation -n ml")


def test_success_message_has_no_failure_part():
    text = ce.build_message(job(phase="Succeeded", retries=None))
    assert text == ("NotebookValidationJob ml/train Succeeded; retries: 0; duration: 1h5m9s. "
                    "Logs: kubectl logs train-validation -n ml")


def test_failed_without_message_or_pod():
    text = ce.build_message(job(pod=None))
    assert "Failure: no failure message in status.message." in text
    assert "Logs:" not in text


def test_long_failure_keeps_suggestion_and_logs_within_limit():
    text = ce.build_message(job(message="Traceback line\n" * 400 + "ModuleNotFoundError: No module named 'torch'"))
    assert len(text) <= events.MAX_MESSAGE
    assert text.endswith("Logs: kubectl logs train-validation -n ml")
    assert "Suggested action:" in text


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59, "59s"), (61, "1m1s"), (3600, "1h0m0s"), (None, None)])
def test_format_duration(seconds, text):
    assert ce.format_duration(seconds) == text


def test_labels_name_the_application_argo_cd_style():
    tracking = "fraud:mlops.mlops.dev/NotebookValidationJob:ml/train"
    tracked = job(annotations={"argocd.argoproj.io/tracking-id": tracking})
    assert ce.build_labels(tracked, argo_app.find_parent(tracked)) == {
        "mlops.dev/notification-type": "validation-failure",
        "app.kubernetes.io/part-of": "fraud",
        "mlops.dev/application": "fraud",
    }
    elsewhere = job(phase="Succeeded", labels={"app.kubernetes.io/instance": "team-a_fraud"})
    parent = argo_app.find_parent(elsewhere, "openshift-gitops")
    assert ce.build_labels(elsewhere, parent, "openshift-gitops") == {
        "mlops.dev/notification-type": "validation-success",
        "app.kubernetes.io/part-of": "fraud",
        "mlops.dev/application": "team-a_fraud",
    }
    assert ce.build_annotations(parent, "openshift-gitops") == {"mlops.dev/application": "team-a_fraud"}


def test_labels_without_parent():
    assert ce.build_labels(job(), None) == {"mlops.dev/notification-type": "validation-failure"}
    assert ce.build_annotations(None) == {}


def test_label_value_is_valid():
    assert ce.label_value("fraud") == "fraud"
    assert ce.label_value("-app/x.") == "app-x"
    assert ce.label_value("a" * 63) == "a" * 63


# -- issue 22 finding 10: long names, the Application in the message, retryCount -----------------------------
def test_a_long_name_is_not_cut_but_hashed_so_two_long_names_never_share_a_label():
    first, second = "team-a_" + "x" * 70 + "-one", "team-a_" + "x" * 70 + "-two"
    values = [ce.label_value(first), ce.label_value(second)]
    assert values[0] != values[1]  # cut to 63 characters, both were the same value
    for name, value in zip((first, second), values):
        assert len(value) <= 63 and re.fullmatch(r"[a-z0-9]([-a-z0-9_.]*[a-z0-9])?", value), value
        assert value == name[:52].rstrip("-_.") + "-" + hashlib.sha256(name.encode()).hexdigest()[:10]


def test_the_message_names_the_confirmed_application():
    tracked = job(phase="Succeeded", labels={"app.kubernetes.io/instance": "team-a_fraud"})
    text = ce.build_message(tracked, argo_app.find_parent(tracked))
    assert text.startswith("NotebookValidationJob ml/train Succeeded; retries: 2; duration: 1h5m9s; "
                           "Application team-a/fraud."), text


@pytest.mark.parametrize("value, shown", [(-3, "unknown (status.retryCount is -3, not a count)"),
                                          ("two", "unknown (status.retryCount is 'two', not a count)"),
                                          (True, "unknown (status.retryCount is True, not a count)"),
                                          (0, "0"), (4, "4"), (None, "0")])
def test_retry_count_is_shown_only_as_a_count(value, shown):
    assert "; retries: {0};".format(shown) in ce.build_message(job(retries=value))


# -- the Go operator's failed image build (tests/data/go_operator/failed-build-sequence.yaml) ----------
def go_sequence():
    import os

    import yaml

    path = os.path.join(os.path.dirname(__file__), "..", "data", "go_operator", "failed-build-sequence.yaml")
    with open(path) as handle:
        return {doc["step"]: doc["status"] for doc in yaml.safe_load_all(handle) if doc}


def with_status(status):
    out = job()
    out["status"] = dict(status)
    return out


def test_failed_build_shows_the_build_message_and_a_build_action():
    """The operator's second step says "Unknown phase: Failed"; the build's message is the cause."""
    text = ce.build_message(with_status(go_sequence()["failed-unknown-phase"]))
    assert "Failure: Build failed: Assemble script failed. Suggested action: read the build logs " \
           "(oc logs build/predictive-analytics-kserve-validation-build-1 -n ml)" in text
    assert "Unknown phase" not in text
    assert DEFAULT_SUGGESTION_PART not in text


DEFAULT_SUGGESTION_PART = "read the validation pod's logs"


def test_failed_tekton_build_without_message():
    status = dict(go_sequence()["failed-unknown-phase"])
    status["buildStatus"] = {"phase": "Failed", "buildName": "train-build", "strategy": "tekton"}
    text = ce.build_message(with_status(status))
    assert "Failure: the image build failed (Unknown phase: Failed)." in text
    assert "tkn pipelinerun logs train-build -n ml" in text


class FakeApi(KubeApi):
    """Events and the job in memory, as the API server would keep them, under the real API layer's
    conditional write."""

    def __init__(self, job):
        super().__init__(None)
        self.job = job
        self.events = {}
        self.patches = 0

    def get(self, api_version, kind, name, namespace=None):
        return self.events.get(name) if kind == "Event" else self.job

    def create(self, api_version, kind, body, namespace=None):
        self.events[body["metadata"]["name"]] = body
        return body

    def patch(self, api_version, kind, name, patch, namespace=None):
        self.patches += 1
        self.job["metadata"].setdefault("annotations", {}).update(patch["metadata"]["annotations"])
        return self.job


def test_two_step_failure_is_one_completion():
    """Failed without completionTime, then with it: one Event, one key (the first step is deferred)."""
    steps = go_sequence()
    current = with_status(steps["failed-without-completion-time"])
    api = FakeApi(current)
    first = ce.reconcile(api, current)
    assert first["created"] is False and api.events == {} and first["deferred"][0]["retry_after"] == nvj.SETTLE_RETRY
    current["status"] = steps["failed-unknown-phase"]
    second = ce.reconcile(api, current)
    assert second["created"] is True and len(api.events) == 1
    assert current["metadata"]["annotations"]["mlops.dev/announced-completion"] == \
        "u-1/Failed/2026-01-24T22:24:41Z"


def test_expired_event_is_not_announced_again():
    """The record lives on the job: once the Event is gone (TTL), a resync creates nothing."""
    current = job(phase="Succeeded")
    api = FakeApi(current)
    assert ce.reconcile(api, current)["created"] is True
    api.events.clear()  # the Event expired
    again = ce.reconcile(api, current)
    assert again["created"] is False and again["changed"] is False and api.events == {}
    assert api.patches == 1
