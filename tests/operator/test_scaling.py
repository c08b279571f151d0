"""Growing past one controller (docs/operator.md, "Scaling"): more workers reconcile several jobs at once,
WATCH_NAMESPACE keeps a controller to its namespaces, and of two replicas with leader election only the
leader acts and the other takes over when it stops. ansible-operator binds localhost:5050 whatever its flags
say, so the second replica runs in network and mount namespaces of its own (harness/real_operator.py)."""

import pytest
from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from kubernetes import client
from harness.real_operator import AnsibleOperator, ControllerIdentity

from harness import world
from tests.operator.test_lifecycle import now, settings

# Shorter than the defaults (15 s lease, 10 s renew deadline) so the handover is quick.
LEASE = ["--leader-elect-lease-duration=6s", "--leader-elect-renew-deadline=4s"]
STANDBY = "attempting to acquire leader lease"


def second_job(api, namespace, name):
    job = world.get_job(api, namespace)
    body = {"apiVersion": nvj.API_VERSION, "kind": nvj.KIND,
            "metadata": {"name": name, "namespace": namespace, "labels": nvj.metadata(job).get("labels") or {}},
            "spec": job["spec"]}
    api.create(nvj.API_VERSION, nvj.KIND, body, namespace=namespace)


@pytest.mark.slow
def test_two_workers_run_two_jobs_at_once_and_other_namespaces_are_left_alone(start_operator, api, namespace,
                                                                                 cluster):
    core = client.CoreV1Api(cluster.api_client())
    other = namespace[:50] + "-other"
    core.create_namespace({"metadata": {"name": other}})
    try:
        world.build(api, other)  # a job the controller is not told to watch
        world.build(api, namespace)
        second_job(api, namespace, "train-model-2")
        # the Deployment's --max-concurrent-reconciles=2
        operator = start_operator(namespace, env=settings(namespace))
        for name in (world.JOB_NAME, "train-model-2"):
            operator.wait_for(lambda n=name: any(r["end"] for r in operator.run_table(n, namespace)),
                              timeout=120, what=f"a run of {name}")
        first = operator.run_table(world.JOB_NAME, namespace)[0]
        second = operator.run_table("train-model-2", namespace)[0]
        assert first["start"] < second["end"] and second["start"] < first["end"], (first, second)
        assert operator.run_table(None, other) == []
        assert nvj.ANN_NOTEBOOK_STATUS not in world.app_annotations(api, other)
    finally:
        core.delete_namespace(other)


def lease_holder(cluster, identity):
    coordination = client.CoordinationV1Api(cluster.api_client())
    return coordination.read_namespaced_lease(identity.name, identity.namespace).spec.holder_identity


def a_run_ended(operator, namespace, since=0.0):
    return any(r["end"] and r["start"] >= since for r in operator.run_table(world.JOB_NAME, namespace))


@pytest.mark.slow
def test_of_two_replicas_only_the_leader_acts_and_the_other_takes_over(cluster, tmp_path, operator_runtime, api,
                                                                       namespace):
    identity = ControllerIdentity(cluster, tmp_path / "identity").create()
    first = AnsibleOperator(cluster, tmp_path / "replica-1", namespace, env=settings(namespace), args=LEASE,
                            identity=identity)
    second = AnsibleOperator(cluster, tmp_path / "replica-2", namespace, env=settings(namespace), args=LEASE,
                             identity=identity, netns=True)
    try:
        first.start()
        leader = lease_holder(cluster, identity)
        second.start(until=STANDBY)  # it waits for the Lease, its workers do not start
        world.build(api, namespace)
        first.wait_for(lambda: a_run_ended(first, namespace), timeout=120, what="a run on the leader")
        first.wait_for(lambda: len(first.runs(world.JOB_NAME, namespace)) >= 2, timeout=60,
                       what="the leader's requeued run")
        assert second.runs() == [], "the standby replica ran a reconcile"
        assert "Starting workers" not in second.log_text()
        assert lease_holder(cluster, identity) == leader

        first.stop()  # the Lease is not released: the standby takes it when it expires
        stopped = first.log_path.stat().st_mtime
        second.wait_for(lambda: "Starting workers" in second.log_text(), timeout=60, what="the standby's takeover")
        assert lease_holder(cluster, identity) not in (None, leader)
        world.set_phase(api, namespace, world.JOB_NAME, "Succeeded", started=now(-60), completed=now())
        second.wait_for(lambda: a_run_ended(second, namespace, since=stopped), timeout=120,
                        what="a run on the new leader")
        second.wait_for(lambda: nvj.annotations(api.get(nvj.API_VERSION, nvj.KIND, world.JOB_NAME, namespace))
                        .get(nvj.ANN_WAVE_COMPLETE) == "3", timeout=60, what="the new leader's wave marker")
        assert second.errors() == [], second.errors()
    finally:
        second.stop()
        first.stop()
        identity.delete()
