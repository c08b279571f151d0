"""The kubeconfig works for kubernetes.config, the DynamicClient and a real ansible-playbook with kubernetes.core."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config


def test_load_kube_config_default_namespace(cluster, emulator, tmp_path):
    path = emulator.write_kubeconfig(tmp_path / "kc", namespace="argocd")
    data = yaml.safe_load(Path(path).read_text())
    assert data["contexts"][0]["context"]["namespace"] == "argocd"
    assert data["clusters"][0]["cluster"]["server"] == emulator.url
    configuration = client.Configuration()
    config.load_kube_config(config_file=path, client_configuration=configuration)
    assert configuration.host == emulator.url
    versions = client.VersionApi(client.ApiClient(configuration)).get_code()
    assert versions.major == "1"


def test_dynamic_client_crud_on_custom_resource(cluster, namespace):
    res = cluster.dynamic().resources.get(api_version="serving.kserve.io/v1beta1", kind="InferenceService")
    body = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "predictive-analytics", "namespace": namespace},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}}}}}
    res.create(body=body)
    out = res.patch(body={"spec": {"predictor": {"annotations": {"mlops.dev/restartedAt": "t1"}}}},
                    name="predictive-analytics", namespace=namespace, content_type="application/merge-patch+json")
    assert out.spec.predictor.annotations["mlops.dev/restartedAt"] == "t1"
    assert [i.metadata.name for i in res.get(namespace=namespace).items] == ["predictive-analytics"]
    res.delete(name="predictive-analytics", namespace=namespace)


def _ansible_playbook():
    candidate = Path(sys.executable).with_name("ansible-playbook")
    return str(candidate) if candidate.exists() else shutil.which("ansible-playbook")


@pytest.mark.slow
@pytest.mark.skipif(_ansible_playbook() is None, reason="ansible-playbook is not installed")
def test_ansible_kubernetes_core_against_the_cluster(cluster, namespace, tmp_path):
    """Few tasks on purpose: each one starts a Python process that imports ansible and kubernetes."""
    cluster.dynamic().resources.get(api_version="mlops.mlops.dev/v1alpha1", kind="NotebookValidationJob").create(
        body={"apiVersion": "mlops.mlops.dev/v1alpha1", "kind": "NotebookValidationJob",
              "metadata": {"name": "nvj", "namespace": namespace}, "spec": {"notebook": {"path": "a.ipynb"}}})
    playbook = tmp_path / "play.yml"
    playbook.write_text(textwrap.dedent(f"""
        - hosts: localhost
          gather_facts: false
          vars:
            ns: {namespace}
          tasks:
            - name: create a ConfigMap with apply
              kubernetes.core.k8s:
                state: present
                apply: true
                definition:
                  apiVersion: v1
                  kind: ConfigMap
                  metadata: {{name: argocd-cm, namespace: "{{{{ ns }}}}"}}
                  data: {{url: "https://argocd.example.com"}}
            - name: merge patch an annotation onto the NotebookValidationJob
              kubernetes.core.k8s:
                state: patched
                merge_type: merge
                definition:
                  apiVersion: mlops.mlops.dev/v1alpha1
                  kind: NotebookValidationJob
                  metadata:
                    name: nvj
                    namespace: "{{{{ ns }}}}"
                    annotations: {{mlops.dev/wave-complete: "3"}}
            - name: read it back
              kubernetes.core.k8s_info:
                api_version: mlops.mlops.dev/v1alpha1
                kind: NotebookValidationJob
                namespace: "{{{{ ns }}}}"
              register: info
            - name: report
              ansible.builtin.copy:
                dest: "{tmp_path}/out.json"
                content: "{{{{ info.resources | to_json }}}}"
    """))
    env = cluster.env()
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    env.pop("ANSIBLE_COLLECTIONS_PATHS", None)
    env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
    env["ANSIBLE_LOCALHOST_WARNING"] = "false"
    env["ANSIBLE_INVENTORY_UNPARSED_WARNING"] = "false"
    env["ANSIBLE_LOCAL_TEMP"] = str(tmp_path / "ansible-tmp")
    env["ANSIBLE_HOME"] = str(tmp_path / "ansible-home")
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run([_ansible_playbook(), "-i", "localhost,", "-c", "local", str(playbook)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (nvj,) = json.loads((tmp_path / "out.json").read_text())
    assert nvj["metadata"]["annotations"] == {"mlops.dev/wave-complete": "3"}
    cm = client.CoreV1Api(cluster.api_client()).read_namespaced_config_map("argocd-cm", namespace)
    assert cm.data == {"url": "https://argocd.example.com"}
    assert "kubectl.kubernetes.io/last-applied-configuration" in cm.metadata.annotations
