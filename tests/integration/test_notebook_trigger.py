"""On-success triggers against the cluster: exactly once, retries, each action's effect, deferral,
security refusals, the bad-input corpus (nothing changes) and the module wiring."""

import datetime
import glob
import json
import os
import time

import pytest
import yaml

from ansible_collections.mlops.gitops.plugins.module_utils import (
    notebook_trigger, nvj, trigger_policy, trigger_record, trigger_verbs,
)
from ansible_collections.mlops.gitops.plugins.module_utils.kube import RETRY_ATTEMPTS

from tests.integration.playbook import assert_alias_deprecated
from harness import world as test_world

HERE = os.path.dirname(__file__)
CASES = sorted(glob.glob(os.path.join(HERE, "..", "data", "trigger_cases", "*.yaml")))
BAD_CASES = [p for p in CASES if os.path.basename(p).startswith("bad_")]
COMPLETION = "2026-01-24T22:30:00Z"
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")


# -- fixtures and builders ---------------------------------------------------------------------
def entry(kind, name, action, namespace=None, **extra):
    item = {"apiVersion": trigger_verbs.KINDS[kind], "kind": kind, "name": name, "action": action}
    if namespace:
        item["namespace"] = namespace
    item.update(extra)
    return item


class World:
    """Objects of one test in its namespace, built by the test world (harness/test_world.py)."""

    def __init__(self, api, namespace):
        self.api = api
        self.ns = namespace

    def job(self, entries=None, text=None, completion=COMPLETION, name="train", labels=None,
            trigger_annotation=None, annotations=None):
        if text is None and entries is not None:
            text = yaml.safe_dump(entries, sort_keys=False)
        body = test_world.job(self.ns, name, trigger=text, trigger_annotation=trigger_annotation or nvj.ANN_TRIGGER,
                              labels=labels, annotations=annotations)
        test_world.create(self.api, body)
        return self.complete(name, completion)

    def complete(self, name="train", completion=COMPLETION, phase=nvj.SUCCEEDED):
        test_world.set_phase(self.api, self.ns, name, phase, completed=completion, started="2026-01-24T22:25:00Z")
        return self.fresh(name)

    def fresh(self, name="train"):
        return test_world.get_job(self.api, self.ns, name)

    def deployment(self, name="model", namespace=None):
        return test_world.create(self.api, test_world.deployment(namespace or self.ns, name))

    def isvc(self, name="predictive-analytics"):
        return test_world.create(self.api, test_world.inference_service(self.ns, name))

    def pod(self, name, isvc="predictive-analytics"):
        return test_world.create(self.api, test_world.pod(self.ns, name, isvc=isvc))

    def app(self, name="model-app", phase="Succeeded", operation=None):
        body = test_world.application(self.ns, name, status=test_world.application_status(phase))  # the job's parent
        if operation:
            body["operation"] = operation
        return test_world.create(self.api, body)

    def get(self, kind, name, namespace=None):
        return self.api.get(trigger_verbs.KINDS.get(kind, "v1"), kind, name, namespace or self.ns)

    def reconcile(self, job=None, check_mode=False, now=None, **options):
        options.setdefault("argocd_namespace", self.ns)
        return notebook_trigger.reconcile(self.api, job or self.fresh(), options=options, check_mode=check_mode,
                                          now=now)

    def lose_record(self, name="train"):
        """What a controller that died between acting and recording leaves: no trigger record."""
        self.api.patch(nvj.API_VERSION, nvj.KIND, name, {"metadata": {"annotations": {nvj.ANN_TRIGGER_STATUS: None}}},
                       namespace=self.ns)

    def record(self, name="train"):
        return test_world.trigger_record(self.fresh(name))

    def events(self, reason):
        return [e for e in self.api.list("v1", "Event", namespace=self.ns) if e.get("reason") == reason]

    def other_namespace(self, suffix, annotations=None):
        name = "{0}-{1}".format(self.ns[:50], suffix)
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "annotations": annotations or {}}}
        self.api.create("v1", "Namespace", body)
        return name


@pytest.fixture
def world(api, namespace):
    made = World(api, namespace)
    yield made
    for other in [n for n in api.list("v1", "Namespace") if n["metadata"]["name"].startswith(namespace + "-")]:
        api.delete("v1", "Namespace", other["metadata"]["name"])


def writes(kube, resource=None):
    return [
        e for e in kube.request_log if e["verb"] in WRITE_VERBS and (resource is None or e["resource"] == resource)
    ]


def template_annotation(world, kind, name):
    return (
        world.get(kind, name)["spec"]["template"]["metadata"]
        .get("annotations", {})
        .get(trigger_verbs.ANN_RESTARTED_AT)
    )


def test_distinct_annotation_key_beside_the_go_operator(world):
    world.deployment("model")
    distinct = "mlops.dev/gitops-on-success-trigger"
    world.job([entry("Deployment", "model", "refresh")], trigger_annotation=distinct)
    world.api.patch(
        nvj.API_VERSION,
        nvj.KIND,
        "train",
        {"metadata": {"annotations": {nvj.ANN_TRIGGER: "- {kind: Deployment, name: go-operators-own}"}}},
        namespace=world.ns,
    )
    result = world.reconcile(trigger_annotation=distinct)
    assert [f["id"] for f in result["fired"]] == ["refresh:apps/v1/Deployment:{0}/model".format(world.ns)]
    assert nvj.annotations(world.get("Deployment", "model"))[trigger_verbs.ANN_REFRESHED_AT] == COMPLETION


# -- exactly once -----------------------------------------------------------------------------
def test_exactly_once_over_ten_reconciles(world, kube):
    world.deployment("model")
    world.isvc()
    world.pod("old-a")
    world.pod("old-b")
    completion = nvj.rfc3339(nvj.now() + datetime.timedelta(seconds=1))
    world.job(
        [
            entry("Deployment", "model", "restart"),
            entry("InferenceService", "predictive-analytics", "restart"),
            entry("InferenceService", "predictive-analytics", "rollout"),
        ],
        completion=completion,
    )
    kube.clear_log()
    results = [world.reconcile() for _ in range(10)]

    assert [f["result"] for f in results[0]["fired"]] == ["succeeded"] * 3
    assert results[0]["changed"] and len(results[0]["events"]) == 3
    assert all(not r["changed"] and r["fired"] == [] and r["events"] == [] for r in results[1:])
    # The Deployment is the sample's predictor Deployment: its pods (created by the real ReplicaSet
    # controller) carry the InferenceService label too, so the restart deletes them as well, each once.
    deleted = [e["name"] for e in writes(kube, "pods") if e["verb"] == "delete"]
    assert {"old-a", "old-b"} <= set(deleted) and len(deleted) == len(set(deleted)), deleted
    assert len(writes(kube, "deployments")) == 1
    assert len(writes(kube, "inferenceservices")) == 1
    assert len(writes(kube, "notebookvalidationjobs")) == 2  # claim, then results
    assert [t["result"] for t in world.record()["targets"]] == ["succeeded"] * 3
    assert len(world.events("TriggerSucceeded")) == 3


def test_rerun_fires_again(world):
    world.deployment("model")
    world.job([entry("Deployment", "model", "restart")])
    world.reconcile()
    assert template_annotation(world, "Deployment", "model") == COMPLETION
    rerun = "2026-01-25T09:00:00Z"
    job = world.complete(completion=rerun)
    result = world.reconcile(job)
    assert [f["result"] for f in result["fired"]] == ["succeeded"]
    assert template_annotation(world, "Deployment", "model") == rerun
    assert world.record()["key"].endswith(rerun)
    assert len(world.events("TriggerSucceeded")) == 2


def test_only_succeeded_jobs_fire(world, kube):
    world.deployment("model")
    world.job([entry("Deployment", "model", "restart")])
    world.complete(phase="Failed")
    kube.clear_log()
    result = world.reconcile()
    assert result["fired"] == [] and not result["changed"] and "fire only on Succeeded" in result["msg"]
    assert writes(kube) == []


def test_partial_failure_then_retry_only_the_failed_target(world, kube):
    world.deployment("a")
    world.deployment("b")
    world.job([entry("Deployment", "a", "restart"), entry("Deployment", "b", "restart")])
    kube.inject_fault(verb="patch", resource="deployments", name="a", code=500, count=RETRY_ATTEMPTS + 1)
    first = world.reconcile()
    assert first["failed"] and "restart Deployment {0}/a".format(world.ns) in first["msg"]
    assert {f["name"]: f["result"] for f in first["fired"]} == {"a": "failed", "b": "succeeded"}
    assert [t["result"] for t in world.record()["targets"]] == ["failed", "succeeded"]
    assert len(world.events("TriggerFailed")) == 1

    kube.clear_log()
    second = world.reconcile()
    assert not second.get("failed") and [f["name"] for f in second["fired"]] == ["a"]
    assert [e["name"] for e in writes(kube, "deployments")] == ["a"]
    assert template_annotation(world, "Deployment", "a") == COMPLETION
    assert [t["result"] for t in world.record()["targets"]] == ["succeeded", "succeeded"]


def test_missing_target_fails_alone_and_names_it(world):
    world.deployment("model")
    world.job([entry("Deployment", "absent", "restart"), entry("Deployment", "model", "refresh")])
    result = world.reconcile()
    assert result["failed"]
    assert (
        "Deployment {0}/absent does not exist; create it or fix entry 1's name/namespace".format(world.ns)
        in result["msg"]
    )
    assert nvj.annotations(world.get("Deployment", "model"))[trigger_verbs.ANN_REFRESHED_AT] == COMPLETION


def test_conflict_on_claim_is_reread_and_fires_once(world, kube):
    world.deployment("model")
    world.job([entry("Deployment", "model", "restart")])
    kube.clear_log()
    kube.inject_fault(verb="patch", resource="notebookvalidationjobs", code=409, count=1)
    result = world.reconcile()
    assert [f["result"] for f in result["fired"]] == ["succeeded"]
    assert len(writes(kube, "deployments")) == 1


def test_fresh_claim_of_another_writer_is_left_alone_stale_one_replayed(world, kube):
    world.deployment("model")
    job = world.job([entry("Deployment", "model", "restart")])
    tid = "restart:apps/v1/Deployment:{0}/model".format(world.ns)
    claimed = nvj.now()
    record = {
        "key": nvj.completion_key(job),
        "targets": [{"id": tid, "result": "pending", "time": nvj.rfc3339(claimed)}],
    }
    world.api.patch(
        nvj.API_VERSION,
        nvj.KIND,
        "train",
        {"metadata": {"annotations": {nvj.ANN_TRIGGER_STATUS: json.dumps(record)}}},
        namespace=world.ns,
    )
    kube.clear_log()
    busy = world.reconcile(now=claimed + datetime.timedelta(seconds=5))
    assert busy["fired"] == [] and writes(kube) == []
    # the job is named: a namespace-wide reconcile lists the put-off targets of many jobs
    assert busy["deferred"][0]["what"] == "NotebookValidationJob {0}/train trigger {1}".format(world.ns, tid)
    later = world.reconcile(now=claimed + datetime.timedelta(seconds=trigger_record.CLAIM_TTL + 1))
    assert [f["result"] for f in later["fired"]] == ["succeeded"]


# -- each action's effect ----------------------------------------------------------------------
def test_restart_inference_service_deletes_only_pods_older_than_the_completion(world, kube):
    world.isvc()
    old = world.pod("old")
    world.pod("other-isvc", isvc="another-model")
    completion_at = nvj.parse_time(old["metadata"]["creationTimestamp"]) + datetime.timedelta(seconds=1)
    time.sleep(max(0.0, (completion_at - nvj.now()).total_seconds()) + 0.05)
    world.pod("new")
    world.job([entry("InferenceService", "predictive-analytics", "restart")], completion=nvj.rfc3339(completion_at))
    kube.clear_log()
    result = world.reconcile()
    assert "deleted 1 pod(s)" in result["fired"][0]["message"]
    assert [e["name"] for e in writes(kube, "pods")] == ["old"]
    assert world.get("Pod", "new") is not None and world.get("Pod", "other-isvc") is not None

    # the record is lost (crash between acting and recording): the replay deletes nothing new
    world.lose_record()
    kube.clear_log()
    replay = world.reconcile()
    assert "deleted 0 pod(s)" in replay["fired"][0]["message"]
    assert writes(kube, "pods") == []


def test_rollout_restart_and_refresh_effects(world):
    world.isvc()
    world.deployment("model")
    world.app("model-app")
    world.job(
        [
            entry("InferenceService", "predictive-analytics", "rollout"),
            entry("Deployment", "model", "rollout"),
            entry("Deployment", "model", "refresh"),
            entry("Application", "model-app", "refresh", namespace=world.ns, mode="hard"),
        ],
        labels={nvj.LABEL_INSTANCE: "model-app"},
    )
    result = world.reconcile()
    assert [f["result"] for f in result["fired"]] == ["succeeded"] * 4
    isvc = world.get("InferenceService", "predictive-analytics")
    assert isvc["spec"]["predictor"]["annotations"] == {trigger_verbs.ANN_PREDICTOR_RESTARTED_AT: COMPLETION}
    assert isvc["spec"]["predictor"]["minReplicas"] == 2  # merge patch kept the rest
    assert trigger_verbs.ANN_REFRESHED_AT not in nvj.annotations(isvc)  # only the predictor rolls
    assert nvj.annotations(world.get("Deployment", "model"))[trigger_verbs.ANN_REFRESHED_AT] == COMPLETION
    assert template_annotation(world, "Deployment", "model") == COMPLETION
    assert nvj.annotations(world.get("Application", "model-app"))[trigger_verbs.ANN_ARGOCD_REFRESH] == "hard"


def test_restart_is_skipped_when_already_restarted_since(world, kube):
    world.deployment("model")
    later = {
        "spec": {"template": {"metadata": {"annotations": {trigger_verbs.ANN_RESTARTED_AT: "2026-01-25T00:00:00Z"}}}}
    }
    world.api.patch("apps/v1", "Deployment", "model", later, namespace=world.ns)
    world.job([entry("Deployment", "model", "restart")])
    kube.clear_log()
    result = world.reconcile()
    assert result["fired"][0]["result"] == "succeeded" and "already restarted" in result["fired"][0]["message"]
    assert writes(kube, "deployments") == []


def test_sync_deferred_while_an_operation_runs_then_started(world, kube):
    world.app("model-app", phase="Running")
    world.job([entry("Application", "model-app", "sync", namespace=world.ns)], labels={nvj.LABEL_INSTANCE: "model-app"})
    deferred = world.reconcile(retry_after=45)
    assert not deferred.get("failed")
    assert deferred["fired"][0]["result"] == "deferred"
    assert deferred["deferred"][0]["retry_after"] == 45 and "sync is running" in deferred["deferred"][0]["reason"]
    assert "operation" not in world.get("Application", "model-app")
    assert world.record()["targets"][0]["result"] == "deferred" and len(world.events("TriggerDeferred")) == 1

    world.api.patch(
        "argoproj.io/v1alpha1",
        "Application",
        "model-app",
        {"status": {"operationState": {"phase": "Succeeded"}}},
        namespace=world.ns,
    )
    started = world.reconcile()
    assert started["fired"][0]["result"] == "succeeded"
    operation = world.get("Application", "model-app")["operation"]
    assert operation["initiatedBy"] == {"username": "mlops-gitops", "automated": False}
    # the sample Application: automated sync with prune, syncOptions [CreateNamespace=true]
    assert operation["sync"] == {
        "revision": "main", "syncStrategy": {"hook": {}}, "syncOptions": ["CreateNamespace=true"], "prune": True,
    }
    key = world.record()["key"]
    assert {"name": "completionKey", "value": key} in operation["info"]

    # Argo CD picks the operation up; the record is lost: the replay recognises its own sync
    app = world.get("Application", "model-app")
    app["status"]["operationState"] = {"phase": "Running", "operation": app.pop("operation"),
                                       "startedAt": nvj.rfc3339(datetime.datetime.now(datetime.UTC))}
    # a PUT, as Argo CD's controller writes the whole Application (the collection itself never replaces one)
    world.api.client.resources.get(api_version="argoproj.io/v1alpha1", kind="Application").replace(
        body=app, namespace=world.ns)
    world.lose_record()
    kube.clear_log()
    replay = world.reconcile()
    assert replay["fired"][0]["result"] == "succeeded" and "already started" in replay["fired"][0]["message"]
    assert writes(kube, "applications") == []


def test_sync_operation_carries_the_applications_sync_options(world):
    """What Argo CD's API server writes for ``argocd app sync``: the controller reads ServerSideApply,
    CreateNamespace... only from the operation, and retry from it too. No automated policy: no prune."""
    world.app("model-app")
    policy = {
        "automated": None,
        "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
        "retry": {"limit": 3, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}},
    }
    world.api.patch("argoproj.io/v1alpha1", "Application", "model-app", {"spec": {"syncPolicy": policy}},
                    namespace=world.ns)
    world.job([entry("Application", "model-app", "sync", namespace=world.ns)], labels={nvj.LABEL_INSTANCE: "model-app"})
    assert world.reconcile()["fired"][0]["result"] == "succeeded"
    operation = world.get("Application", "model-app")["operation"]
    assert operation["sync"]["syncOptions"] == ["CreateNamespace=true", "ServerSideApply=true"]
    assert not operation["sync"].get("prune")
    assert operation["retry"] == policy["retry"]


def test_sync_never_clobbers_a_requested_operation(world):
    other = {"initiatedBy": {"username": "admin"}, "sync": {"revision": "v2"}}
    world.app("model-app", operation=other)
    world.job([entry("Application", "model-app", "sync", namespace=world.ns)], labels={nvj.LABEL_INSTANCE: "model-app"})
    result = world.reconcile()
    assert result["fired"][0]["result"] == "deferred"
    assert world.get("Application", "model-app")["operation"] == other


# -- security ---------------------------------------------------------------------------------
def test_other_namespace_is_refused_and_nothing_fires(world, kube):
    other = world.other_namespace("prod")
    world.deployment("model", namespace=other)
    world.deployment("local")
    world.job([entry("Deployment", "local", "restart"), entry("Deployment", "model", "restart", namespace=other)])
    kube.clear_log()
    result = world.reconcile()
    assert result["failed"] and result["refused"][0]["what"] == "restart:apps/v1/Deployment:{0}/model".format(other)
    assert "1 of 2 trigger targets refused, none fired" in result["msg"]
    assert "allowed_namespaces" in result["msg"] and trigger_policy.ANN_ALLOW_FROM in result["msg"]
    assert writes(kube, "deployments") == []
    assert template_annotation(world, "Deployment", "local") is None
    assert len(world.events("TriggerRefused")) == 1
    assert world.reconcile()["events"] == []  # the refusal is not repeated


def test_application_in_any_namespace_is_resolved_from_the_tracking_id(world):
    """Apps in any namespace: the job's tracking id says ``<ns>_<app>``, so an entry naming that app without
    ``namespace:`` means the Application in <ns>, not one in the Argo CD namespace."""
    world.app("model-app")  # in the job's namespace, deploying into it
    tracking = "{0}_model-app:mlops.mlops.dev/NotebookValidationJob:{0}/train".format(world.ns)
    job = world.job(text=yaml.safe_dump([entry("Application", "model-app", "sync")]),
                    annotations={nvj.ANN_TRACKING_ID: tracking})
    result = world.reconcile(job, argocd_namespace="argocd-control-plane")
    assert not result.get("failed"), result.get("msg")
    assert [(f["namespace"], f["result"]) for f in result["fired"]] == [(world.ns, "succeeded")]
    assert world.get("Application", "model-app")["operation"]["sync"]["revision"] == "main"


def test_application_refusal_suggests_the_tracking_id_namespace(world):
    world.app("model-app")
    tracking = "{0}_model-app:mlops.mlops.dev/NotebookValidationJob:{0}/train".format(world.ns)
    job = world.job(text=yaml.safe_dump([entry("Application", "model-app", "sync", namespace="argocd-control-plane")]),
                    annotations={nvj.ANN_TRACKING_ID: tracking})
    result = world.reconcile(job, argocd_namespace="argocd-control-plane")
    assert result["failed"] and "set namespace: {0} in the entry".format(world.ns) in result["msg"]
    assert "operation" not in world.get("Application", "model-app")


def test_other_namespace_allowed_by_administrator(world):
    other = world.other_namespace("prod")
    world.deployment("model", namespace=other)
    world.job([entry("Deployment", "model", "restart", namespace=other)])
    result = world.reconcile(allowed_namespaces=[other])
    assert [f["result"] for f in result["fired"]] == ["succeeded"]


def test_other_namespace_opting_in(world):
    other = world.other_namespace("prod", annotations={trigger_policy.ANN_ALLOW_FROM: "someone-else, " + world.ns})
    closed = world.other_namespace("closed", annotations={trigger_policy.ANN_ALLOW_FROM: "someone-else"})
    world.deployment("model", namespace=other)
    world.deployment("model", namespace=closed)
    world.job([entry("Deployment", "model", "restart", namespace=other)], name="open")
    assert [f["result"] for f in world.reconcile(world.fresh("open"))["fired"]] == ["succeeded"]
    world.job([entry("Deployment", "model", "restart", namespace=closed)], name="shut")
    assert world.reconcile(world.fresh("shut"))["refused"]


def test_application_must_be_the_parent_or_allowed(world):
    world.app("model-app")
    world.app("someone-elses-app")
    sync = [entry("Application", "someone-elses-app", "sync", namespace=world.ns)]
    world.job(sync, labels={nvj.LABEL_INSTANCE: "model-app"})
    refused = world.reconcile()
    assert refused["failed"] and "is not the parent Application" in refused["msg"]
    assert "operation" not in world.get("Application", "someone-elses-app")
    allowed = world.reconcile(allowed_namespaces=[world.ns])
    assert [f["result"] for f in allowed["fired"]] == ["succeeded"]


# -- the bad-input corpus: message, and nothing changed ----------------------------------------
@pytest.mark.parametrize("path", BAD_CASES, ids=[os.path.basename(p)[:-5] for p in BAD_CASES])
def test_bad_input_changes_nothing(world, cluster, path):
    with open(path) as handle:
        case = yaml.safe_load(handle)
    text = case["annotation"] * int(case.get("repeat", 1))
    target = world.deployment("model")
    job = world.job(text=text)
    if cluster.proxy is not None:
        cluster.clear_log()
    result = world.reconcile(job, **(case.get("options") or {}))
    assert result["failed"] and case["error"] in result["msg"]
    assert "NotebookValidationJob {0}/train: annotation {1}".format(world.ns, nvj.ANN_TRIGGER) in result["msg"]
    assert world.fresh()["metadata"]["resourceVersion"] == job["metadata"]["resourceVersion"]
    # The real deployment controller keeps writing the Deployment's status: compare what we could change.
    after = world.get("Deployment", "model")
    assert after["metadata"]["generation"] == target["metadata"]["generation"]
    assert after["spec"]["template"] == target["spec"]["template"]
    [event] = world.events("TriggerInvalid")
    assert event["type"] == "Warning" and case["error"][:60] in event["message"]
    if cluster.proxy is not None:
        assert [(e["verb"], e["resource"]) for e in writes(cluster)] == [("create", "events")]


# -- check mode -------------------------------------------------------------------------------
def test_check_mode_writes_nothing(world, kube):
    """Check mode runs the real path with every write a server-side dry run (issue 14 item 16): the claim, the
    action, its Event and the outcome; the server checks each and stores none."""
    world.deployment("model")
    job = world.job([entry("Deployment", "model", "restart")])
    model = world.get("Deployment", "model")
    kube.clear_log()
    result = world.reconcile(check_mode=True)
    assert result["changed"] and [f["result"] for f in result["fired"]] == ["would fire"]
    assert result["fired"][0]["message"].startswith("check mode (dry run): rolling restart")
    assert result["diff"]["before"] == {nvj.ANN_TRIGGER_STATUS: None}
    # The claim ("pending") and the outcome were both dry runs: the diff shows what the real run records.
    assert result["diff"]["after"][nvj.ANN_TRIGGER_STATUS]["targets"][0]["result"] == "succeeded"
    assert result["events"] == []
    sent = writes(kube)
    assert [(e["verb"], e["resource"]) for e in sent] == [
        ("patch", "notebookvalidationjobs"), ("patch", "deployments"), ("create", "events"),
        ("patch", "notebookvalidationjobs")]
    assert all(e["query"].get("dryRun") == "All" and e["code"] in (200, 201) for e in sent), sent
    after = world.get("Deployment", "model")  # (its status is the deployment controller's)
    assert world.fresh() == job and after["spec"] == model["spec"]  # nothing stored
    assert after["metadata"]["generation"] == model["metadata"]["generation"]
    assert world.events("TriggerSucceeded") == []


# -- the module, through ansible-playbook -------------------------------------------------------
def test_module_check_run_idempotence_and_failure(world, playbook):
    world.deployment("model")
    world.job([entry("Deployment", "model", "restart")])
    world.job(text="- {kind: Secret, name: creds}", name="bad")
    args = {"name": "train", "namespace": world.ns, "argocd_namespace": world.ns}
    tasks = [
        {"name": "check", "mlops.gitops.notebook_trigger": args, "check_mode": True, "diff": True},
        {"name": "fire", "mlops.gitops.notebook_trigger": args, "diff": True},
        {"name": "again", "mlops.gitops.notebook_trigger": args},
        {"name": "invalid", "mlops.gitops.notebook_trigger": dict(args, name="bad"), "ignore_errors": True},
        {"name": "missing", "mlops.gitops.notebook_trigger": dict(args, name="nope"), "ignore_errors": True},
        {"name": "old name", "mlops.gitops.notebook_trigger": dict(args, annotation="gitops.mlops.dev/none")},
    ]
    run = playbook.run(tasks)
    check, fire, again = run.result("check"), run.result("fire"), run.result("again")
    assert check["changed"] and check["fired"][0]["result"] == "would fire" and check["events"] == []
    assert fire["changed"] and fire["fired"][0]["result"] == "succeeded" and len(fire["events"]) == 1
    assert fire["diff"]["after"][nvj.ANN_TRIGGER_STATUS]["targets"][0]["result"] == "succeeded"
    assert not again["changed"] and again["fired"] == []
    invalid = run.result("invalid")
    assert invalid["failed"] and "entry 1 of 1: field 'apiVersion' is missing" in invalid["msg"]
    assert "NotebookValidationJob {0}/nope not found".format(world.ns) in run.result("missing")["msg"]
    assert template_annotation(world, "Deployment", "model") == COMPLETION
    old_name = run.result("old name")  # the former option name still works, with a deprecation warning
    assert old_name["msg"] == "no gitops.mlops.dev/none annotation" and not old_name["changed"], old_name
    assert_alias_deprecated(old_name, "annotation")
    assert "deprecations" not in fire or not fire["deprecations"], fire
