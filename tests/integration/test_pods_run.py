"""Pods that run: kube-scheduler binds them to the kwok Node and kwok takes them to Running and Ready, as a
kubelet would (harness/cluster.py, ``pods=True``). A restart trigger's roll-out then finishes for real: a new
ReplicaSet, the old pods gone, the Deployment available again. Needs the local control plane (on a user's
cluster the same test runs against its real nodes)."""

import time

import pytest

from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from harness import world

pytestmark = pytest.mark.slow


def rollout(api, namespace, name):
    """The Deployment's roll-out state: (generation observed, updated, ready, available, total replicas)."""
    obj = api.get(*world.DEPLOY, name, namespace)
    status = obj.get("status") or {}
    return {"current": status.get("observedGeneration") == obj["metadata"]["generation"],
            "updated": status.get("updatedReplicas", 0), "available": status.get("availableReplicas", 0),
            "total": status.get("replicas", 0), "wanted": obj["spec"]["replicas"]}


def finished(state):
    return state["current"] and state["updated"] == state["available"] == state["total"] == state["wanted"]




def running_pods(api, namespace):
    return sorted(p["metadata"]["name"] for p in api.list("v1", "Pod", namespace=namespace)
                  if (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp"))


def test_a_restart_triggers_roll_out_finishes_with_pods_that_run(api, playbook, namespace):
    for obj in world.model_storage(namespace):
        world.create(api, obj)
    world.create(api, world.deployment(namespace, "model", replicas=2))
    world.wait_for("the Deployment available with 2 running pods", lambda: finished(rollout(api, namespace, "model"))
         and len(running_pods(api, namespace)) == 2)
    before = running_pods(api, namespace)
    trigger = "- {apiVersion: apps/v1, kind: Deployment, name: model, action: restart}\n"
    world.create(api, world.job(namespace, "train", trigger=trigger))
    world.set_phase(api, namespace, "train", nvj.SUCCEEDED, completed=world.stamp())

    run = playbook.run([{"mlops.gitops.notebook_reconcile": {"name": "train", "namespace": namespace,
                                                             "argocd_namespace": namespace}}])
    assert run.rc == 0, run.stdout[-3000:]
    after = world.wait_for("the roll-out finished: 2 new pods running, the old ones gone", lambda: (
        finished(rollout(api, namespace, "model")) and len(running_pods(api, namespace)) == 2
        and not set(running_pods(api, namespace)) & set(before) and running_pods(api, namespace)))
    sets = list(api.list("apps/v1", "ReplicaSet", namespace=namespace))
    assert sorted(rs["spec"]["replicas"] for rs in sets) == [0, 2], "a new ReplicaSet took over"
    assert len(list(api.list("v1", "Pod", namespace=namespace))) == 2, "the old pods are deleted, not left Terminating"
    record = world.trigger_record(world.get_job(api, namespace, "train"))
    assert [t["result"] for t in record["targets"]] == ["succeeded"], record

    # a repeated reconcile restarts nothing
    again = playbook.run([{"mlops.gitops.notebook_reconcile": {"name": "train", "namespace": namespace,
                                                               "argocd_namespace": namespace}}])
    assert again.rc == 0
    time.sleep(3)
    assert running_pods(api, namespace) == after
