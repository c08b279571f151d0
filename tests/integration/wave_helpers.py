"""NotebookValidationJobs for the wave, event and wait tests: created in a test namespace, their status
written through the status subresource as the Go operator does (on the local control plane or a user's
cluster)."""

from ansible_collections.mlops.gitops.plugins.module_utils import nvj


def create_job(api, namespace, name, wave="3", annotations=None, labels=None):
    ann = dict(annotations or {})
    if wave is not None:
        ann[nvj.ANN_SYNC_WAVE] = wave
    body = {
        "apiVersion": nvj.API_VERSION,
        "kind": nvj.KIND,
        "metadata": {"name": name, "namespace": namespace, "annotations": ann, "labels": dict(labels or {})},
        "spec": {
            "notebook": {"git": {"url": "https://example.invalid/models", "ref": "main"}, "path": "train.ipynb"},
            "podConfig": {"containerImage": "quay.io/jupyter/scipy-notebook:2024-10-07"},
        },
    }
    return api.create(nvj.API_VERSION, nvj.KIND, body, namespace=namespace)


def set_phase(api, namespace, name, phase, completed=None, message=None, retries=0,
              started="2026-01-24T22:00:00Z"):
    status = {
        "phase": phase,
        "startTime": started,
        "completionTime": completed,
        "message": message or "phase " + phase,
        "retryCount": retries,
        "validationPodName": name + "-validation",
    }
    return api.patch(nvj.API_VERSION, nvj.KIND, name, {"status": status}, namespace=namespace, subresource="status")


def get_job(api, namespace, name):
    return api.get(nvj.API_VERSION, nvj.KIND, name, namespace)


def markers(obj):
    keys = (nvj.ANN_WAVE_COMPLETE, nvj.ANN_COMPLETION_TIME, nvj.ANN_WAVE_FAILED, nvj.ANN_FAILURE_TIME)
    return {k: v for k, v in nvj.annotations(obj).items() if k in keys}
