"""The InferenceService triggers against KServe's own controller (v0.16, RawDeployment mode; harness/kserve_local.py),
with pods that run (kube-scheduler and kwok). KServe creates the predictor Deployment from the InferenceService;
`rollout` patches the InferenceService and KServe rolls its Deployment; `restart` deletes the predictor's pods
and the ReplicaSet re-creates them. On a user's cluster ($KUBECONFIG) the KServe it runs does the same.

KServe runs for this module only (its controller acts on every InferenceService, and the other tests' predictor
Deployments are their own stand-ins); the session's InferenceService CRD is put back afterwards.
"""

import secrets
import time

import pytest
from harness.kserve_local import AUTOSCALER_NONE

from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from harness.crds import crd_paths
from harness import world

pytestmark = pytest.mark.slow
PREDICTOR = world.ISVC_NAME + "-predictor"  # the Deployment KServe creates for InferenceService "predictor"


@pytest.fixture(scope="module")
def kserve(cluster, tmp_path_factory):
    if cluster.local is None:
        yield None  # a user's cluster: its KServe
        return
    from harness.cluster import install_crds
    from harness.kserve_local import LocalKServe

    running = LocalKServe(tmp_path_factory.mktemp("kserve"), cluster.local.kubeconfig).start()
    try:
        yield running
    finally:
        running.stop()
        install_crds(cluster.kubeconfig, [p for p in crd_paths() if "inferenceservice" in p.name])




def running(api, namespace):
    return sorted(nvj.metadata(p)["name"] for p in api.list("v1", "Pod", namespace=namespace,
                                                             label_selector=f"{world.ISVC_LABEL}={world.ISVC_NAME}")
                  if (p.get("status") or {}).get("phase") == "Running" and not nvj.metadata(p).get("deletionTimestamp"))


def ready(api, namespace):
    conditions = ((api.get(*world.ISVC, world.ISVC_NAME, namespace) or {}).get("status") or {}).get("conditions")
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions or [])


@pytest.fixture
def namespace(cluster, api):
    """A short namespace: KServe names the predictor's host ``<isvc>-predictor-<namespace>.<domain>`` and refuses a
    first label over 63 characters ("invalid domain name"), which the suite's long test namespaces exceed."""
    name = "ks-" + secrets.token_hex(3)
    cluster.create_namespace(name, service_account=True)
    yield name
    api.delete("v1", "Namespace", name)


@pytest.fixture
def served(api, kserve, namespace):
    """An InferenceService KServe serves with two running predictor pods; deleted (KServe removes its finalizer)
    before KServe stops."""
    for obj in world.model_storage(namespace):
        world.create(api, obj)
    isvc = world.inference_service(namespace)
    isvc["metadata"]["annotations"] = dict(isvc["metadata"].get("annotations") or {}, **AUTOSCALER_NONE)
    world.create(api, isvc)
    world.wait_for("KServe's predictor Deployment with 2 running pods and the InferenceService Ready",
         lambda: len(running(api, namespace)) == 2 and ready(api, namespace))
    yield running(api, namespace)
    api.delete(*world.ISVC, world.ISVC_NAME, namespace)
    world.wait_for("the InferenceService deleted", lambda: api.get(*world.ISVC, world.ISVC_NAME, namespace) is None, 60)


def reconcile(playbook, namespace):
    return playbook.run([{"mlops.gitops.notebook_reconcile": {
        "name": "train", "namespace": namespace, "argocd_namespace": namespace, "features": ["trigger"]}}])


def completed_job(api, namespace, action):
    trigger = "- {apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, name: %s, action: %s}\n" % (
        world.ISVC_NAME, action)
    world.create(api, world.job(namespace, "train", trigger=trigger))
    # the completion comes after the serving pods were created (times have whole seconds): a pod created in the
    # completion's second already serves the new model, and `restart` rightly leaves it
    time.sleep(1.1)
    world.set_phase(api, namespace, "train", nvj.SUCCEEDED, completed=world.stamp())


def test_kserve_creates_the_predictor_the_tests_stand_in_for(api, served, namespace):
    """What the world's stand-in predictor Deployment copies from KServe: its name, labels and selector."""
    deployment = api.get(*world.DEPLOY, PREDICTOR, namespace)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert labels[world.ISVC_LABEL] == world.ISVC_NAME
    assert deployment["spec"]["selector"]["matchLabels"] == {"app": "isvc." + PREDICTOR}
    assert deployment["spec"]["replicas"] == 2


def test_rollout_makes_kserve_roll_the_predictor(api, playbook, served, namespace):
    before = served
    completed_job(api, namespace, "rollout")
    run = reconcile(playbook, namespace)
    assert run.rc == 0, run.stdout[-3000:]
    after = world.wait_for("KServe rolled out two new predictor pods, the old ones gone",
                 lambda: (lambda now: now if len(now) == 2 and not set(now) & set(before) else None)(
                     running(api, namespace)))
    template = api.get(*world.DEPLOY, PREDICTOR, namespace)["spec"]["template"]["metadata"]
    assert nvj.completion_time(world.get_job(api, namespace, "train")) in (template.get("annotations") or {}).values()
    record = world.trigger_record(world.get_job(api, namespace, "train"))
    assert [t["result"] for t in record["targets"]] == ["succeeded"], record
    assert reconcile(playbook, namespace).rc == 0
    time.sleep(3)
    assert running(api, namespace) == after, "a repeated reconcile rolled the predictor again"


def test_restart_deletes_the_pods_and_the_replicaset_brings_new_ones(api, playbook, served, namespace):
    before = served
    completed_job(api, namespace, "restart")
    run = reconcile(playbook, namespace)
    assert run.rc == 0, run.stdout[-3000:]
    world.wait_for("two new predictor pods running, the old ones gone",
                   lambda: len(running(api, namespace)) == 2 and not set(running(api, namespace)) & set(before))
    assert ready(api, namespace)
