"""What the modules and the reconcile action return, the kubernetes.core way, through real ansible-playbook
runs against the cluster: ``diff`` only in diff mode; the job ``object`` without notebook cell outputs unless
``return_cell_outputs``; an inline kubeconfig and an api_key never echoed back."""

import json

import yaml
from ansible_collections.mlops.gitops.plugins.module_utils import nvj

from harness.world import create_job, get_job, write_status

T1 = "2026-01-24T22:30:00Z"
# The Go operator's status after a run that compared against a golden notebook (CRD v1alpha1 fields).
PRINTED = "loss=0.0123\n" * 200
CELL_STATUS = {
    "phase": "Succeeded",
    "startTime": "2026-01-24T22:00:00Z",
    "completionTime": T1,
    "message": "all cells ran",
    "results": [
        {"cellIndex": 0, "status": "Success", "executionTime": "1.2s", "output": PRINTED},
        {"cellIndex": 1, "status": "Failure", "errorMessage": "AssertionError", "output": "Traceback ..."},
    ],
    "comparisonResult": {
        "strategy": "normalized", "result": "failed", "totalCells": 2, "matchedCells": 1, "mismatchedCells": 1,
        "diffs": [{"cellIndex": 1, "cellType": "code", "diffType": "output_mismatch", "severity": "major",
                   "actual": "0.93", "expected": "0.95", "diff": "-0.95\n+0.93"}],
    },
}


def finished_job(api, namespace, name):
    create_job(api, namespace, name)
    write_status(api, namespace, name, CELL_STATUS)


def test_diff_only_in_diff_mode_for_modules_and_the_reconcile(playbook, api, namespace):
    finished_job(api, namespace, "train")
    wave = {"mlops.gitops.notebook_wave": {"name": "train", "namespace": namespace}}
    reconcile = {"mlops.gitops.notebook_reconcile": {
        "name": "train", "namespace": namespace, "argocd_namespace": namespace, "features": ["wave", "event"]}}
    tasks = [dict(wave, name="wave"), dict(reconcile, name="reconcile")]

    plain = playbook.run(tasks, check=True)
    assert plain.rc == 0, plain.stdout[-3000:] + plain.stderr[-3000:]
    assert plain.result("wave")["changed"] is True and "diff" not in plain.result("wave")
    assert plain.result("reconcile")["changed"] is True and "diff" not in plain.result("reconcile")
    assert all("diff" not in step for step in plain.result("reconcile")["steps"].values())

    shown = playbook.run(tasks, check=True, diff=True)
    assert shown.result("wave")["diff"]["after"]["annotations"][nvj.ANN_WAVE_COMPLETE] == "3"
    assert {d["before_header"].split()[-2] for d in shown.result("reconcile")["diff"]} == {"wave", "event"}
    assert shown.result("reconcile")["steps"]["wave"]["diff"]["after"]["annotations"][nvj.ANN_WAVE_COMPLETE] == "3"
    assert nvj.annotations(get_job(api, namespace, "train")).get(nvj.ANN_WAVE_COMPLETE) is None  # check mode


def test_job_object_without_cell_outputs_unless_asked(playbook, api, namespace):
    finished_job(api, namespace, "trimmed")
    finished_job(api, namespace, "whole")
    run = playbook.run([
        {"name": "trimmed", "mlops.gitops.notebook_wave": {"name": "trimmed", "namespace": namespace}},
        {"name": "whole", "mlops.gitops.notebook_wave": {
            "name": "whole", "namespace": namespace, "return_cell_outputs": True}},
    ])
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]

    trimmed = run.result("trimmed")["object"]
    assert nvj.annotations(trimmed)[nvj.ANN_WAVE_COMPLETE] == "3"  # the job after the patch
    assert trimmed["status"]["results"] == [
        {"cellIndex": 0, "status": "Success", "executionTime": "1.2s"},
        {"cellIndex": 1, "status": "Failure", "errorMessage": "AssertionError"},
    ]
    diff = trimmed["status"]["comparisonResult"]["diffs"][0]
    assert diff == {"cellIndex": 1, "cellType": "code", "diffType": "output_mismatch", "severity": "major"}
    assert trimmed["status"]["comparisonResult"]["mismatchedCells"] == 1
    assert trimmed["spec"] == get_job(api, namespace, "trimmed")["spec"]
    assert "loss=0.0123" not in json.dumps(run.result("trimmed"))

    whole = run.result("whole")["object"]
    assert whole["status"]["results"] == CELL_STATUS["results"]
    assert whole["status"]["comparisonResult"]["diffs"] == CELL_STATUS["comparisonResult"]["diffs"]
    # The job on the server keeps its outputs either way: only what the task returns is trimmed.
    assert get_job(api, namespace, "trimmed")["status"]["results"][0]["output"] == PRINTED


def test_inline_kubeconfig_and_api_key_never_echoed(playbook, cluster, api, namespace):
    finished_job(api, namespace, "train")
    with open(cluster.kubeconfig) as handle:
        inline = yaml.safe_load(handle)
    user = inline["users"][0]["user"]
    token = user["token"]
    server = inline["clusters"][0]["cluster"]
    by_key = {"api_key": token, "host": server["server"], "ca_cert": server["certificate-authority"]}
    tasks = [
        {"name": "inline", "mlops.gitops.notebook_wave": {"name": "train", "namespace": namespace,
                                                          "kubeconfig": inline}},
        {"name": "api_key", "mlops.gitops.notebook_event": dict(by_key, name="train", namespace=namespace,
                                                                 argocd_namespace=namespace)},
        {"name": "action inline", "mlops.gitops.notebook_reconcile": {
            "name": "train", "namespace": namespace, "argocd_namespace": namespace, "features": ["wave"],
            "kubeconfig": inline}},
        {"name": "action api_key", "mlops.gitops.notebook_reconcile": dict(
            by_key, name="nope", namespace=namespace, argocd_namespace=namespace)},
    ]
    run = playbook.run(tasks, diff=True, env={"K8S_AUTH_KUBECONFIG": "", "KUBECONFIG": ""})
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert token not in run.stdout and token not in run.stderr
    inline_result = run.result("inline")
    assert inline_result["changed"] is True and inline_result["markers"][nvj.ANN_WAVE_COMPLETE] == "3"
    assert inline_result["invocation"]["module_args"]["kubeconfig"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    # Only the kubeconfig's secrets are masked in the result, not each of its values (v1, default, ...).
    assert inline_result["object"]["apiVersion"] == nvj.API_VERSION == "mlops.mlops.dev/v1alpha1"
    assert inline_result["object"]["spec"] == get_job(api, namespace, "train")["spec"]
    assert run.result("api_key")["invocation"]["module_args"]["api_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert run.result("api_key")["changed"] is True and run.result("api_key")["created"] is True
    assert run.result("action inline")["steps"]["wave"]["changed"] is False  # the first task marked it
    assert run.result("action inline")["namespace"] == namespace
    assert run.result("action api_key")["deleted"] is True
    assert json.dumps(run.data).count(token) == 0
