"""Contract test: the notebook_controller role run with ansible-runner exactly as ansible-operator runs it
(tools/operator_sim.py says how: watches.yaml, extravars, markUnsafe, envvars, the ansible-runner command,
the requeue read from the job events), against the test cluster.

The job goes created -> ValidationRunning -> Succeeded -> re-run -> Failed; after every step the cluster
state is checked, and a repeated reconcile must not write. The stand-in operator_sdk.util collection
records the metrics.
"""

import datetime
import json

import pytest
from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from operator_sim import Operator  # tools/, on sys.path via tests/conftest.py

from tests.integration import nvj_world as world


def now(offset=0):
    return world.stamp(datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=offset))


def assert_noop(operator, namespace, cluster):
    """A repeated reconcile of an unchanged job reads and writes nothing."""
    if cluster.emulator is not None:
        cluster.emulator.clear_log()
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0, run
    assert run["result"]["changed"] is False, run["result"]
    assert not any(run["result"]["requests"].get(v) for v in ("create", "patch", "update", "delete"))
    assert world.writes(cluster.emulator) in ([], None)
    return run


@pytest.fixture
def operator(cluster, api, tmp_path, namespace):
    return Operator(cluster, api, tmp_path, {
        "NOTEBOOK_CONTROLLER_API": "kubeconfig",  # the test cluster, not a pod's service account
        "NOTEBOOK_CONTROLLER_OPERATOR_SDK": "auto",
        "NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE": namespace,
        "NOTEBOOK_CONTROLLER_MIN_INTERVAL": "0",
    })


@pytest.mark.slow
def test_life_of_a_job(operator, api, namespace, cluster, tmp_path):
    world.build(api, namespace)
    pwned = tmp_path / "pwned"
    api.patch(nvj.API_VERSION, nvj.KIND, world.JOB_NAME, {"metadata": {"annotations": {
        "example.com/note": "{{ lookup('ansible.builtin.pipe', 'touch " + str(pwned) + "') }}"}}}, namespace=namespace)

    # created: nothing to mark; the Application counts it; unfinished, so requeued for the poll interval
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0 and not run["failures"], run
    assert run["requeue"] == "15s"
    assert not any(k.startswith("mlops.dev/wave") for k in nvj.annotations(world.job(api, namespace)))
    status = json.loads(world.app_annotations(api, namespace)[nvj.ANN_NOTEBOOK_STATUS])
    assert (status["total"], status["succeeded"], status["failed"]) == (1, 0, 0)
    assert_noop(operator, namespace, cluster)

    # ValidationRunning
    world.set_phase(api, namespace, "ValidationRunning", started=now(-300))
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0 and run["requeue"] == "15s", run
    assert world.events(api, namespace) == []
    assert_noop(operator, namespace, cluster)

    # Succeeded: marker, one Event, the trigger restarts the predictor pods once, the Application counts it
    world.set_phase(api, namespace, "Succeeded", started=now(-300), completed=now(1))
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0 and not run["failures"], run
    assert run["requeue"] is None  # finished and nothing deferred: no requeue
    annotations = nvj.annotations(world.job(api, namespace))
    assert annotations[nvj.ANN_WAVE_COMPLETE] == "3" and nvj.ANN_WAVE_FAILED not in annotations
    assert len(world.events(api, namespace, "ValidationSucceeded")) == 1
    assert world.pods(api, namespace) == []
    status = json.loads(world.app_annotations(api, namespace)[nvj.ANN_NOTEBOOK_STATUS])
    assert (status["succeeded"], status["failed"]) == (1, 0)
    names = [m["name"] for m in operator.metrics()]
    assert names == ["notebook_validation_total", "notebook_validation_duration_seconds", "argocd_triggers_total"]
    world.create_pods(api, namespace)
    assert_noop(operator, namespace, cluster)
    assert len(world.pods(api, namespace)) == 2  # fired once, not on the resync
    assert len(operator.metrics()) == 3  # and counted once

    # re-run: the markers go, so nothing waits on a stale one
    world.set_phase(api, namespace, "ValidationRunning", started=now(-10), completed=None)
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0 and run["requeue"] == "15s", run
    assert not any(k.startswith("mlops.dev/wave") for k in nvj.annotations(world.job(api, namespace)))
    assert_noop(operator, namespace, cluster)

    # Failed: failure marker, a Warning Event, no trigger, the Application counts the failure
    world.set_phase(api, namespace, "Failed", started=now(-10), completed=now(1))
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0 and run["requeue"] is None, run
    annotations = nvj.annotations(world.job(api, namespace))
    assert annotations[nvj.ANN_WAVE_FAILED] == "3" and nvj.ANN_WAVE_COMPLETE not in annotations
    assert len(world.events(api, namespace, "ValidationFailed")) == 1
    assert len(world.pods(api, namespace)) == 2
    status = json.loads(world.app_annotations(api, namespace)[nvj.ANN_NOTEBOOK_STATUS])
    assert (status["succeeded"], status["failed"]) == (0, 1)
    assert_noop(operator, namespace, cluster)

    assert not pwned.exists(), "user text in the job's annotations was templated"

    api.delete(nvj.API_VERSION, nvj.KIND, world.JOB_NAME, namespace)
    assert operator.reconcile(world.JOB_NAME, namespace) is None


def test_runs_without_operator_sdk_util(cluster, api, tmp_path, namespace):
    operator = Operator(cluster, api, tmp_path, {"NOTEBOOK_CONTROLLER_API": "kubeconfig",
                                                 "NOTEBOOK_CONTROLLER_OPERATOR_SDK": "auto",
                                                 "NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE": namespace},
                        fake_osdk=False)
    world.build(api, namespace)
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0 and not run["failures"], run
    assert run["requeue"] is None and operator.metrics() == []
    assert run["result"]["phase"] is None and not run["result"].get("failed")
