"""Shared pytest fixtures: one Kubernetes API per test session, the local emulator or a real cluster.

- ``KUBECONFIG`` set: real-cluster mode; tests talk to that cluster and ``cluster.emulator`` is None.
- otherwise: one ``kube_emulator.Emulator`` (tools/kube_emulator) serves tests/data/crds on 127.0.0.1.

Tests isolate themselves with the ``namespace`` fixture; only tests that need the request log or fault
injection use ``emulator`` (skipped on a real cluster).
"""

import os
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CRD_DIR = REPO / "tests" / "data" / "crds"
sys.path.insert(0, str(REPO / "tools"))


@dataclass
class Cluster:
    """How tests reach the Kubernetes API of this session."""

    kubeconfig: str
    emulator: object = None  # kube_emulator.Emulator, or None on a real cluster

    def api_client(self):
        """A fresh ``kubernetes.client.ApiClient`` for this cluster."""
        from kubernetes import config

        return config.new_client_from_config(config_file=self.kubeconfig)

    def dynamic(self):
        """A ``kubernetes.dynamic.DynamicClient`` for this cluster."""
        from kubernetes import dynamic

        return dynamic.DynamicClient(self.api_client())

    def env(self):
        """Environment for subprocesses (ansible-playbook, ansible-runner, kubectl-style tools)."""
        env = dict(os.environ)
        env["KUBECONFIG"] = self.kubeconfig
        env["K8S_AUTH_KUBECONFIG"] = self.kubeconfig
        return env


def _ensure_crds(cluster):
    """Real-cluster mode: apply tests/data/crds where the cluster lacks them."""
    import yaml
    from kubernetes import client

    ext = client.ApiextensionsV1Api(cluster.api_client())
    for path in sorted(CRD_DIR.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        try:
            ext.read_custom_resource_definition(crd["metadata"]["name"])
        except client.ApiException as exc:
            if exc.status != 404:
                raise
            ext.create_custom_resource_definition(crd)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """The session's cluster: a real one when KUBECONFIG is set, else one local emulator."""
    if os.environ.get("KUBECONFIG"):
        real = Cluster(kubeconfig=os.environ["KUBECONFIG"])
        _ensure_crds(real)
        yield real
        return
    from kube_emulator import Emulator

    emu = Emulator(crd_dirs=[str(CRD_DIR)])
    emu.start(host="127.0.0.1", port=0)
    kubeconfig = emu.write_kubeconfig(tmp_path_factory.mktemp("kube") / "kubeconfig")
    try:
        yield Cluster(kubeconfig=kubeconfig, emulator=emu)
    finally:
        emu.stop()


@pytest.fixture
def emulator(cluster):
    """The local emulator with an empty request log and no faults; skips on a real cluster."""
    if cluster.emulator is None:
        pytest.skip("needs the local emulator (request log / fault injection)")
    cluster.emulator.clear_log()
    cluster.emulator.clear_faults()
    yield cluster.emulator
    cluster.emulator.clear_faults()


@pytest.fixture
def namespace(cluster, request):
    """A fresh namespace ``t-<test name>-<6 hex>``, deleted after the test."""
    from kubernetes import client

    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    name = f"t-{slug[:48].rstrip('-')}-{secrets.token_hex(3)}"
    core = client.CoreV1Api(cluster.api_client())
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    try:
        core.delete_namespace(name)
    except client.ApiException as exc:
        if exc.status != 404:
            raise
