"""The collection against the real Argo CD (``argocd`` fixture: its application controller, repo server and
notifications controller, built from github.com/argoproj/argo-cd/v3; see harness/argocd_local.py).

Argo CD syncs Applications from local git repositories (``world.GitOpsRepository``). What is still played:
the Go NotebookValidationJob operator (its status writes, ``world.set_phase``/``world.complete``), which the
module proxy does not serve. Everything Argo CD does here, it does itself: these tests only read what its
controller wrote.
"""

import json
import os
import secrets
import subprocess
import sys
import time

import pytest

from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from harness import world
from harness.argocd import SlackReceiver, history, operation_phase

pytestmark = pytest.mark.slow

CONFIGMAP = ("v1", "ConfigMap")


def install_health_check(playbook, argocd):
    """The collection's role writes its check into argocd-cm while Argo CD runs (no restart)."""
    run = playbook.run(None, roles=[{"role": "mlops.gitops.argocd_health_check",
                                     "vars": {"argocd_health_check_namespace": argocd.namespace}}])
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]


def config_map(namespace, name, wave=None, data=None):
    meta = {"name": name, "namespace": namespace}
    if wave is not None:
        meta["annotations"] = {nvj.ANN_SYNC_WAVE: str(wave)}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": dict(data or {"model": "v1"})}


@pytest.fixture
def gitops(api, argocd, tmp_path):
    """``gitops(name, files, **application)`` → (repository, Application name): a git repository with
    ``files`` committed and an Application in Argo CD's namespace syncing it; deleted after the test."""
    made = []

    def make(name, files, **options):
        repo = world.GitOpsRepository(tmp_path / f"repo-{name}")
        repo.commit(files, "first revision")
        app_name = f"{name}-{secrets.token_hex(3)}"
        made.append(app_name)
        world.create(api, world.gitops_application(argocd.namespace, app_name, repo, **options))
        return repo, app_name

    yield make
    for name in made:
        api.delete(*world.APP, name, argocd.namespace)


# -- the health check gates a real sync wave ----------------------------------------------------------------
def test_the_health_check_holds_the_next_wave_until_the_job_succeeded(api, playbook, argocd, gitops, namespace):
    install_health_check(playbook, argocd)
    job = world.job(namespace, "train", wave=0)
    after = config_map(namespace, "serving-config", wave=1)
    repo, app = gitops("waves", {"job.yaml": job, "serving.yaml": after}, automated=True, destination=namespace)

    # Argo CD applied wave 0 and waits: the job has no status yet, so the check says Progressing
    argocd.wait(api, app, "the job of wave 0 applied", lambda a: world.get_job(api, namespace, "train") is not None)
    held = argocd.wait(api, app, "the sync operation waiting on the job's health", lambda a: "waiting for healthy "
                       "state of mlops.mlops.dev/NotebookValidationJob/train" in
                       ((a.get("status") or {}).get("operationState") or {}).get("message", ""))
    assert operation_phase(held) == "Running"
    for phase in world.PHASES:  # the Go operator reports progress: the wave stays held
        world.set_phase(api, namespace, "train", phase)
    time.sleep(3)  # Argo CD reacts to each status write within about a second (research: ~0.6 s)
    assert api.get(*CONFIGMAP, "serving-config", namespace) is None, "wave 1 applied while the job was running"
    assert operation_phase(argocd.application(api, app)) == "Running"

    completed = time.monotonic()
    world.complete(api, namespace, "train", world.status("train", nvj.SUCCEEDED, completed=world.stamp()))
    argocd.wait(api, app, "wave 1 applied", lambda a: api.get(*CONFIGMAP, "serving-config", namespace) is not None)
    released = time.monotonic() - completed
    done = argocd.wait(api, app, "the sync operation Succeeded, the Application Synced and Healthy", lambda a: (
        operation_phase(a) == "Succeeded" and a["status"]["sync"]["status"] == "Synced"
        and a["status"]["health"]["status"] == "Healthy"))
    assert [(r["kind"], r["status"]) for r in done["status"]["resources"]] == [("ConfigMap", "Synced"),
                                                                                (nvj.KIND, "Synced")]
    print(f"wave 1 applied {released:.1f} s after the job's Succeeded status write")


def test_a_failed_job_fails_the_sync_and_its_message_shows_on_the_resource(api, playbook, argocd, gitops,
                                                                           namespace):
    """Argo CD gives an automated sync ``retry {limit: 5}`` unless the Application sets its own retry; a user who
    wants a failed notebook to end the sync at once sets ``retry.limit: 0`` (docs/sync-waves.md)."""
    install_health_check(playbook, argocd)
    job = world.job(namespace, "train", wave=0)
    after = config_map(namespace, "serving-config", wave=1)
    _repo, app = gitops("failed", {"job.yaml": job, "serving.yaml": after}, automated=True, destination=namespace,
                        retry={"limit": 0})
    argocd.wait(api, app, "the job of wave 0 applied", lambda a: world.get_job(api, namespace, "train") is not None)
    world.complete(api, namespace, "train", world.status("train", nvj.FAILED, completed=world.stamp(),
                                                         message="Cell 2 failed: ValueError: input contains NaN"))
    failed_at = time.monotonic()
    failed = argocd.wait(api, app, "the sync operation Failed", lambda a: operation_phase(a) in ("Failed", "Error"),
                         timeout=120)
    print(f"sync operation ended {failed['status']['operationState']['phase']} {time.monotonic() - failed_at:.1f} s "
          f"after the Failed status write: {failed['status']['operationState']['message']!r}")
    assert api.get(*CONFIGMAP, "serving-config", namespace) is None, "wave 1 applied after a failed job"
    assert failed["status"]["health"]["status"] == "Degraded"
    # Argo CD 3 keeps per-resource health out of status.resources (it is in the resource tree, in Redis): the
    # job's own message is in the operation's result for the job
    [result] = [r for r in failed["status"]["operationState"]["syncResult"]["resources"] if r["kind"] == nvj.KIND]
    assert "input contains NaN" in result["message"], result
    assert "health" not in [r for r in failed["status"]["resources"] if r["kind"] == nvj.KIND][0]


# -- the sync trigger: Argo CD executes the operation the collection writes ---------------------------------
def test_the_sync_trigger_is_executed_by_argo_cd_once_per_completion(api, playbook, argocd, gitops, namespace):
    # the job deploys with its Application (a manual sync policy: only the trigger syncs the next revision)
    repo_files = {"job.yaml": world.job(namespace, "train")}
    repo, app = gitops("sync", repo_files, destination=namespace, sync_options=["ApplyOutOfSyncOnly=false"])
    trigger = "- {apiVersion: argoproj.io/v1alpha1, kind: Application, name: %s, action: sync}\n" % app
    repo.commit({"job.yaml": world.job(namespace, "train", trigger=trigger)}, "the job syncs its Application")
    argocd.sync(api, app)  # the first deployment, as `argocd app sync` starts it
    first = argocd.wait(api, app, "the first sync Succeeded", lambda a: operation_phase(a) == "Succeeded"
                        and len(history(a)) == 1)
    assert world.get_job(api, namespace, "train") is not None

    # the notebook trains a new model; its revision lands in git, then the job succeeds
    revision = repo.commit({"model.yaml": config_map(namespace, "model", data={"model": "v2"})}, "model v2")
    world.complete(api, namespace, "train", world.status("train", nvj.SUCCEEDED, completed=world.stamp()))
    run = playbook.run([{"mlops.gitops.notebook_reconcile": {"name": "train", "namespace": namespace,
                                                             "argocd_namespace": argocd.namespace}}])
    assert run.rc == 0, run.stdout[-3000:]
    synced = argocd.wait(api, app, "the trigger's sync Succeeded at the new revision",
                         lambda a: len(history(a)) == 2 and operation_phase(a) == "Succeeded")
    assert history(synced)[-1]["revision"] == revision
    assert synced["status"]["sync"]["status"] == "Synced" and synced["status"]["sync"]["revision"] == revision
    assert api.get(*CONFIGMAP, "model", namespace)["data"] == {"model": "v2"}
    operation = synced["status"]["operationState"]["operation"]
    assert operation["initiatedBy"].get("username") == "mlops-gitops", operation["initiatedBy"]
    assert "ApplyOutOfSyncOnly=false" in (operation["sync"].get("syncOptions") or []), operation
    record = world.trigger_record(world.get_job(api, namespace, "train"))
    assert [t["result"] for t in record["targets"]] == ["succeeded"], record

    # a reconcile with a misspelt argocd_namespace (issue 22) neither fails, refuses nor fires the target that
    # fired, nor touches its record; the right one again starts no second sync: one sync per completion
    before = world.get_job(api, namespace, "train")
    misspelt = playbook.run([{"mlops.gitops.notebook_reconcile": {
        "name": "train", "namespace": namespace, "argocd_namespace": argocd.namespace[:-1]}}])
    assert misspelt.rc == 0, misspelt.stdout[-3000:]
    after = world.get_job(api, namespace, "train")
    assert world.trigger_record(after) == world.trigger_record(before)
    assert {k: v for k, v in nvj.annotations(after).items() if k.startswith("mlops.dev/triggers-")} == {
        "mlops.dev/triggers-sync-succeeded": "1"}
    assert [e["reason"] for e in world.events(api, namespace, name="train") if e["reason"].startswith("Trigger")] \
        == ["TriggerSucceeded"]
    again = playbook.run([{"mlops.gitops.notebook_reconcile": {"name": "train", "namespace": namespace,
                                                               "argocd_namespace": argocd.namespace}}])
    assert again.rc == 0
    time.sleep(5)
    assert len(history(argocd.application(api, app))) == 2
    assert history(first)[0]["revision"] != revision


# -- the refresh trigger: Argo CD consumes the annotation --------------------------------------------------
@pytest.mark.parametrize("kind", ["normal", "hard"])
def test_the_refresh_trigger_is_consumed_by_argo_cd(api, playbook, argocd, gitops, namespace, kind):
    repo, app = gitops("refresh", {"job.yaml": world.job(namespace, "train")}, destination=namespace)
    trigger = ("- {apiVersion: argoproj.io/v1alpha1, kind: Application, name: %s, action: refresh, mode: %s}\n"
               % (app, kind))
    repo.commit({"job.yaml": world.job(namespace, "train", trigger=trigger)}, "the job refreshes its Application")
    argocd.sync(api, app)
    before = argocd.wait(api, app, "the first sync Succeeded", lambda a: operation_phase(a) == "Succeeded"
                         and a["status"].get("reconciledAt"))
    revision = repo.commit({"model.yaml": config_map(namespace, "model")}, "model v2")
    time.sleep(1.1)  # reconciledAt has whole seconds
    world.complete(api, namespace, "train", world.status("train", nvj.SUCCEEDED, completed=world.stamp()))
    run = playbook.run([{"mlops.gitops.notebook_reconcile": {"name": "train", "namespace": namespace,
                                                             "argocd_namespace": argocd.namespace}}])
    assert run.rc == 0, run.stdout[-3000:]
    after = argocd.wait(api, app, "the refresh consumed and the new revision seen", lambda a: (
        "argocd.argoproj.io/refresh" not in (a["metadata"].get("annotations") or {})
        and a["status"].get("reconciledAt", "") > before["status"]["reconciledAt"]
        and a["status"]["sync"].get("revision") == revision))
    assert after["status"]["sync"]["status"] == "OutOfSync"  # refresh compares; it does not sync
    assert len(history(after)) == 1


# -- notifications: the real notifications controller with the role's triggers and templates ---------------


@pytest.fixture
def slack(api, argocd, playbook):
    """Argo CD's own catalog of triggers and templates, then the role's installed beside them, and Argo CD's Slack
    service pointed at a receiver."""
    if argocd.local is not None:
        from harness.argocd_local import notifications_catalog

        api.patch(*CONFIGMAP, "argocd-notifications-cm", {"data": notifications_catalog()},
                  namespace=argocd.namespace)
    run = playbook.run(None, roles=[{"role": "mlops.gitops.argocd_notifications",
                                     "vars": {"argocd_notifications_namespace": argocd.namespace}}])
    assert run.rc == 0, run.stdout[-3000:]
    receiver = SlackReceiver()
    service = f"apiURL: {receiver.url}\ntoken: xoxb-mlops-tests\n"
    api.patch(*CONFIGMAP, "argocd-notifications-cm", {"data": {"service.slack": service}}, namespace=argocd.namespace)
    yield receiver
    api.patch(*CONFIGMAP, "argocd-notifications-cm", {"data": {"service.slack": None}}, namespace=argocd.namespace)
    receiver.close()


def test_the_notifications_controller_sends_one_message_per_completion(api, playbook, argocd, gitops, slack,
                                                                        namespace):
    repo, app = gitops("notify", {"job.yaml": world.job(namespace, "train")}, automated=True, destination=namespace)
    api.patch(*world.APP, app, {"metadata": {"annotations": {
        "notifications.argoproj.io/subscribe.on-notebook-validation-succeeded.slack": "ml-team",
        "notifications.argoproj.io/subscribe.on-notebook-validation-failed.slack": "ml-team",
        "notifications.argoproj.io/subscribe.on-sync-succeeded.slack": "deploys"}}},
        namespace=argocd.namespace)
    argocd.wait(api, app, "the job deployed", lambda a: world.get_job(api, namespace, "train") is not None)
    # Argo CD's own trigger still fires beside the role's: its sync of the job
    [deployed] = world.wait_for("Argo CD's on-sync-succeeded message", lambda: slack.posts("deploys"))
    assert f"Application {app} has been successfully synced" in deployed["text"], deployed
    reconcile = [{"mlops.gitops.notebook_reconcile": {"name": "train", "namespace": namespace,
                                                      "argocd_namespace": argocd.namespace, "min_interval": 0}}]

    world.complete(api, namespace, "train", world.status("train", nvj.SUCCEEDED, completed=world.stamp()))
    assert playbook.run(reconcile).rc == 0
    [message] = world.wait_for("the success message", lambda: slack.posts("ml-team"))
    assert message["channel"] == "ml-team"
    assert message["text"].startswith(f":white_check_mark: All notebook validations of application {app} "
                                      "succeeded: 1/1 succeeded"), message["text"]
    attachment = json.loads(message["attachments"])[0]
    assert attachment["title"] == f"Notebook validation succeeded: {app}", attachment
    assert {f["title"]: f["value"] for f in attachment["fields"]}["Summary"] == "1/1 succeeded (100.0% success rate)"

    # a later reconcile and Argo CD's own resyncs send nothing more for the same completion
    assert playbook.run(reconcile).rc == 0
    time.sleep(8)
    assert len(slack.posts("ml-team")) == 1, slack.posts("ml-team")

    # the job runs again and fails: one failure message
    rerun = world.stamp()
    world.set_phase(api, namespace, "train", "ValidationRunning", started=rerun)
    assert playbook.run(reconcile).rc == 0
    time.sleep(1)  # a completion time after the re-run's start, in whole seconds
    world.complete(api, namespace, "train", world.status("train", nvj.FAILED, started=rerun,
                                                         completed=world.stamp(), message="Cell 2 failed"))
    assert playbook.run(reconcile).rc == 0
    world.wait_for("the failure message", lambda: len(slack.posts("ml-team")) == 2)
    failure = slack.posts("ml-team")[1]
    assert failure["text"].startswith(f":x: Notebook validation failed in application {app}: 1 failed"), failure
    time.sleep(5)
    assert len(slack.posts("ml-team")) == 2, slack.posts("ml-team")
    notified = argocd.application(api, app)["metadata"]["annotations"]
    assert "notified.notifications.argoproj.io" in notified


# -- a sync trigger while Argo CD runs an operation: it waits and clobbers nothing ---------------------------
def test_a_sync_trigger_during_a_running_operation_waits_for_it(api, playbook, argocd, gitops, namespace):
    install_health_check(playbook, argocd)
    repo, app = gitops("busy", {"hold.yaml": world.job(namespace, "hold", wave=0)}, destination=namespace)
    trigger = "- {apiVersion: argoproj.io/v1alpha1, kind: Application, name: %s, action: sync}\n" % app
    repo.commit({"train.yaml": world.job(namespace, "train", wave=0, trigger=trigger),
                 "after.yaml": config_map(namespace, "after", wave=1)}, "two jobs in wave 0")
    argocd.sync(api, app)
    running = argocd.wait(api, app, "the sync held at wave 0", lambda a: operation_phase(a) == "Running" and all(
        world.get_job(api, namespace, j) is not None for j in ("train", "hold")))
    started = running["status"]["operationState"]["startedAt"]
    world.complete(api, namespace, "train", world.status("train", nvj.SUCCEEDED, completed=world.stamp()))
    task = [{"mlops.gitops.notebook_reconcile": {"name": "train", "namespace": namespace,
                                                 "argocd_namespace": argocd.namespace, "features": ["trigger"]}}]
    deferred = playbook.run(task)
    assert deferred.rc == 0, deferred.stdout[-3000:]
    record = world.trigger_record(world.get_job(api, namespace, "train"))
    assert [t["result"] for t in record["targets"]] == ["deferred"], record
    assert "a sync is running on the Application" in record["targets"][0]["message"]
    held = argocd.application(api, app)
    assert held["status"]["operationState"]["startedAt"] == started, "the running operation was replaced"
    assert (held["status"]["operationState"]["operation"]["initiatedBy"] or {}).get("username") == "mlops-tests"

    # the held job succeeds: Argo CD finishes its operation; the retried trigger then starts its own sync
    world.complete(api, namespace, "hold", world.status("hold", nvj.SUCCEEDED, completed=world.stamp()))
    argocd.wait(api, app, "the first operation Succeeded", lambda a: operation_phase(a) == "Succeeded"
                and len(history(a)) == 1)
    assert playbook.run(task).rc == 0
    synced = argocd.wait(api, app, "the trigger's sync Succeeded", lambda a: len(history(a)) == 2
                         and operation_phase(a) == "Succeeded")
    assert synced["status"]["operationState"]["operation"]["initiatedBy"]["username"] == "mlops-gitops"
    assert [t["result"] for t in world.trigger_record(world.get_job(api, namespace, "train"))["targets"]] == [
        "succeeded"]


# -- the status annotations while Argo CD writes the same Application --------------------------------------
def test_the_status_annotations_survive_argo_cds_own_writes(api, kube, playbook, argocd, gitops, namespace):
    """Argo CD writes the Application's status at every change of its jobs' health while the collection writes its
    annotations: no update is lost, and conflicts stay few (counted in the recording proxy's log)."""
    install_health_check(playbook, argocd)
    jobs = ["a", "b", "c"]
    _repo, app = gitops("status", {f"{j}.yaml": world.job(namespace, j) for j in jobs}, automated=True,
                        destination=namespace)
    argocd.wait(api, app, "the jobs deployed", lambda a: all(world.get_job(api, namespace, j) for j in jobs))
    kube.clear_log()
    writes = 0
    for phase in world.PHASES + (nvj.SUCCEEDED,):
        for j in jobs:
            world.set_phase(api, namespace, j, phase, completed=world.stamp() if phase == nvj.SUCCEEDED else None)
            run = playbook.run([{"mlops.gitops.notebook_reconcile": {
                "name": j, "namespace": namespace, "argocd_namespace": argocd.namespace, "min_interval": 0,
                "features": ["status"]}}])
            assert run.rc == 0, run.stdout[-3000:]
            writes += 1
    final = argocd.wait(api, app, "Argo CD sees every job Healthy", lambda a: a["status"]["health"]["status"]
                        == "Healthy")
    status = json.loads(final["metadata"]["annotations"][nvj.ANN_NOTEBOOK_STATUS])
    assert (status["total"], status["succeeded"], status["running"], status["failed"]) == (3, 3, 0, 0), status
    app_writes = [e for e in kube.request_log if e["resource"] == "applications" and e["verb"] == "patch"]
    conflicts = [e for e in app_writes if e.get("code") == 409]
    print(f"{len(app_writes)} patches of the Application by the collection, {len(conflicts)} answered 409 "
          f"while Argo CD wrote its status ({writes} reconciles)")
    assert len(conflicts) <= len(app_writes) // 2, "a conflict storm"


# -- the wave wait as Argo CD runs it: a Sync hook (docs/examples/wait-for-wave-hook) ------------------------
def test_argo_cd_starts_the_wait_hook_only_after_the_waited_wave_is_healthy(api, cluster, playbook, argocd, gitops,
                                                                           namespace, tmp_path):
    """The example's Sync hook (a Job in wave 4 running `ansible-playbook mlops.gitops.wait_for_wave`) beside a
    job of wave 3, synced by the real Argo CD: the hook Job is created only once the job Succeeded. Its pod cannot
    run the playbook here (no container runs; no Job controller either), so the test runs the hook's own command
    line, as the hook's ServiceAccount, at the moment Argo CD created the Job: it succeeds at once."""
    from tests.integration.test_wait_hook_example import job_command, manifests

    install_health_check(playbook, argocd)
    objs = manifests()
    example = {f"{kind.lower()}.yaml": dict(objs[kind], metadata=dict(objs[kind]["metadata"], namespace=namespace))
               for kind in ("ServiceAccount", "Role", "RoleBinding", "Job")}
    example["train.yaml"] = world.job(namespace, "train", wave=3)
    _repo, app = gitops("hook", example, automated=True, destination=namespace)
    hook = objs["Job"]["metadata"]["name"]
    argocd.wait(api, app, "the job of wave 3 applied and waited for", lambda a: "waiting for healthy state of "
                "mlops.mlops.dev/NotebookValidationJob" in (
                    (a.get("status") or {}).get("operationState") or {}).get("message", ""))
    time.sleep(2)
    assert api.get("batch/v1", "Job", hook, namespace) is None, "the wait hook started before its wave"
    world.complete(api, namespace, "train", world.status("train", nvj.SUCCEEDED, completed=world.stamp()))
    world.wait_for("Argo CD created the Sync hook Job", lambda: api.get("batch/v1", "Job", hook, namespace))
    account = objs["ServiceAccount"]["metadata"]["name"]
    kubeconfig = cluster.kubeconfig_for_token(tmp_path / "hook.kubeconfig",
                                              cluster.service_account_token(namespace, account), namespace=namespace)
    command = [arg.replace("$(NAMESPACE)", namespace) for arg in job_command()]
    command[0] = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    env = dict(cluster.env(), KUBECONFIG=kubeconfig, K8S_AUTH_KUBECONFIG=kubeconfig,
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible"), ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "1 NotebookValidationJob(s) succeeded: train" in proc.stdout
    running = argocd.application(api, app)
    assert "waiting for completion of hook batch/Job/" + hook in running["status"]["operationState"]["message"]
