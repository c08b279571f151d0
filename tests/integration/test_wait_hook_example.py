"""docs/examples/wait-for-wave-hook: the four manifests are objects the cluster accepts, the Job is an Argo CD
Sync hook (a PreSync one would deadlock the first sync), its Role is exactly what the wait needs, and the
Job's own command, run with only that Role's rights, waits for the wave it names."""

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

from harness.world import create_job, set_phase

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "wait-for-wave-hook"
PLAYBOOK = REPO / "playbooks" / "wait_for_wave.yml"
HOOK = "argocd.argoproj.io/hook"
WAVE = "argocd.argoproj.io/sync-wave"
DONE = "2026-01-24T22:30:00Z"


def manifests():
    docs = [doc for path in sorted(EXAMPLE.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return {doc["kind"]: doc for doc in docs}


def job_command():
    [container] = manifests()["Job"]["spec"]["template"]["spec"]["containers"]
    return container["command"] + container.get("args", [])


def extra_vars(command):
    """The ``-e key=value`` pairs of a command line."""
    pairs = [command[i + 1] for i, arg in enumerate(command) if arg in ("-e", "--extra-vars")]
    return dict(pair.split("=", 1) for pair in pairs)


def test_the_example_is_four_manifests_a_cluster_accepts(api, namespace):
    objs = manifests()
    assert sorted(objs) == ["Job", "Role", "RoleBinding", "ServiceAccount"]
    for kind in ("ServiceAccount", "Role", "RoleBinding", "Job"):  # the order Argo CD's waves apply them
        obj = objs[kind]
        assert "namespace" not in obj["metadata"], "the Application's destination namespace decides"
        api.create(obj["apiVersion"], kind, dict(obj, metadata=dict(obj["metadata"], namespace=namespace)), namespace)
        assert api.get(obj["apiVersion"], kind, obj["metadata"]["name"], namespace) is not None
    binding = objs["RoleBinding"]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "notebook-wave-wait"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "notebook-wave-wait"}]
    assert objs["Job"]["spec"]["template"]["spec"]["serviceAccountName"] == objs["ServiceAccount"]["metadata"]["name"]


def test_the_job_is_a_sync_hook_in_a_wave_after_the_jobs_it_waits_for():
    objs = manifests()
    job = objs["Job"]["metadata"]["annotations"]
    assert job[HOOK] == "Sync"
    hook_wave = int(job[WAVE])
    waited = int(extra_vars(job_command())["wave"])
    assert waited < hook_wave
    # Its ServiceAccount and RBAC are plain resources of an earlier wave, there before the hook runs.
    for kind in ("ServiceAccount", "Role", "RoleBinding"):
        assert HOOK not in objs[kind]["metadata"].get("annotations", {})
        assert int(objs[kind]["metadata"]["annotations"][WAVE]) < waited
    spec = objs["Job"]["spec"]
    assert spec["backoffLimit"] == 0
    timeout = extra_vars(job_command())["wait_timeout"]
    seconds = int(timeout[:-1]) * {"s": 1, "m": 60, "h": 3600}[timeout[-1]] if timeout[-1] in "smh" else int(timeout)
    assert spec["activeDeadlineSeconds"] > seconds


def test_the_role_grants_exactly_get_list_watch_on_notebookvalidationjobs():
    assert manifests()["Role"]["rules"] == [
        {"apiGroups": ["mlops.mlops.dev"], "resources": ["notebookvalidationjobs"], "verbs": ["get", "list", "watch"]}
    ]


def test_the_command_runs_the_collection_playbook_with_variables_it_reads():
    command = job_command()
    assert command[:2] == ["ansible-playbook", "mlops.gitops.wait_for_wave"]
    given = extra_vars(command)
    assert {"job_namespace", "wave", "wait_timeout"} <= set(given)
    assert not {"namespace", "timeout"} & set(given)  # names Ansible reserves (deprecated in the playbook)
    text = PLAYBOOK.read_text()
    play_vars = set(re.findall(r"\b(\w+) \| default\(", text)) | set(re.findall(r"vars', '(\w+)'", text))
    assert set(given) <= play_vars, set(given) - play_vars


def test_the_image_is_the_controller_image_with_the_collection():
    """Not an image published nowhere: the controller image users build for the controller (Dockerfile,
    docs/operator.md), with the collections path where that Dockerfile installs the collection."""
    [container] = manifests()["Job"]["spec"]["template"]["spec"]["containers"]
    image = container["image"]
    assert image.rsplit("/", 1)[-1].split(":")[0] == "mlops-gitops-controller", image
    assert "mlops-gitops-controller" in (REPO / "Dockerfile").read_text()
    assert image in (REPO / "docs" / "operator.md").read_text()
    env = {e["name"]: e.get("value") for e in container["env"]}
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "FROM quay.io/operator-framework/ansible-operator" in dockerfile  # HOME=/opt/ansible in that image
    assert "ansible-galaxy collection install /tmp/dist/mlops-gitops-" in dockerfile  # into ${HOME}/.ansible
    assert env["ANSIBLE_COLLECTIONS_PATH"] == "/opt/ansible/.ansible/collections"
    header = (EXAMPLE / "job.yaml").read_text().split("apiVersion:")[0]
    assert "docker build" in header and "docs/operator.md" in header


def finish_once_watched(api, kube, namespace, user, deadline=120):
    """The operator finishing ``train`` once the hook watches (so the watch, not the first list, sees it)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if any(e["user"] == user and e["verb"] == "watch" for e in list(kube.request_log)):
            set_phase(api, namespace, "train", "Succeeded", completed=DONE)
            return
        time.sleep(0.2)


def test_the_command_waits_for_its_wave_with_only_the_roles_rights(cluster, api, namespace, kube, tmp_path):
    """The Job's command line as the container runs it (``$(NAMESPACE)`` expanded by the kubelet), as the
    hook's ServiceAccount: the Role's rules in this namespace only."""
    create_job(api, namespace, "prepare", wave="3")
    set_phase(api, namespace, "prepare", "Succeeded", completed=DONE)
    create_job(api, namespace, "train", wave="3")
    set_phase(api, namespace, "train", "ValidationRunning")
    create_job(api, namespace, "serve-check", wave="4")  # another wave, still running: not waited for
    set_phase(api, namespace, "serve-check", "ValidationRunning")
    # The example's own ServiceAccount, Role and RoleBinding, applied as Argo CD would (wave -1), and a
    # token for that ServiceAccount from the TokenRequest API, as the Job's pod would get it.
    objs = manifests()
    for kind in ("ServiceAccount", "Role", "RoleBinding"):
        cluster.load([dict(objs[kind], metadata=dict(objs[kind]["metadata"], namespace=namespace))])
    account = objs["ServiceAccount"]["metadata"]["name"]
    user = "system:serviceaccount:{0}:{1}".format(namespace, account)
    kubeconfig = cluster.kubeconfig_for_token(tmp_path / "hook.kubeconfig",
                                              cluster.service_account_token(namespace, account), namespace=namespace)
    command = [arg.replace("$(NAMESPACE)", namespace) for arg in job_command()]
    command[0] = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    env = dict(cluster.env(), KUBECONFIG=kubeconfig, K8S_AUTH_KUBECONFIG=kubeconfig)
    env.update(ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible"), ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    finisher = threading.Thread(target=finish_once_watched, args=(api, kube, namespace, user), daemon=True)
    finisher.start()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    finisher.join(timeout=5)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "2 NotebookValidationJob(s) succeeded: prepare, train" in proc.stdout
    calls = [e for e in kube.request_log if e["user"] == user and e["verb"] != "discovery"]
    assert {(e["resource"], e["namespace"]) for e in calls} == {("notebookvalidationjobs", namespace)}
    assert {e["verb"] for e in calls} == {"list", "watch"}
    assert all(e["code"] < 400 for e in calls), [e for e in calls if e["code"] >= 400]
