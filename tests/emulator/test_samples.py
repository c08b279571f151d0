"""The sample objects load, are consistent with each other and with the CRDs; reset() restores a clean slate.

These use a private, unstarted Emulator so the session's shared one keeps no sample objects.
"""

from pathlib import Path

import yaml

from kube_emulator import Emulator

DATA = Path(__file__).resolve().parents[1] / "data"
PHASES = ["Initializing", "Building", "BuildComplete", "ValidationRunning", "Succeeded", "Failed", "Pending",
          "Running"]
NS = "self-healing-platform"


def _loaded():
    emu = Emulator(crd_dirs=[DATA / "crds"])
    emu.load([DATA / "samples"])
    return emu


def _items(emu, api_version, kind, namespace):
    rtype = emu.registry.by_kind(api_version, kind)
    return [obj for _, obj in emu.api.iter_matching(rtype, namespace, None, None)]


def test_crd_phase_enum_matches_the_operator():
    crd = yaml.safe_load((DATA / "crds" / "notebookvalidationjobs.mlops.mlops.dev.yaml").read_text())
    version = crd["spec"]["versions"][0]
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
    assert status["phase"]["enum"] == PHASES
    assert {"message", "startTime", "completionTime", "retryCount", "validationPodName", "conditions",
            "results"} <= set(status)
    assert version["subresources"] == {"status": {}}


def test_application_crd_has_no_status_subresource():
    crd = yaml.safe_load((DATA / "crds" / "applications.argoproj.io.yaml").read_text())
    assert "subresources" not in crd["spec"]["versions"][0]


def test_every_phase_has_a_sample_with_full_status():
    jobs = _items(_loaded(), "mlops.mlops.dev/v1alpha1", "NotebookValidationJob", NS)
    assert {j["status"]["phase"] for j in jobs} == set(PHASES)
    for job in jobs:
        status = job["status"]
        assert status["message"] and status["startTime"] and "retryCount" in status
        if status["phase"] in ("Succeeded", "Failed"):
            assert status["completionTime"] and status["results"]
    (failed,) = [j for j in jobs if j["status"]["phase"] == "Failed"]
    assert failed["status"]["message"] == "ModuleNotFoundError: No module named 'kserve_wrapper'"
    assert failed["status"]["retryCount"] == 3


def test_end_to_end_job_matches_the_adr():
    emu = _loaded()
    job = emu.get("mlops.mlops.dev/v1alpha1", "NotebookValidationJob", "predictive-analytics-kserve-validation", NS)
    ann = job["metadata"]["annotations"]
    assert ann["argocd.argoproj.io/sync-wave"] == "3" and ann["mlops.dev/block-wave"] == "4"
    assert ann["argocd.argoproj.io/tracking-id"] == (
        "self-healing-platform:mlops.mlops.dev/NotebookValidationJob:"
        "self-healing-platform/predictive-analytics-kserve-validation")
    (trigger,) = yaml.safe_load(ann["mlops.dev/on-success-trigger"])
    assert trigger == {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                       "name": "predictive-analytics", "namespace": NS, "action": "restart"}
    assert emu.get(trigger["apiVersion"], trigger["kind"], trigger["name"], trigger["namespace"])


def test_inference_service_with_predictor_pods_and_deployment():
    emu = _loaded()
    isvc = emu.get("serving.kserve.io/v1beta1", "InferenceService", "predictive-analytics", NS)
    pods = [p for p in _items(emu, "v1", "Pod", NS)
            if p["metadata"]["labels"].get("serving.kserve.io/inferenceservice") == "predictive-analytics"]
    assert len(pods) == 2 and all(p["status"]["phase"] == "Running" for p in pods)
    deployment = emu.get("apps/v1", "Deployment", "predictive-analytics-predictor", NS)
    assert deployment["metadata"]["ownerReferences"][0]["uid"] == isvc["metadata"]["uid"]


def test_argocd_side():
    emu = _loaded()
    app = emu.get("argoproj.io/v1alpha1", "Application", "self-healing-platform", "argocd")
    assert app["spec"]["destination"]["namespace"] == NS and app["status"]["health"]["status"] == "Healthy"
    for name in ("argocd-cm", "argocd-notifications-cm"):
        assert emu.get("v1", "ConfigMap", name, "argocd")["data"]


def test_reset_keeps_crds_and_base_namespaces_only():
    emu = _loaded()
    emu.inject_fault(code=500)
    emu.record({"verb": "get"})
    emu.reset()
    namespaces = sorted(o["metadata"]["name"] for o in _items(emu, "v1", "Namespace", None))
    assert namespaces == ["default", "kube-public", "kube-system"]
    assert emu.registry.by_kind("mlops.mlops.dev/v1alpha1", "NotebookValidationJob") is not None
    assert _items(emu, "mlops.mlops.dev/v1alpha1", "NotebookValidationJob", None) == []
    assert emu.request_log == [] and emu.faults.active() == []
