"""The notebook_reconcile action plugin through real ansible-playbook runs: a full reconcile, a
second run that writes nothing, a deleted job, and one step's API error not stopping the others."""

import datetime
import json

from ansible_collections.mlops.gitops.plugins.module_utils import nvj

from harness import world

TASK = "reconcile"


def reconcile_task(namespace, **extra):
    args = {"name": world.JOB_NAME, "namespace": namespace, "argocd_namespace": namespace, "min_interval": 0}
    args.update(extra)
    return {"name": TASK, "mlops.gitops.notebook_reconcile": args, "register": "out", "ignore_errors": True}


def succeed(api, namespace):
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    world.set_phase(api, namespace, world.JOB_NAME, "Succeeded", started=world.stamp(start),
                    completed=world.stamp(datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1)))


def test_full_reconcile_then_a_second_run_writes_nothing(api, playbook, namespace, cluster):
    world.build(api, namespace)
    succeed(api, namespace)

    first = playbook.run([reconcile_task(namespace)], diff=True).result(TASK)
    assert not first.get("failed"), first
    assert first["changed"] is True
    assert set(first["steps"]) == {"wave", "event", "trigger", "status"}
    assert all(first["steps"][s]["changed"] for s in first["steps"]), first["steps"]
    assert [f["result"] for f in first["steps"]["trigger"]["fired"]] == ["succeeded"]
    assert first["metrics"]["completed"] == "Succeeded" and first["metrics"]["duration_seconds"] >= 300
    assert first["metrics"]["triggers_fired"] == 1
    assert first["requests"]["patch"] >= 2 and first["requests"]["create"] >= 1
    assert {d["before_header"].split()[-2] for d in first["diff"]} >= {"wave", "event", "status"}

    job = world.get_job(api, namespace)
    assert nvj.annotations(job)[nvj.ANN_WAVE_COMPLETE] == "3"
    assert world.trigger_record(job)["key"] == nvj.completion_key(job)
    assert len(world.events(api, namespace, "ValidationSucceeded")) == 1
    assert world.pods(api, namespace) == []  # the restart deleted both predictor pods
    status = json.loads(world.app_annotations(api, namespace)[nvj.ANN_NOTEBOOK_STATUS])
    assert (status["total"], status["succeeded"]) == (1, 1)

    world.create_pods(api, namespace)  # the new pods KServe would create
    if cluster.proxy is not None:
        cluster.clear_log()
    second = playbook.run([reconcile_task(namespace)]).result(TASK)
    assert not second.get("failed"), second
    assert second["changed"] is False
    assert not any(second["requests"].get(verb) for verb in ("create", "patch", "update", "delete")), second["requests"]
    assert cluster.proxy is None or world.writes(cluster.request_log) == []
    assert len(world.pods(api, namespace)) == 2  # the trigger did not fire again


def test_check_mode_reports_without_writing(api, playbook, namespace, cluster):
    world.build(api, namespace)
    succeed(api, namespace)
    if cluster.proxy is not None:
        cluster.clear_log()
    res = playbook.run([reconcile_task(namespace)], check=True, diff=True).result(TASK)
    assert res["changed"] is True and not res.get("failed"), res
    assert all(res["steps"][s]["changed"] for s in ("wave", "event", "trigger", "status")), res["steps"]
    assert [f["result"] for f in res["steps"]["trigger"]["fired"]] == ["would fire"]
    if cluster.proxy is not None:  # every step sent its writes, each as a server-side dry run (issue 14 item 16)
        sent = world.writes(cluster.request_log)
        assert {e["resource"] for e in sent} >= {"notebookvalidationjobs", "events", "pods", "applications"}, sent
        assert all(e["query"].get("dryRun") == "All" for e in sent), [e for e in sent if not e["query"].get("dryRun")]
    assert nvj.ANN_WAVE_COMPLETE not in nvj.annotations(world.get_job(api, namespace))
    assert nvj.ANN_TRIGGER_STATUS not in nvj.annotations(world.get_job(api, namespace))
    assert world.events(api, namespace) == []
    assert nvj.ANN_NOTEBOOK_STATUS not in world.app_annotations(api, namespace)
    assert len(world.pods(api, namespace)) == 2


READ_ONLY = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]}]


def test_check_mode_with_a_read_only_account_fails_on_the_servers_403(api, playbook, namespace, cluster, tmp_path):
    """--check with a token that may only read: each step's dry run is refused by the server, and the task
    fails naming the object and the right that is missing; nothing is written."""
    world.build(api, namespace)
    succeed(api, namespace)
    job = world.get_job(api, namespace)
    with cluster.restricted(tmp_path, READ_ONLY, namespace, READ_ONLY) as (user, kubeconfig):
        env = {"K8S_AUTH_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig}
        res = playbook.run([reconcile_task(namespace)], check=True, env=env).result(TASK)
    assert res.get("failed") is True, res
    assert "4 step(s) failed" in res["msg"], res["msg"]
    waves = res["steps"]["wave"]
    assert waves["status"] == 403
    target = "NotebookValidationJob {0}/{1}".format(namespace, world.JOB_NAME)
    assert "patch {0}".format(target) in waves["msg"], waves["msg"]
    assert 'cannot patch resource "notebookvalidationjobs"' in waves["msg"] and user in waves["msg"]
    assert "may not patch {0}: grant it that right".format(target) in waves["msg"]
    events = res["steps"]["event"]
    assert events["status"] == 403 and 'cannot create resource "events"' in events["msg"], events
    assert res["steps"]["status"]["status"] == 403 and "applications" in res["steps"]["status"]["msg"]
    assert world.get_job(api, namespace) == job and world.events(api, namespace) == []
    assert nvj.ANN_NOTEBOOK_STATUS not in world.app_annotations(api, namespace)
    assert len(world.pods(api, namespace)) == 2


def test_deleted_job_is_nothing_to_do(api, playbook, namespace):
    res = playbook.run([reconcile_task(namespace, name="gone")]).result(TASK)
    assert not res.get("failed"), res
    assert res["changed"] is False and res["deleted"] is True
    assert "no longer exists" in res["msg"]


def test_one_failing_step_does_not_stop_the_others(api, playbook, namespace, kube):
    world.build(api, namespace)
    succeed(api, namespace)
    # The first write to the job is the wave markers' patch: refuse it.
    kube.inject_fault(verb="patch", resource="notebookvalidationjobs", namespace=namespace, code=403)
    res = playbook.run([reconcile_task(namespace)]).result(TASK)
    assert res.get("failed") is True
    assert "wave" in res["msg"] and "1 step(s) failed" in res["msg"], res["msg"]
    assert res["steps"]["wave"]["status"] == 403
    assert all(res["steps"][step]["changed"] for step in ("event", "trigger", "status")), res["steps"]
    job = world.get_job(api, namespace)
    assert nvj.ANN_WAVE_COMPLETE not in nvj.annotations(job)
    assert nvj.ANN_TRIGGER_STATUS in nvj.annotations(job)
    assert nvj.ANN_NOTEBOOK_STATUS in world.app_annotations(api, namespace)

    kube.clear_faults()  # the next reconcile completes the work and fires nothing twice
    again = playbook.run([reconcile_task(namespace)]).result(TASK)
    assert not again.get("failed"), again
    assert again["steps"]["wave"]["changed"] is True
    assert not again["steps"]["trigger"].get("fired")


def test_namespaces_mode_aggregates_once(api, playbook, namespace, cluster):
    world.build(api, namespace)
    succeed(api, namespace)
    task = {"name": TASK, "register": "out",
            "mlops.gitops.notebook_reconcile": {"namespaces": [namespace], "argocd_namespace": namespace,
                                                "min_interval": 0}}
    res = playbook.run([task]).result(TASK)
    assert not res.get("failed"), res
    assert [(j["name"], j["changed"]) for j in res["jobs"]] == [(world.JOB_NAME, True)]
    assert res["status"]["changed"] is True
    assert [a.get("name") for a in res["status"]["applications"]] == ["platform"]
    again = playbook.run([task]).result(TASK)
    assert again["changed"] is False
    assert not any(again["requests"].get(v) for v in ("create", "patch", "delete")), again["requests"]


def test_an_empty_namespaces_list_is_named(playbook, namespace):
    """Issue 22, finding 9: namespaces: [] was answered with "name and namespace are required"."""
    task = {"name": TASK, "ignore_errors": True,
            "mlops.gitops.notebook_reconcile": {"namespaces": [], "argocd_namespace": namespace}}
    result = playbook.run([task]).result(TASK)
    assert result.get("failed") is True
    assert result["msg"].startswith("invalid options, nothing was done: namespaces is empty: name the namespaces"), \
        result["msg"]
    assert "name and namespace are required" not in result["msg"]


def test_the_former_feature_names_still_run_their_steps_with_one_deprecation_warning(api, playbook, namespace):
    """Issue 24: the features are named after their modules (notebook_wave -> wave, ...); the former plural names
    still run the same steps, under the new names, with one deprecation warning naming the setting and the new
    values; the new names run without one."""
    world.build(api, namespace)
    succeed(api, namespace)
    old = dict(reconcile_task(namespace, features=["waves", "events", "status"]), name="old")
    new = dict(reconcile_task(namespace, features="wave, event, status"), name="new")
    run = playbook.run([old, new])
    first, second = run.result("old"), run.result("new")
    assert not first.get("failed") and set(first["steps"]) == {"wave", "event", "status"}, first
    assert first["steps"]["wave"]["changed"] and first["steps"]["event"]["created"], first["steps"]
    text = json.dumps(first.get("deprecations") or [])
    assert len(first["deprecations"]) == 1, first["deprecations"]
    assert "features (notebook_controller_features in the controller): 'waves', 'events' are deprecated; set " \
        "'wave', 'event' instead" in text and "2.0.0" in text, text
    assert not second.get("failed") and set(second["steps"]) == {"wave", "event", "status"}, second
    assert not second.get("deprecations") and second["changed"] is False, second
    assert nvj.annotations(world.get_job(api, namespace))[nvj.ANN_WAVE_COMPLETE] == "3"
