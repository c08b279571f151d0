"""Fixtures for integration tests: the collection's own API layer and real ansible-playbook runs,
both against the `cluster` (the local control plane, or the cluster $KUBECONFIG names)."""

import pytest

from tests.integration.playbook import PlaybookRunner


@pytest.fixture
def api(cluster):
    """A fresh ``KubeApi`` (the collection's client layer, from the *installed* collection)."""
    from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

    return KubeApi.from_auth(kubeconfig=cluster.kubeconfig)


@pytest.fixture
def playbook(cluster, tmp_path):
    """``playbook.run(tasks, check=False, diff=False, extra_vars=None)`` runs a one-play playbook on
    localhost with ansible-playbook and returns its per-task results."""
    return PlaybookRunner(cluster, tmp_path)
