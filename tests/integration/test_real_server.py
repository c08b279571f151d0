"""What only a real kube-apiserver shows, tested on the local control plane (harness/cluster.py):
the pinned release answers, Events expire (--event-ttl) and a completion is still announced once,
an unknown token is refused with 401 and a clear message, namespaces stay Terminating, and the
real ReplicaSet controller re-creates the pods a restart deletes."""

import datetime
import json
import re
import time
from pathlib import Path

import pytest
from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

from harness.crds import crd_paths
from harness import world
from tests.integration.playbook import PlaybookRunner
from harness.session import TestCluster

REPO = Path(__file__).resolve().parents[2]
TASK = "reconcile"


def pinned_release():
    gomod = (REPO / "tools" / "gobuild" / "kube" / "go.mod").read_text()
    return re.search(r"^\s*k8s\.io/kubernetes (v\S+)", gomod, re.M).group(1)


def reconcile_task(namespace):
    args = {"name": world.JOB_NAME, "namespace": namespace, "argocd_namespace": namespace, "min_interval": 0}
    return {"name": TASK, "mlops.gitops.notebook_reconcile": args, "register": "out", "ignore_errors": True}


def test_the_api_server_is_the_pinned_release(cluster):
    if cluster.local is None:
        pytest.skip("a user's cluster ($KUBECONFIG) runs whatever release it runs")
    assert cluster.local.version() == pinned_release()
    assert json.loads(cluster.local.get("/version"))["gitVersion"] == pinned_release()


@pytest.fixture(scope="module")
def short_lived_events(tmp_path_factory, cluster):
    """A second control plane whose Events live 4 seconds (kube-apiserver --event-ttl)."""
    if cluster.local is None:
        pytest.skip("starts a local control plane with a short --event-ttl")
    from harness.cluster import install_crds

    ttl_cluster = TestCluster.start(tmp_path_factory.mktemp("ttl"), event_ttl="4s")
    try:
        install_crds(ttl_cluster.kubeconfig, crd_paths())
        yield ttl_cluster
    finally:
        ttl_cluster.stop()


def test_a_completion_is_announced_once_after_its_event_expired(short_lived_events, tmp_path):
    ttl = short_lived_events
    api = KubeApi.from_auth(kubeconfig=ttl.kubeconfig)
    namespace = "ttl-" + tmp_path.name[-8:].lower().replace("_", "-")
    api.create("v1", "Namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    deadline = time.monotonic() + 30
    while api.get("v1", "ServiceAccount", "default", namespace) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    world.build(api, namespace)
    now = datetime.datetime.now(datetime.UTC)
    world.set_phase(api, namespace, world.JOB_NAME, "Succeeded",
                    started=world.stamp(now - datetime.timedelta(minutes=5)),
                    completed=world.stamp(now + datetime.timedelta(seconds=1)))
    playbook = PlaybookRunner(ttl, tmp_path)

    first = playbook.run([reconcile_task(namespace)]).result(TASK)
    assert not first.get("failed"), first
    assert first["metrics"]["completed"] == "Succeeded"
    assert len(world.events(api, namespace, "ValidationSucceeded")) == 1

    deadline = time.monotonic() + 60  # the Event's etcd lease expires after the TTL
    while world.events(api, namespace, "ValidationSucceeded"):
        assert time.monotonic() < deadline, "kube-apiserver did not expire the Event within 60 s"
        time.sleep(0.5)

    again = playbook.run([reconcile_task(namespace)]).result(TASK)
    assert not again.get("failed"), again
    assert world.events(api, namespace, "ValidationSucceeded") == [], "the completion was announced again"
    assert not again["metrics"].get("completed"), "the completion was counted again: {0}".format(again["metrics"])
    assert not again["steps"]["trigger"].get("fired")


def test_an_unknown_token_gets_401_and_a_clear_message(cluster, playbook, tmp_path):
    if cluster.local is None:
        pytest.skip("writes a kubeconfig with a made-up token for the local control plane")
    kubeconfig = cluster.kubeconfig_for_token(tmp_path / "bad.kubeconfig", "not-a-token-this-server-knows")
    task = {"name": "wave", "register": "out", "ignore_errors": True,
            "mlops.gitops.notebook_wave": {"name": "anything", "namespace": "default", "kubeconfig": kubeconfig}}
    res = playbook.run([task], env={"K8S_AUTH_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig}).result("wave")
    assert res.get("failed") is True
    assert "401" in res["msg"] and "credentials" in res["msg"], res["msg"]


def test_a_deleted_namespace_is_terminating_and_refuses_new_objects(cluster, api):
    """What a real cluster does and the uninstall/reinstall path has to live with."""
    name = "terminating-" + datetime.datetime.now().strftime("%H%M%S%f")
    api.create("v1", "Namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    api.create("v1", "ConfigMap", {"apiVersion": "v1", "kind": "ConfigMap",
                                   "metadata": {"name": "keep", "namespace": name,
                                                "finalizers": ["mlops.dev/test-hold"]}}, namespace=name)
    api.delete("v1", "Namespace", name)
    ns = api.get("v1", "Namespace", name)
    assert ns["status"]["phase"] == "Terminating"
    from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError

    with pytest.raises(KubeError) as refused:
        api.create("v1", "ConfigMap", {"apiVersion": "v1", "kind": "ConfigMap",
                                       "metadata": {"name": "new", "namespace": name}}, namespace=name)
    assert refused.value.status == 403 and "being terminated" in str(refused.value)
    api.patch("v1", "ConfigMap", "keep", {"metadata": {"finalizers": None}}, namespace=name)
    cluster.wait_gone("v1", "Namespace", name, timeout=60)


def test_the_replicaset_controller_recreates_the_pods_a_restart_deletes(api, playbook, namespace):
    """KServe's controller can't run here: a Deployment labelled as KServe labels the predictor's stands in
    for the one it would create, and the real ReplicaSet controller re-creates the pods."""
    world.build(api, namespace, pods=False)
    world.create(api, world.deployment(namespace, world.ISVC_NAME + "-predictor", replicas=2, isvc=world.ISVC_NAME))
    before = wait_for_pods(api, namespace, 2)
    now = datetime.datetime.now(datetime.UTC)
    world.set_phase(api, namespace, world.JOB_NAME, "Succeeded",
                    started=world.stamp(now - datetime.timedelta(minutes=5)),
                    completed=world.stamp(now + datetime.timedelta(seconds=1)))
    res = playbook.run([reconcile_task(namespace)]).result(TASK)
    assert not res.get("failed"), res
    assert [f["result"] for f in res["steps"]["trigger"]["fired"]] == ["succeeded"]
    after = wait_for_pods(api, namespace, 2, excluding=before)
    assert len(after) == 2 and not set(after) & set(before)
    again = playbook.run([reconcile_task(namespace)]).result(TASK)
    assert not again["steps"]["trigger"].get("fired")
    assert wait_for_pods(api, namespace, 2) == after  # the new pods serve the new model: left alone
    assert nvj.ANN_TRIGGER_STATUS in nvj.annotations(world.get_job(api, namespace))


def wait_for_pods(api, namespace, count, excluding=(), timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        pods = [p for p in world.pods(api, namespace) if p not in excluding]
        if len(pods) == count or time.monotonic() > deadline:
            return pods
        time.sleep(0.2)
