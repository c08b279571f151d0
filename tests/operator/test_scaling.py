"""Growing past one controller (docs/operator.md, "Scaling"): more workers reconcile several jobs at once,
and WATCH_NAMESPACE keeps a controller to its namespaces. Leader election between two replicas cannot be
run on one machine: ansible-operator binds localhost:8888 and :5050 whatever its flags say."""

import pytest
from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from kubernetes import client

from tests.support import world
from tests.operator.test_lifecycle import settings


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
