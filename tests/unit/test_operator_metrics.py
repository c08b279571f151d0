"""ADR-048's three metrics as ansible-operator's receiver takes them (plugins/module_utils/operator_metrics.py); the
real operator serving them: tests/operator/test_lifecycle.py."""

from ansible_collections.mlops.gitops.plugins.module_utils import operator_metrics


def test_a_completion_is_counted_once_with_its_duration_and_the_trigger_actions_added():
    sent = operator_metrics.user_metrics({"completed": "Succeeded", "duration_seconds": 42, "triggers_fired": 2,
                                          "triggers_failed": 1})
    assert [(m["name"], {k: v for k, v in m.items() if k not in ("name", "description")}) for m in sent] == [
        ("notebook_validation_total", {"counter": {"increment": True}}),
        ("notebook_validation_duration_seconds", {"histogram": {"observe": 42.0}}),
        ("argocd_triggers_total", {"counter": {"add": 2.0}}),
    ]
    assert all(m["description"] for m in sent)


def test_a_run_with_nothing_to_count_sends_nothing():
    assert operator_metrics.user_metrics({"completed": None, "duration_seconds": None, "triggers_fired": 0}) == []
    assert operator_metrics.user_metrics({}) == [] and operator_metrics.user_metrics(None) == []


def test_a_completion_without_a_duration_is_still_counted():
    sent = operator_metrics.user_metrics({"completed": "Failed", "duration_seconds": None, "triggers_fired": 0})
    assert [m["name"] for m in sent] == ["notebook_validation_total"]
