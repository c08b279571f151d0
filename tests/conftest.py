"""Shared pytest fixtures: one real Kubernetes API per test session.

- ``KUBECONFIG`` set: tests talk to that cluster (``cluster.proxy`` is None, and the tests that need the
  request log or fault injection, through the ``kube`` fixture, skip).
- otherwise: a local control plane built from Kubernetes' own Go modules (harness/cluster.py: etcd,
  kube-apiserver, kube-controller-manager) with the recording proxy (harness/kube_proxy.py) in front.

The test CRDs come from harness/crds.py: the upstream projects' own CRDs where ../shared/reference/crds
exists, else ours in tests/data/crds. Tests isolate themselves with the ``namespace`` fixture.
"""

import os
import re
import secrets
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the harness package

from harness.cluster import install_crds  # noqa: E402
from harness.crds import crd_paths  # noqa: E402
from harness.session import TestCluster  # noqa: E402


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """The session's cluster: $KUBECONFIG's when set, else a local control plane started for the session."""
    if os.environ.get("KUBECONFIG"):
        real = TestCluster(kubeconfig=os.environ["KUBECONFIG"])
        install_crds(real.kubeconfig, crd_paths(), only_missing=True)
        yield real
        return
    local = TestCluster.start(tmp_path_factory.mktemp("kube"))
    try:
        install_crds(local.kubeconfig, crd_paths())
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def argocd(cluster, tmp_path_factory):
    """The real Argo CD (application controller, repo server, notifications controller): started on the local
    control plane the first time a test asks for it (a session that needs none pays nothing), or the one
    $KUBECONFIG's cluster runs. It installs the release's own Application and AppProject CRDs."""
    from harness.argocd import ArgoCD

    running = ArgoCD.of_cluster(cluster, tmp_path_factory.mktemp("argocd"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def api(cluster):
    """A fresh ``KubeApi`` (the collection's client layer, from the *installed* collection), as admin."""
    from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

    return KubeApi.from_auth(kubeconfig=cluster.kubeconfig)


@pytest.fixture
def kube(cluster):
    """The session's cluster with an empty request log and no faults, for tests that count requests or
    inject faults through the recording proxy; skips on a user's cluster ($KUBECONFIG), which has none."""
    if cluster.proxy is None:
        pytest.skip("needs the local control plane's recording proxy (request log / fault injection)")
    cluster.clear_log()
    cluster.clear_faults()
    yield cluster
    cluster.clear_faults()


@pytest.fixture
def namespace(cluster, request):
    """A fresh namespace ``t-<test name>-<6 hex>``, deleted (left Terminating) after the test."""
    from kubernetes import client

    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    name = f"t-{slug[:48].rstrip('-')}-{secrets.token_hex(3)}"
    cluster.create_namespace(name, service_account=True)
    yield name
    try:
        client.CoreV1Api(cluster.api_client()).delete_namespace(name)
    except client.ApiException as exc:
        if exc.status != 404:
            raise
