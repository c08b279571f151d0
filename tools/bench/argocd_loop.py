"""Benchmark 7: the real Argo CD in the loop (harness/argocd_local.py: v3.6 application controller, repo server and
notifications controller on the local control plane).

- **Start-up**: seconds from the call to every process serving, and the resident memory of each once idle.
- **Wave release**: an automated sync holds at a NotebookValidationJob of wave 0 (the collection's health check
  says Progressing); the Go operator (played, ``world.complete``) writes ``Succeeded``; the seconds until the
  ConfigMap of wave 1 exists, i.e. Argo CD applied the next wave. ``runs`` times, one Application each.
- **Sync trigger**: a job whose on-success trigger syncs its own Application (manual sync policy) succeeds after
  a new revision was committed; the reconcile (``JobReconcile``, in-process, as the action plugin runs it)
  writes the sync operation; the seconds from that write to the Application Synced at the new revision, and how
  many syncs Argo CD recorded (``status.history``) per completion.
"""

import secrets
import statistics
import tempfile
import time
from pathlib import Path

from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi
from ansible_collections.mlops.gitops.plugins.module_utils.reconcile import FEATURES, JobReconcile, feature_modules
from harness.argocd_local import LocalArgoCD

from harness import world

RUNS = 10
HEALTH_LUA = world.HEALTH_LUA




def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(values):
    return {"n": len(values), "median": statistics.median(values), "p95": _percentile(values, 0.95),
            "max": max(values)}


def _op(app):
    return (((app or {}).get("status") or {}).get("operationState") or {})


def argocd_loop(cluster, workdir, runs=RUNS):
    api = KubeApi.from_auth(kubeconfig=cluster.local.token_kubeconfig)  # straight to kube-apiserver
    started = time.monotonic()
    argocd = LocalArgoCD(Path(workdir) / "argocd", cluster.local.kubeconfig, log=None).start()
    try:
        ready = time.monotonic() - started
        # the health check as the role installs it (argocd_health_check writes this key, byte for byte)
        api.patch("v1", "ConfigMap", "argocd-cm", {"data": {world.HEALTH_KEY: HEALTH_LUA.read_text()}},
                  namespace=argocd.namespace)
        time.sleep(5)
        idle = argocd.memory()
        with tempfile.TemporaryDirectory(prefix="gitops-", dir=workdir) as repos:
            waves = [_wave_release(api, argocd, Path(repos), i) for i in range(runs)]
            syncs = [_sync_trigger(api, argocd, Path(repos), i) for i in range(runs)]
        busy = argocd.memory()
    finally:
        argocd.stop()
    return {"version": argocd.version(), "ready": ready, "idle": idle, "busy": busy,
            "waves": summary(waves), "syncs": summary([s for s, _ in syncs]),
            "syncs_per_completion": sorted({n for _, n in syncs})}


def _namespace(api, prefix):
    name = f"{prefix}-{secrets.token_hex(3)}"
    api.create("v1", "Namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


def _wave_release(api, argocd, repos, index):
    ns = _namespace(api, "bench-wave")
    repo = world.GitOpsRepository(repos / f"wave-{index}")
    after = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "serving-config", "namespace": ns, "annotations": {nvj.ANN_SYNC_WAVE: "1"}}, "data": {"model": "v1"}}
    repo.commit({"job.yaml": world.job(ns, "train", wave=0), "serving.yaml": after})
    app = f"wave-{index}-{secrets.token_hex(2)}"
    world.create(api, world.gitops_application(argocd.namespace, app, repo, ns, automated=True))
    world.wait_for("the sync held at the job", lambda: "waiting for healthy state" in (
        _op(api.get(*world.APP, app, argocd.namespace)).get("message") or ""), timeout=120, interval=0.05)
    time.sleep(1)
    world.complete(api, ns, "train", world.status("train", nvj.SUCCEEDED, completed=world.stamp()))
    written = time.monotonic()
    world.wait_for("wave 1 applied", lambda: api.get("v1", "ConfigMap", "serving-config", ns), timeout=120,
                   interval=0.05)
    released = time.monotonic() - written
    api.delete(*world.APP, app, argocd.namespace)
    api.delete("v1", "Namespace", ns)
    return released


def _sync_trigger(api, argocd, repos, index):
    ns = _namespace(api, "bench-sync")
    repo = world.GitOpsRepository(repos / f"sync-{index}")
    app = f"sync-{index}-{secrets.token_hex(2)}"
    trigger = "- {apiVersion: argoproj.io/v1alpha1, kind: Application, name: %s, action: sync}\n" % app
    repo.commit({"job.yaml": world.job(ns, "train", trigger=trigger)})
    world.create(api, world.gitops_application(argocd.namespace, app, repo, ns))
    api.patch(*world.APP, app, {"operation": {"initiatedBy": {"username": "bench"}, "sync": {"revision": "main"}}},
              namespace=argocd.namespace)
    world.wait_for("the first sync", lambda: _op(api.get(*world.APP, app, argocd.namespace)).get(
        "phase") == "Succeeded", timeout=120)
    revision = repo.commit({"model.yaml": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "model", "namespace": ns}, "data": {"model": "v2"}}}, "model v2")
    world.complete(api, ns, "train", world.status("train", nvj.SUCCEEDED, completed=world.stamp()))
    options = {"allowed_namespaces": [], "argocd_namespace": argocd.namespace, "trigger_annotation": nvj.ANN_TRIGGER,
               "min_interval": 0}
    run = JobReconcile(api, feature_modules(), options, False)
    run.run(world.get_job(api, ns, "train"), FEATURES)
    written = time.monotonic()

    def synced():
        status = (api.get(*world.APP, app, argocd.namespace) or {}).get("status") or {}
        sync = status.get("sync") or {}
        return sync.get("status") == "Synced" and sync.get("revision") == revision and (
            status.get("operationState") or {}).get("phase") == "Succeeded"

    world.wait_for("the Application Synced", synced, timeout=120, interval=0.05)
    took = time.monotonic() - written
    # a repeated reconcile of the same completion starts no second sync
    JobReconcile(api, feature_modules(), options, False).run(world.get_job(api, ns, "train"), FEATURES)
    time.sleep(2)
    history = (api.get(*world.APP, app, argocd.namespace).get("status") or {}).get("history") or []
    api.delete(*world.APP, app, argocd.namespace)
    api.delete("v1", "Namespace", ns)
    return took, len(history) - 1  # the first sync was the deployment's
