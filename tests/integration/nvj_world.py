"""A small world for controller tests, built in one test namespace: a parent Application, an
InferenceService with two predictor pods, and a NotebookValidationJob (wave 3) whose on-success
trigger restarts that InferenceService. Works on the local control plane and on a user's cluster (the job's
status is written through the status subresource, as the Go operator does)."""

import datetime

from ansible_collections.mlops.gitops.plugins.module_utils import nvj

APP = ("argoproj.io/v1alpha1", "Application")
ISVC = ("serving.kserve.io/v1beta1", "InferenceService")
JOB_NAME = "train-model"
ISVC_NAME = "predictor"
TRIGGER = "- {apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, name: predictor, action: restart}\n"
WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE")
# On a real cluster with KServe, its controller adds predictor pods of its own: count only the test's.
WORLD_LABEL = "mlops.dev/test-world"


def stamp(moment=None):
    return nvj.rfc3339(moment or datetime.datetime.now(datetime.UTC))


def build(api, namespace, trigger_annotation=nvj.ANN_TRIGGER, pods=True):
    """Create the objects; the Application lives in ``namespace`` too (use it as argocd_namespace).
    ``pods=False`` leaves the predictor pods to the caller (a Deployment, for example)."""
    app_name = "platform"
    api.create(*APP, {
        "apiVersion": APP[0], "kind": APP[1],
        "metadata": {"name": app_name, "namespace": namespace},
        "spec": {"project": "default", "destination": {"namespace": namespace, "server": "https://kubernetes.default.svc"},
                 "source": {"repoURL": "https://example.invalid/repo", "path": "k8s", "targetRevision": "main"}},
    }, namespace=namespace)
    api.create(*ISVC, {
        "apiVersion": ISVC[0], "kind": ISVC[1],
        "metadata": {"name": ISVC_NAME, "namespace": namespace},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "pvc://models/x"}}},
    }, namespace=namespace)
    if pods:
        create_pods(api, namespace)
    api.create(nvj.API_VERSION, nvj.KIND, {
        "apiVersion": nvj.API_VERSION, "kind": nvj.KIND,
        "metadata": {
            "name": JOB_NAME, "namespace": namespace,
            "labels": {nvj.LABEL_INSTANCE: app_name},
            "annotations": {nvj.ANN_SYNC_WAVE: "3", trigger_annotation: TRIGGER},
        },
        "spec": {"notebook": {"git": {"url": "https://example.invalid/models", "ref": "main"}, "path": "train.ipynb"},
                 "podConfig": {"containerImage": "quay.io/jupyter/scipy-notebook:2024-10-07"}},
    }, namespace=namespace)
    return app_name


def create_pods(api, namespace, count=2):
    for index in range(count):
        api.create("v1", "Pod", {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "{}-predictor-{}".format(ISVC_NAME, index), "namespace": namespace,
                         "labels": {"serving.kserve.io/inferenceservice": ISVC_NAME, WORLD_LABEL: "predictor"}},
            "spec": {"containers": [{"name": "kserve-container", "image": "kserve/sklearnserver:v0.14.0"}]},
        }, namespace=namespace)


def set_phase(api, namespace, phase, started=None, completed=None):
    """Write the job's status the way the Go operator does (status subresource)."""
    status = {"phase": phase, "startTime": started or stamp(), "message": "phase " + phase,
              "completionTime": completed, "validationPodName": JOB_NAME + "-validation"}
    return api.patch(nvj.API_VERSION, nvj.KIND, JOB_NAME, {"status": status}, namespace=namespace,
                     subresource="status")


def job(api, namespace):
    return api.get(nvj.API_VERSION, nvj.KIND, JOB_NAME, namespace)


def app_annotations(api, namespace, app_name="platform"):
    return nvj.annotations(api.get(*APP, app_name, namespace))


def pods(api, namespace):
    listed = api.list("v1", "Pod", namespace=namespace, label_selector=WORLD_LABEL)
    return sorted(nvj.metadata(p)["name"] for p in listed if not nvj.metadata(p).get("deletionTimestamp"))


def events(api, namespace, reason=None):
    listed = api.list("v1", "Event", namespace=namespace)
    found = [e for e in listed if (e.get("involvedObject") or {}).get("name") == JOB_NAME]
    return [e for e in found if reason is None or e.get("reason") == reason]


def writes(kube):
    """The write requests in the recording proxy's log (None on a user's cluster, which has no proxy)."""
    if kube is None or kube.proxy is None:
        return None
    return [r for r in kube.request_log if (r.get("method") or "").upper() in WRITE_VERBS]
