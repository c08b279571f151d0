"""The pure merge helpers of argocd_config (maps such as ConfigMap data, lists such as resourceHealthChecks),
and the argocd-cm key argocd_health_check merges."""

import pytest

from ansible_collections.mlops.gitops.plugins.module_utils import argocd_config as cfg
from ansible_collections.mlops.gitops.plugins.module_utils import argocd_health_check

A = {"group": "argoproj.io", "kind": "Rollout", "check": "a"}
B = {"group": "", "kind": "Service", "check": "b"}
OURS = {"group": "mlops.mlops.dev", "kind": "NotebookValidationJob", "check": "new"}
ID = ("group", "kind")


def test_plan_map_sets_only_our_keys_and_reports_them():
    plan = cfg.plan_map({"url": "u", "k": "old"}, {"k": "new", "fresh": "x"})
    assert plan == {
        "changed": True,
        "patch": {"k": "new", "fresh": "x"},
        "before": {"k": "old"},
        "after": {"k": "new", "fresh": "x"},
    }


def test_plan_map_is_a_no_op_when_equal_and_handles_a_missing_map():
    assert cfg.plan_map({"k": "v", "other": "o"}, {"k": "v"})["changed"] is False
    assert cfg.plan_map(None, {"k": "v"})["patch"] == {"k": "v"}
    assert cfg.plan_map({"k": ""}, {"k": ""})["changed"] is False


def test_plan_map_absent_removes_with_null_and_ignores_missing_keys():
    plan = cfg.plan_map({"k": "v", "other": "o"}, {"k": None, "gone": None}, state="absent")
    assert plan == {"changed": True, "patch": {"k": None}, "before": {"k": "v"}, "after": {}}
    assert cfg.plan_map({"other": "o"}, {"k": None}, state="absent")["changed"] is False


@pytest.mark.parametrize(
    "current, state, after, changed",
    [
        ([A, B], "present", [A, B, OURS], True),  # appended
        ([A, dict(OURS, check="old"), B], "present", [A, OURS, B], True),  # updated in place
        ([A, OURS, B], "present", [A, OURS, B], False),  # idempotent
        ([dict(OURS, check="old"), A, dict(OURS, check="dup")], "present", [OURS, A], True),  # duplicates collapse
        (None, "present", [OURS], True),
        ([A, OURS, B, dict(OURS)], "absent", [A, B], True),  # every copy of ours goes
        ([A, B], "absent", [A, B], False),
        ([OURS], "absent", [], True),
    ],
)
def test_plan_list(current, state, after, changed):
    plan = cfg.plan_list(current, [OURS], ID, state)
    assert (plan["after"], plan["changed"]) == (after, changed)
    assert plan["patch"] == (after or None)
    assert plan["before"] == list(current or [])


def test_plan_list_keeps_unknown_fields_of_our_entry_and_tolerates_odd_entries():
    current = ["not-a-dict", dict(OURS, check="old", extra=1)]
    plan = cfg.plan_list(current, [OURS], ID)
    assert plan["after"] == ["not-a-dict", dict(OURS, extra=1)]
    assert current[1]["check"] == "old"  # input not mutated


def test_health_key_and_nested_paths():
    assert argocd_health_check.health_key("mlops.mlops.dev", "NotebookValidationJob") == (
        "resource.customizations.health.mlops.mlops.dev_NotebookValidationJob"
    )
    assert cfg.nested(("spec", "triggers"), {"t": None}) == {"spec": {"triggers": {"t": None}}}
    assert cfg.dig({"spec": {"triggers": {"t": "x"}}}, ("spec", "triggers")) == {"t": "x"}
    assert cfg.dig({"spec": None}, ("spec", "triggers")) is None
