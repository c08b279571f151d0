"""Pure logic of on-success triggers: the data-driven parsing corpus, policy, record and planning."""

import datetime
import glob
import json
import os

import pytest
import yaml

from ansible_collections.mlops.gitops.plugins.module_utils import (
    trigger_parse,
    trigger_policy,
    trigger_record,
    trigger_verbs,
)

CASES_DIR = os.path.join(os.path.dirname(__file__), "..", "data", "trigger_cases")
CASE_FILES = sorted(glob.glob(os.path.join(CASES_DIR, "*.yaml")))
JOBNS = "ml-pipelines"


def load_case(path):
    with open(path) as handle:
        case = yaml.safe_load(handle)
    case["text"] = case["annotation"] * int(case.get("repeat", 1))
    return case


def job(namespace=JOBNS, labels=None, annotations=None):
    return {
        "apiVersion": "mlops.mlops.dev/v1alpha1",
        "kind": "NotebookValidationJob",
        "metadata": {
            "name": "train",
            "namespace": namespace,
            "uid": "u1",
            "labels": labels or {},
            "annotations": annotations or {},
        },
        "status": {"phase": "Succeeded", "completionTime": "2026-01-24T22:30:00Z"},
    }


def test_corpus_is_big_enough():
    bad = [p for p in CASE_FILES if "error" in load_case(p)]
    assert len(bad) >= 15


@pytest.mark.parametrize("path", CASE_FILES, ids=[os.path.basename(p)[:-5] for p in CASE_FILES])
def test_corpus_case(path):
    case = load_case(path)
    max_targets = (case.get("options") or {}).get("max_targets", trigger_parse.DEFAULT_MAX_TARGETS)
    if "error" in case:
        with pytest.raises(trigger_parse.TriggerError) as info:
            trigger_parse.parse_triggers(case["text"], JOBNS, max_targets)
        assert case["error"] in str(info.value)
    else:
        targets = trigger_parse.parse_triggers(case["text"], JOBNS, max_targets)
        assert [t["id"] for t in targets] == [i.replace("JOBNS", JOBNS) for i in case["targets"]]


def test_all_problems_are_reported_at_once():
    text = "- {kind: Deployment, name: a}\n- {apiVersion: apps/v1, kind: Deployment, name: b, action: boom}\n"
    with pytest.raises(trigger_parse.TriggerError) as info:
        trigger_parse.parse_triggers(text, JOBNS)
    assert len(info.value.errors) == 3
    assert "entry 1 of 2: field 'apiVersion' is missing" in str(info.value)
    assert "entry 2 of 2: field 'action': unknown action 'boom'" in str(info.value)


def test_size_is_checked_before_parsing(monkeypatch):
    def explode(*_args, **_kwargs):
        raise AssertionError("parsed an oversized annotation")

    monkeypatch.setattr(trigger_parse._loader_class(), "get_single_data", explode)
    with pytest.raises(trigger_parse.TriggerError, match="more than the 16384 allowed"):
        trigger_parse.load_annotation("#" * (16 * 1024 + 1))


def test_multibyte_size_counts_bytes():
    with pytest.raises(trigger_parse.TriggerError, match="bytes"):
        trigger_parse.load_annotation("# " + "é" * 8200)


def test_entry_fields_and_defaults():
    [entry] = trigger_parse.parse_triggers(
        "- {apiVersion: argoproj.io/v1alpha1, kind: Application, name: app, action: refresh}",
        JOBNS,
        argocd_namespace="openshift-gitops",
    )
    assert entry["namespace"] == "openshift-gitops"
    assert entry["mode"] == "normal"
    assert entry["index"] == 1
    assert entry["id"] == "refresh:argoproj.io/v1alpha1/Application:openshift-gitops/app"


# -- policy ---------------------------------------------------------------------------------
def target(kind="Deployment", namespace=JOBNS, name="model", action="restart"):
    api_version = trigger_verbs.KINDS[kind]
    entry = {"apiVersion": api_version, "kind": kind, "name": name, "namespace": namespace, "action": action}
    entry["id"] = trigger_parse.target_id(entry)
    return entry


def test_same_namespace_is_allowed():
    assert trigger_policy.refusal(target(), job(), [], None) is None


def test_other_namespace_is_refused_with_the_fix():
    reason = trigger_policy.refusal(target(namespace="prod"), job(), [], None, namespace_obj={"metadata": {}})
    assert "Deployment prod/model is in another namespace than NotebookValidationJob ml-pipelines/train" in reason
    assert "allowed_namespaces" in reason and "mlops.dev/allow-triggers-from: ml-pipelines" in reason


def test_an_unreadable_namespace_is_refused_naming_the_missing_right():
    """Issue 22, finding 9: without get on namespaces the refusal said the namespace must opt in, though it did."""
    unreadable = trigger_policy.Unreadable("get Namespace prod: forbidden (HTTP 403)")
    reason = trigger_policy.refusal(target(namespace="prod"), job(), [], None, namespace_obj=unreadable)
    assert "whether namespace prod opts in (annotation mlops.dev/allow-triggers-from) cannot be read: get " \
        "Namespace prod: forbidden (HTTP 403)" in reason and "needs get on namespaces" in reason, reason
    assert "must opt in" not in reason


@pytest.mark.parametrize("allowed", [["prod"], ["*"]])
def test_admin_allows_namespace(allowed):
    assert trigger_policy.refusal(target(namespace="prod"), job(), allowed, None) is None


@pytest.mark.parametrize(
    "value,ok",
    [
        ("ml-pipelines", True),
        ("a, ml-pipelines", True),
        ("*", True),
        ("other", False),
        ("ml-pipelines-2", False),
        ("", False),
    ],
)
def test_namespace_opt_in(value, ok):
    namespace_obj = {"metadata": {"annotations": {trigger_policy.ANN_ALLOW_FROM: value}}}
    reason = trigger_policy.refusal(target(namespace="prod"), job(), [], None, namespace_obj=namespace_obj)
    assert (reason is None) is ok


def test_application_must_be_parent_or_allowed():
    app = target("Application", namespace="argocd", name="model-app", action="sync")
    assert trigger_policy.refusal(app, job(), [], {"namespace": "argocd", "name": "model-app"}) is None
    assert trigger_policy.refusal(app, job(), ["argocd"], None) is None
    reason = trigger_policy.refusal(app, job(), [], {"namespace": "argocd", "name": "other-app"})
    assert "is not the parent Application of NotebookValidationJob ml-pipelines/train" in reason
    # an Application in the job's own namespace gets no namespace pass, nor does the namespace opt-in
    own = target("Application", namespace=JOBNS, name="model-app", action="sync")
    assert trigger_policy.refusal(own, job(), [], None) is not None


def test_application_namespace_defaults_to_the_parent_apps_namespace():
    """Apps in any namespace: ``team_model-app`` in the tracking id puts the job's Application in ``team``."""
    text = "- {apiVersion: argoproj.io/v1alpha1, kind: Application, name: model-app, action: sync}\n" \
           "- {apiVersion: argoproj.io/v1alpha1, kind: Application, name: other-app, action: refresh}\n"
    parent = {"namespace": "team", "name": "model-app", "source": "tracking-id"}
    own, other = trigger_parse.parse_triggers(text, JOBNS, argocd_namespace="argocd", parent=parent)
    assert own["namespace"] == "team" and other["namespace"] == "argocd"
    refused = trigger_policy.refusal(dict(own, namespace="argocd"), job(), [], None, claimed=parent)
    assert refused.endswith("names Application team/model-app: set namespace: team in the entry")


# -- record and planning --------------------------------------------------------------------
NOW = datetime.datetime(2026, 1, 25, 8, 0, 0, tzinfo=datetime.UTC)


def test_record_belongs_to_one_completion():
    record = {"key": "k1", "targets": [{"id": "a", "result": "succeeded"}]}
    nvj_obj = job(annotations={"mlops.dev/trigger-status": json.dumps(record)})
    assert trigger_record.load_record(nvj_obj, "k1") == {"a": {"id": "a", "result": "succeeded"}}
    assert trigger_record.load_record(nvj_obj, "k2") == {}
    assert trigger_record.load_record(job(annotations={"mlops.dev/trigger-status": "{not json"}), "k1") == {}


def test_plan_skips_succeeded_and_fresh_claims():
    a, b, c, d, e = (target(name=n) for n in "abcde")
    record = {
        a["id"]: {"result": "succeeded"},
        b["id"]: {"result": "failed"},
        c["id"]: {"result": "pending", "time": "2026-01-25T07:59:30Z"},  # another writer, 30 s ago
        d["id"]: {"result": "pending", "time": "2026-01-25T07:50:00Z"},  # a crashed claim: replay
    }
    todo, busy = trigger_record.plan([a, b, c, d, e], record, NOW)
    assert [t["name"] for t in todo] == ["b", "d", "e"]
    assert [t["name"] for t in busy] == ["c"]


def test_build_record_keeps_order_and_drops_removed_targets_that_did_not_succeed():
    a, b = target(name="a"), target(name="b")
    previous = {a["id"]: {"id": a["id"], "result": "succeeded"}, "gone": {"id": "gone", "result": "failed"}}
    record = trigger_record.build_record("k", [a, b], previous, {b["id"]: {"id": b["id"], "result": "pending"}})
    assert record == {  # "gone" failed: removed with its entry
        "key": "k",
        "targets": [{"id": a["id"], "result": "succeeded"}, {"id": b["id"], "result": "pending"}],
    }


def test_build_record_never_drops_a_recorded_success():
    """A target removed from the annotation (or renamed by an option) keeps its success in the record."""
    a, b = target(name="a"), target(name="b")
    previous = {a["id"]: {"id": a["id"], "result": "succeeded"}}
    record = trigger_record.build_record("k", [b], previous, {b["id"]: {"id": b["id"], "result": "pending"}})
    assert record["targets"] == [{"id": b["id"], "result": "pending"}, {"id": a["id"], "result": "succeeded"}]


def test_an_application_found_through_a_misspelt_argocd_namespace_is_the_one_that_fired():
    """Issue 22: `sync` of app succeeded with argocd_namespace=argocd; a run with argocd_namespace=argcd must not
    take it for a new target (and neither refuse, fail nor fire it), nor may the next right run fire it again."""
    text = "- {apiVersion: argoproj.io/v1alpha1, kind: Application, name: app, action: sync}\n"
    [right] = trigger_parse.parse_triggers(text, JOBNS, argocd_namespace="argocd")
    [wrong] = trigger_parse.parse_triggers(text, JOBNS, argocd_namespace="argcd")
    assert right["id"] != wrong["id"] and wrong["namespace_from_option"]
    record = {right["id"]: {"id": right["id"], "result": "succeeded"}}
    assert trigger_record.done(wrong, record) and trigger_record.done(right, record)
    assert trigger_record.plan([wrong], record, NOW) == ([], [])
    # written with a namespace, a target is its own: another namespace is another Application
    [explicit] = trigger_parse.parse_triggers(text.replace("name: app", "name: app, namespace: argcd"), JOBNS)
    assert not explicit["namespace_from_option"] and not trigger_record.done(explicit, record)
    # a failure is no success: the right namespace fires again
    assert not trigger_record.done(wrong, {right["id"]: {"id": right["id"], "result": "failed"}})


def test_outcome_annotations_count_the_record_per_action_and_result():
    pairs = (("a", "restart"), ("b", "restart"), ("c", "sync"), ("d", "sync"))
    ids = [target(name=n, action=a)["id"] for n, a in pairs]
    record = {"key": "k", "targets": [{"id": ids[0], "result": "succeeded"}, {"id": ids[1], "result": "succeeded"},
                                      {"id": ids[2], "result": "failed"}, {"id": ids[3], "result": "pending"}]}
    current = {"mlops.dev/triggers-rollout-refused": "1", "mlops.dev/triggers-restart-succeeded": "1",
               "mlops.dev/wave-complete": "3"}
    # pending is in flight, not an outcome; a count that is no longer in the record is removed
    assert trigger_record.outcome_annotations(record, current) == {
        "mlops.dev/triggers-restart-succeeded": "2",
        "mlops.dev/triggers-sync-failed": "1",
        "mlops.dev/triggers-rollout-refused": None,
    }
    assert trigger_record.outcome_annotations({"key": "k", "targets": []}, {}) == {}


def test_status_messages_are_bounded():
    item = trigger_record.status_item("x", "failed", "t", "m" * 1000)
    assert len(item["message"]) == trigger_record.MAX_MESSAGE


# -- sync decision (pure part of the sync action) -------------------------------------------
CONTEXT = {
    "key": "u1/Succeeded/2026-01-24T22:30:00Z",
    "job_ref": "ml-pipelines/train",
    "completion_time": "2026-01-24T22:30:00Z",
}


def test_sync_operation_matches_argo_cd_types():
    app = {"spec": {"source": {"targetRevision": "main"}, "syncPolicy": {"retry": {"limit": 2}}}}
    op = trigger_verbs.sync_operation(app, CONTEXT)
    assert op["initiatedBy"] == {"username": "mlops-gitops", "automated": False}
    assert op["sync"] == {"revision": "main", "syncStrategy": {"hook": {}}}
    assert {"name": "completionKey", "value": CONTEXT["key"]} in op["info"]
    assert {"name": "reason", "value": "NotebookValidationJob ml-pipelines/train succeeded"} in op["info"]
    assert op["retry"] == {"limit": 2}
    multi = trigger_verbs.sync_operation({"spec": {"sources": [{"targetRevision": "v1"}]}}, CONTEXT)
    assert "revision" not in multi["sync"]


@pytest.mark.parametrize(
    "policy, sync_options, prune",
    [
        ({"syncOptions": ["CreateNamespace=true", "ServerSideApply=true"]},
         ["CreateNamespace=true", "ServerSideApply=true"], None),
        ({"automated": {"prune": True}, "syncOptions": ["PruneLast=true"]}, ["PruneLast=true"], True),
        ({"automated": {"prune": True, "enabled": False}}, None, None),
        ({"automated": {"selfHeal": True}}, None, None),
        ({}, None, None),
    ],
)
def test_sync_operation_carries_the_sync_policy(policy, sync_options, prune):
    """As Argo CD's API server builds it: syncOptions and retry from spec.syncPolicy (the controller reads
    ServerSideApply, Replace, PruneLast, CreateNamespace only from the operation); prune as Argo CD's own
    automated sync would, never more."""
    app = {"spec": {"source": {"targetRevision": "main"}, "syncPolicy": policy}}
    sync = trigger_verbs.sync_operation(app, CONTEXT)["sync"]
    assert sync.get("syncOptions") == sync_options
    assert sync.get("prune") == prune


@pytest.mark.parametrize(
    "app,expected",
    [
        ({}, None),
        ({"status": {"operationState": {"phase": "Succeeded"}}}, None),
        ({"operation": {"sync": {}}}, "deferred"),
        ({"status": {"operationState": {"phase": "Running"}}}, "deferred"),
        ({"operation": {"info": [{"name": "completionKey", "value": CONTEXT["key"]}]}}, "succeeded"),
        (
            {
                "status": {
                    "operationState": {
                        "phase": "Running",
                        "operation": {"info": [{"name": "completionKey", "value": CONTEXT["key"]}]},
                    }
                }
            },
            "succeeded",
        ),
    ],
)
def test_sync_decision(app, expected):
    assert trigger_verbs.sync_decision(app, CONTEXT["key"])[0] == expected


def test_every_allowed_action_has_an_effect():
    for kind in trigger_verbs.KINDS:
        for action in trigger_verbs.verbs_for(kind):
            assert callable(trigger_verbs.BY_NAME[action].kind(kind).handler)
