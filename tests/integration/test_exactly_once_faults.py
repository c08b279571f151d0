"""Exactly once under a user's mistakes (issue 22, section 2), on the real control plane with real RBAC: what
fails after an action must not leave the action unrecorded, and a job being deleted is left alone by every step.
"""

from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from harness import rbac, world

RESTART = "- {apiVersion: apps/v1, kind: Deployment, name: model, action: restart}\n"


def restarted_at(api, namespace):
    template = api.get(*world.DEPLOY, "model", namespace)["spec"]["template"]["metadata"]
    return (template.get("annotations") or {}).get("kubectl.kubernetes.io/restartedAt")


def rules_without(*missing):
    """The controller's rights (harness/rbac.USED) as namespaced Role rules, less ``missing``."""
    out = []
    for group, resource, verb in sorted(rbac.rights(rbac.USED) - set(missing)):
        out.append({"apiGroups": [group], "resources": [resource], "verbs": [verb]})
    return out


def test_an_event_that_cannot_be_recorded_leaves_no_half_done_trigger(api, cluster, playbook, namespace, tmp_path):
    """A token without `events: create`: the restart ran, so its success is recorded on the job (not left
    `pending`, which a rerun within 120 s took for another writer's claim); the task fails naming the Event and
    the 403; a rerun restarts nothing and is not put off; once the right is there, the one Event is recorded."""
    world.create(api, world.deployment(namespace, "model", replicas=1))
    world.create(api, world.job(namespace, "train", trigger=RESTART))
    world.set_phase(api, namespace, "train", nvj.SUCCEEDED, completed=world.stamp())
    task = [{"mlops.gitops.notebook_reconcile": {"name": "train", "namespace": namespace,
                                                 "argocd_namespace": namespace, "features": ["trigger"]}}]
    with cluster.restricted(tmp_path, rules_without(("", "events", "create")), namespace,
                            name="no-events") as (_user, kubeconfig):
        env = {"K8S_AUTH_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig}
        first = playbook.run(task, env=env)
        assert first.rc != 0, first.stdout[-3000:]
        text = " ".join(first.stdout.split())
        assert "TriggerSucceeded Event was not recorded" in text and "403" in text, text[-3000:]
        assert "the triggers' outcome is recorded on the job" in text
        record = world.trigger_record(world.get_job(api, namespace, "train"))
        assert [t["result"] for t in record["targets"]] == ["succeeded"], record
        stamp = restarted_at(api, namespace)
        assert stamp == nvj.completion_time(world.get_job(api, namespace, "train"))

        record = world.trigger_record(world.get_job(api, namespace, "train"))
        assert record["targets"][0].get("event") == "missing", record  # for the next reconcile to record

        again = playbook.run(task, env=env)  # still no right: the Event is tried again, nothing else
        assert again.rc != 0 and "TriggerSucceeded Event was not recorded" in " ".join(again.stdout.split())
        assert "claimed by another writer" not in again.stdout
        assert restarted_at(api, namespace) == stamp

    # with the right back, the next reconcile records the one Event and drops the mark; then nothing more
    healed = playbook.run(task)
    assert healed.rc == 0, healed.stdout[-3000:]
    assert len(world.events(api, namespace, "TriggerSucceeded", name="train")) == 1
    assert "event" not in world.trigger_record(world.get_job(api, namespace, "train"))["targets"][0]
    assert playbook.run(task).rc == 0
    assert len(world.events(api, namespace, "TriggerSucceeded", name="train")) == 1
    assert restarted_at(api, namespace) == stamp


def test_a_job_being_deleted_fires_nothing(api, cluster, playbook, namespace):
    """One rule for every step: a job with a deletionTimestamp (a finalizer holds it) is not marked, announced
    or acted on. Before issue 22 the triggers step still restarted the Deployment."""
    world.create(api, world.deployment(namespace, "model", replicas=1))
    job = world.job(namespace, "train", wave=3, trigger=RESTART)
    job["metadata"]["finalizers"] = ["mlops.dev/test-holds-it"]
    world.create(api, job)
    world.set_phase(api, namespace, "train", nvj.SUCCEEDED, completed=world.stamp())
    api.delete(nvj.API_VERSION, nvj.KIND, "train", namespace)
    assert nvj.being_deleted(world.get_job(api, namespace, "train"))
    try:
        run = playbook.run([{"mlops.gitops.notebook_reconcile": {"name": "train", "namespace": namespace,
                                                                 "argocd_namespace": namespace}}])
        assert run.rc == 0, run.stdout[-3000:]
        held = world.get_job(api, namespace, "train")
        assert restarted_at(api, namespace) is None, "the Deployment was restarted for a job being deleted"
        assert world.trigger_record(held) is None and world.markers(held) == {}
        assert world.events(api, namespace, name="train") == []
    finally:
        api.patch(nvj.API_VERSION, nvj.KIND, "train", {"metadata": {"finalizers": None}}, namespace=namespace)
