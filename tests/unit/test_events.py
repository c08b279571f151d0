"""Event names are deterministic, so one occurrence is one Event however often it is recorded."""

from ansible_collections.mlops.gitops.plugins.module_utils import events

JOB = {
    "apiVersion": "mlops.mlops.dev/v1alpha1",
    "kind": "NotebookValidationJob",
    "metadata": {"name": "train", "namespace": "ml", "uid": "u-1", "resourceVersion": "7"},
}


def test_event_name_is_deterministic_and_occurrence_specific():
    a = events.event_name(JOB, "ValidationSucceeded", "key-1")
    assert a == events.event_name(JOB, "ValidationSucceeded", "key-1")
    assert a != events.event_name(JOB, "ValidationSucceeded", "key-2")
    assert a != events.event_name(JOB, "ValidationFailed", "key-1")
    assert a.startswith("train.") and len(a) <= 253


def test_event_name_of_a_long_object_name_stays_valid():
    long_job = dict(JOB, metadata=dict(JOB["metadata"], name="x" * 253))
    assert len(events.event_name(long_job, "R", "d")) <= 253


def test_build_event_sets_involved_object_and_bounds_message():
    body = events.build_event(JOB, events.WARNING, "ValidationFailed", "m" * 5000, "n1", labels={"a": "b"})
    assert body["involvedObject"] == {
        "apiVersion": "mlops.mlops.dev/v1alpha1",
        "kind": "NotebookValidationJob",
        "name": "train",
        "namespace": "ml",
        "uid": "u-1",
        "resourceVersion": "7",
    }
    assert len(body["message"]) == events.MAX_MESSAGE and body["message"].endswith("...")
    assert body["type"] == "Warning" and body["metadata"]["labels"] == {"a": "b"}
    assert body["metadata"]["namespace"] == "ml"
