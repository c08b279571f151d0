"""Fixtures for integration tests: real ansible-playbook runs and extra namespaces, against the `cluster`
(the local control plane, or the cluster $KUBECONFIG names). ``api`` is in tests/conftest.py."""

import secrets

import pytest

from tests.integration.playbook import PlaybookRunner


@pytest.fixture
def playbook(cluster, tmp_path):
    """``playbook.run(tasks, check=False, diff=False, extra_vars=None)`` runs a one-play playbook on
    localhost with ansible-playbook and returns its per-task results."""
    return PlaybookRunner(cluster, tmp_path)


@pytest.fixture
def spaces(api, namespace):
    """``spaces(n)`` → n more fresh namespaces named after the test's (whose ``namespace`` often plays the
    Argo CD namespace), deleted after the test."""
    made = []

    def make(count):
        names = []
        for _ in range(count):
            name = "{}-{}".format(namespace[:50], secrets.token_hex(2))
            api.create("v1", "Namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
            made.append(name)
            names.append(name)
        return names

    yield make
    for name in made:
        api.delete("v1", "Namespace", name)
