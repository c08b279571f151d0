"""Objects for the benchmarks: an Argo CD Application, an InferenceService with predictor pods, and
NotebookValidationJobs that succeeded, optionally carrying ~20 KB of cell output in status.results;
and how they reach the local control plane (``tests/support/cluster.TestCluster``).

Every object satisfies the CRD schemas the cluster serves (the NotebookValidationJob's required
``spec.podConfig`` included). The API server sets ``creationTimestamp`` itself, so a job whose restart
trigger must delete the predictor pods completes after they were created (``controller_world``).
"""

import concurrent.futures
import datetime
import sys
import time
from pathlib import Path

from ansible_collections.mlops.gitops.plugins.module_utils import nvj

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # tests.support.cluster

APP = ("argoproj.io/v1alpha1", "Application")
ISVC = ("serving.kserve.io/v1beta1", "InferenceService")
APP_NAME = "platform"
ISVC_NAME = "predictor"
JOB_NAME = "train-model"
ISVC_LABEL = "serving.kserve.io/inferenceservice"
TRIGGER = "- {apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, name: predictor, action: restart}\n"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
EPOCH = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.UTC)


def stamp(moment):
    return nvj.rfc3339(moment)


def application(namespace, name=APP_NAME):
    return {
        "apiVersion": APP[0], "kind": APP[1],
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"project": "default",
                 "destination": {"namespace": namespace, "server": "https://kubernetes.default.svc"},
                 "source": {"repoURL": "https://example.invalid/repo", "path": "k8s", "targetRevision": "main"}},
    }


def inference_service(namespace):
    return {
        "apiVersion": ISVC[0], "kind": ISVC[1],
        "metadata": {"name": ISVC_NAME, "namespace": namespace},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "pvc://models/x"}}},
    }


def pod(namespace, index):
    """A predictor pod; no scheduler runs, so it stays Pending and a delete removes it at once."""
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "{0}-predictor-{1}".format(ISVC_NAME, index), "namespace": namespace,
                     "labels": {ISVC_LABEL: ISVC_NAME}},
        "spec": {"containers": [{"name": "kserve-container", "image": "kserve/sklearnserver:v0.14.0"}]},
    }


def cell_results(total_bytes, cells=10):
    """``status.results`` whose outputs add up to about ``total_bytes`` (what notebooks print)."""
    line = "epoch {0:04d} loss=0.0417 val_loss=0.0433 lr=1e-3 |" + "#" * 40 + "\n"
    per_cell = max(1, total_bytes // cells)
    out = []
    for index in range(cells):
        text = "".join(line.format(i) for i in range(per_cell // len(line.format(0)) + 1))[:per_cell]
        out.append({"cellIndex": index, "status": "Success", "executionTime": "1.2s", "output": text})
    return out


def job(namespace, name=JOB_NAME, phase="Succeeded", completed=EPOCH, trigger=TRIGGER, output_bytes=0,
        app_name=APP_NAME, wave="3"):
    annotations = {nvj.ANN_SYNC_WAVE: wave}
    if trigger:
        annotations[nvj.ANN_TRIGGER] = trigger
    status = {"phase": phase, "startTime": stamp(completed - datetime.timedelta(minutes=5)),
              "message": "phase " + phase, "retryCount": 0, "validationPodName": name + "-validation"}
    if phase in nvj.TERMINAL_PHASES:
        status["completionTime"] = stamp(completed)
    if output_bytes:
        status["results"] = cell_results(output_bytes)
    return {
        "apiVersion": nvj.API_VERSION, "kind": nvj.KIND,
        "metadata": {"name": name, "namespace": namespace, "labels": {nvj.LABEL_INSTANCE: app_name},
                     "annotations": annotations},
        "spec": {"notebook": {"git": {"url": "https://example.invalid/models", "ref": "main"}, "path": "train.ipynb"},
                 "podConfig": {"containerImage": "quay.io/jupyter/scipy-notebook:2024-10-07"}},
        "status": status,
    }


def direct(cluster):
    """The same cluster without the recording proxy (the admin token straight to kube-apiserver), for
    what is timed: the proxy is a Python hop no real cluster has. Its ``load``/``get`` work the same."""
    from tests.support.cluster import TestCluster

    if cluster.local is None:
        return cluster
    return TestCluster(cluster.local.token_kubeconfig)


def create_namespace(cluster, namespace, service_account=False, timeout=30):
    """Create ``namespace``; with ``service_account``, wait until kube-controller-manager has made its
    ``default`` ServiceAccount, without which the API server admits no pod there."""
    cluster.load({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    deadline = time.monotonic() + timeout
    while service_account and cluster.get("v1", "ServiceAccount", "default", namespace) is None:
        if time.monotonic() > deadline:
            raise TimeoutError("no default ServiceAccount in namespace {0} after {1} s".format(namespace, timeout))
        time.sleep(0.05)


def load_many(cluster, objs, threads=8):
    """``cluster.load`` of many objects (each: create, then its status through the subresource), from a
    few threads: one at a time, 10,000 jobs would take most of the run."""
    objs = list(objs)
    if objs:
        cluster.load(objs[:1])  # resolves the resource once, before the threads share the client
    chunks = [objs[i:i + 50] for i in range(1, len(objs), 50)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in pool.map(cluster.load, chunks):
            pass


def controller_world(cluster, namespace):
    """One succeeded job whose trigger restarts an InferenceService with two pods, and its Application.
    The server stamps the pods' ``creationTimestamp`` (whole seconds); the restart deletes only pods
    created before the completion, so the job completes the second after the newer pod was created."""
    create_namespace(cluster, namespace, service_account=True)
    created = cluster.load([application(namespace), inference_service(namespace), pod(namespace, 0),
                            pod(namespace, 1)])
    newest = max(nvj.parse_time(o["metadata"]["creationTimestamp"]) for o in created if o["kind"] == "Pod")
    completed = newest + datetime.timedelta(seconds=1)
    wait = (completed - datetime.datetime.now(datetime.UTC)).total_seconds()
    if wait > 0:
        time.sleep(wait)
    cluster.load(job(namespace, completed=completed))


def by_verb(log):
    """``{verb: count}`` of a slice of the recording proxy's request log."""
    out = {}
    for entry in log:
        out[entry["verb"]] = out.get(entry["verb"], 0) + 1
    return out


def writes(log):
    return [entry for entry in log if (entry.get("method") or "").upper() in WRITE_METHODS]
