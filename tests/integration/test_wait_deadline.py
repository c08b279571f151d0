"""Issue 22, finding 7: the wait_for_wave playbook and the notebook_wait module keep to their deadline, fail once
naming wait_timeout, take names with spaces around them, and wait out an API server that does not answer (a
kubeconfig that points to a closed loopback port, then a real server that comes up on it)."""

import datetime
import socket
import time
from pathlib import Path

import pytest
import yaml

from ansible_collections.mlops.gitops.plugins.module_utils import notebook_wait
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi
from harness.kube_proxy import RecordingProxy
from harness import rbac
from harness.world import create_job, set_phase

DONE = "2026-01-24T22:30:00Z"
WAIT_TASK = "Wait until the selected NotebookValidationJobs succeeded"
TEXT = {"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"}


def wait_result(run):
    found = [res for name, res in run.tasks if name.startswith(WAIT_TASK)]
    assert found, (run.tasks, run.stdout[-2000:], run.stderr[-2000:])
    return found[-1]


def reserved_port():
    """A loopback port bound but not listening: connecting to it is refused until a server listens there."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def kubeconfig_to(cluster, path, port):
    """The cluster's admin kubeconfig, with its server moved to 127.0.0.1:``port``."""
    config = yaml.safe_load(Path(cluster.kubeconfig).read_text(encoding="utf-8"))
    config["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:{0}".format(port)
    Path(path).write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def failures(stdout):
    return [line for line in stdout.splitlines() if line.startswith("fatal:")]


def test_the_last_poll_waits_only_the_time_left(playbook, api, namespace):
    create_job(api, namespace, "train")
    set_phase(api, namespace, "train", "ValidationRunning")
    run = playbook.run(None, playbook="mlops.gitops.wait_for_wave",
                       extra_vars={"job_namespace": namespace, "wave": "3", "wait_timeout": 6, "poll_interval": 5})
    assert run.rc != 0
    # two polls of 5 s took 10 s and more; the wait ends at 6 s (plus the last poll's list and exit)
    assert task_seconds(run, WAIT_TASK) < 10
    last = wait_result(run)
    assert last["timed_out"] is True and last["deadline_reached"] is True, last
    assert not last.get("failed")  # the one failure is the next task's
    assert run.stats["failures"] == 1, run.stats


def task_seconds(run, prefix):
    """How long the task whose name starts with ``prefix`` ran, from the json callback's start and end."""
    [task] = [t["task"] for play in run.data["plays"] for t in play["tasks"] if t["task"]["name"].startswith(prefix)]
    start, end = (datetime.datetime.fromisoformat(task["duration"][k].replace("Z", "+00:00")) for k in ("start", "end"))
    return (end - start).total_seconds()


def test_a_timeout_is_one_failure_that_names_wait_timeout(playbook, api, namespace):
    create_job(api, namespace, "train")
    set_phase(api, namespace, "train", "ValidationRunning")
    run = playbook.run(None, playbook="mlops.gitops.wait_for_wave", env=TEXT,
                       extra_vars={"job_namespace": namespace, "wave": "3", "wait_timeout": 3, "poll_interval": 2})
    assert run.rc != 0
    text = run.stdout + run.stderr
    assert text.count("[ERROR]") == 1, run.stdout[-3000:]  # no error printed for a poll that only ran out
    [fatal] = failures(run.stdout)
    assert "timed out after 3s waiting for the NotebookValidationJobs in " + namespace in fatal, fatal
    assert "train (ValidationRunning)" in fatal and "Raise wait_timeout" in fatal, fatal


def test_names_with_spaces_around_them_are_trimmed(playbook, api, namespace):
    create_job(api, namespace, "train")
    set_phase(api, namespace, "train", "Succeeded", completed=DONE)
    run = playbook.run(None, playbook="mlops.gitops.wait_for_wave",
                       extra_vars={"job_namespace": " {0} ".format(namespace), "names": " train ",
                                   "argocd_namespace": " argocd ", "wait_timeout": 10})
    assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert [s["name"] for s in wait_result(run)["succeeded_jobs"]] == ["train"]


@pytest.mark.parametrize("option, value", [("namespace", "nu ml"), ("application", "fraud model"),
                                           ("names", "tr ain"), ("argocd_namespace", "open shift")])
def test_a_name_with_spaces_inside_is_refused_naming_the_option(playbook, option, value):
    args = {"namespace": "ml", "wave": "3", "timeout": 5}
    args[option] = [value] if option == "names" else value
    run = playbook.run([{"name": "wait", "mlops.gitops.notebook_wait": args}])
    result = run.result("wait")
    assert result["failed"] is True
    assert result["msg"].startswith("{0} must be a Kubernetes name".format(option)), result["msg"]
    assert repr(value) in result["msg"]


def test_an_api_server_that_does_not_answer_is_waited_out_then_one_failure(playbook, cluster, namespace, tmp_path):
    port = reserved_port()
    server = "https://127.0.0.1:{0}".format(port.getsockname()[1])
    try:
        dead = kubeconfig_to(cluster, tmp_path / "dead.kubeconfig", port.getsockname()[1])
        start = time.monotonic()
        run = playbook.run(None, playbook="mlops.gitops.wait_for_wave", env=dict(TEXT, K8S_AUTH_KUBECONFIG=dead),
                           extra_vars={"job_namespace": namespace, "wave": "3", "wait_timeout": 4,
                                       "poll_interval": 2})
        waited = time.monotonic() - start
    finally:
        port.close()
    assert run.rc != 0
    assert waited >= 4, (waited, run.stdout[-3000:])  # it did not give up before wait_timeout
    [fatal] = failures(run.stdout)
    assert "timed out after 4s" in fatal and server in fatal and "Connection refused" in fatal, fatal
    assert "HTTPSConnectionPool" not in fatal and "Max retries" not in fatal, fatal


def test_the_wait_connects_once_the_api_server_answers(kube, api, namespace, tmp_path):
    """The server's address refuses connections until the wait's first back-off; then a real proxy to the real
    kube-apiserver listens there, and the wait connects and sees the job succeed."""
    create_job(api, namespace, "train")
    set_phase(api, namespace, "train", "Succeeded", completed=DONE)
    port = reserved_port()
    number = port.getsockname()[1]
    dead = kubeconfig_to(kube, tmp_path / "late.kubeconfig", number)
    pki = kube.local.pki
    late = RecordingProxy(kube.local.url, pki["ca.crt"], pki["apiserver.crt"], pki["apiserver.key"])
    pauses = []

    def sleep(seconds):
        pauses.append(seconds)
        if len(pauses) == 1:  # the first connection was refused: the API server comes up
            port.close()
            late.start(port=number)

    try:
        result = notebook_wait.wait(lambda: KubeApi.from_auth(kubeconfig=dead), namespace,
                                    notebook_wait.Selector(wave="3"), timeout=60, sleep=sleep)
    finally:
        port.close()
        late.stop()
    assert not result.get("failed"), result.get("msg")
    assert [s["name"] for s in result["succeeded_jobs"]] == ["train"]
    assert len(pauses) == 1 and 0 < pauses[0] <= 10


def test_the_rights_docs_awx_asks_for_are_enough_to_wait_on_an_application(playbook, cluster, api, namespace,
                                                                            tmp_path):
    create_job(api, namespace, "train", labels={"app.kubernetes.io/instance": "fraud"})
    set_phase(api, namespace, "train", "Succeeded", completed=DONE)
    verbs, resources = rbac.awx_wait_rights()
    rules = [{"apiGroups": ["mlops.mlops.dev"], "resources": resources, "verbs": verbs}]
    with cluster.restricted(tmp_path, rules=rules, namespace=namespace, name="awx-wait") as (_user, kubeconfig):
        run = playbook.run(None, playbook="mlops.gitops.wait_for_wave", env={"K8S_AUTH_KUBECONFIG": kubeconfig},
                           extra_vars={"job_namespace": namespace, "application": "fraud", "wait_timeout": 30})
    assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert [s["name"] for s in wait_result(run)["succeeded_jobs"]] == ["train"]
