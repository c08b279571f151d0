"""Fixtures for the controller under the real ansible-operator (harness/real_operator.py says how
it runs). They need the real control plane (the session's `cluster`) and `make operator-runtime`."""

import pytest

from harness.real_operator import AnsibleOperator, runtime_missing


@pytest.fixture(scope="session")
def operator_runtime(cluster):
    missing = runtime_missing()
    if missing:
        pytest.fail(missing, pytrace=False)


@pytest.fixture
def start_operator(cluster, tmp_path, operator_runtime, namespace):
    """``start_operator(namespaces, env={...}, args=[...])``: a running ansible-operator watching
    ``namespaces``; stopped (and its RBAC removed) after the test, before its namespace is deleted.
    One at a time per machine."""
    started = []

    def start(namespaces, **options):
        operator = AnsibleOperator(cluster, tmp_path / f"operator-{len(started)}", namespaces, **options)
        started.append(operator)
        return operator.start()

    yield start
    for operator in reversed(started):
        operator.stop()
