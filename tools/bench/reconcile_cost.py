"""Benchmarks 1 and 2: what one reconcile of a succeeded job costs, in wall time and in API requests.

Both drive real ``ansible-playbook`` processes, as ansible-operator does on every NVJ event:
- 1: the action plugin's single task versus ``kubernetes_core_reconcile.yml`` (the same API
  effects as one kubernetes.core task per request), each on a fresh namespace, several times,
  median reported; an empty playbook gives the process start-up both pay. Timed straight against
  kube-apiserver (no recording proxy in between).
- 2: the recording proxy's request log of the first reconcile after success, of the reconcile that
  the first one's own write to the job triggers (the repeat), and how many reconciles the watch loop
  runs until one writes nothing to the job.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

from harness import world

HERE = Path(__file__).resolve().parent
CORE_PLAYBOOK = HERE / "kubernetes_core_reconcile.yml"
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
MAX_WATCH_ROUNDS = 10


class Runner:
    """Runs playbooks against ``cluster`` (a ``TestCluster``: through the proxy, or ``TestCluster.direct``'s
    view without it) and keeps their files in ``workdir``."""

    def __init__(self, cluster, workdir):
        self.cluster = cluster
        self.workdir = Path(workdir)
        self.kubeconfig = cluster.kubeconfig
        self.env = dict(cluster.env(), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
                        ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                        ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
        self.action_playbook = self._write("action.yml", [{
            "name": "Reconcile with the action plugin", "hosts": "localhost", "gather_facts": False,
            "tasks": [{"name": "reconcile", "register": "out", "mlops.gitops.notebook_reconcile": {
                "name": world.JOB_NAME, "namespace": "{{ ns }}", "argocd_namespace": "{{ ns }}",
                "min_interval": 0}}]}])
        self.empty_playbook = self._write("empty.yml", [{
            "name": "Nothing", "hosts": "localhost", "gather_facts": False,
            "tasks": [{"name": "nothing", "ansible.builtin.meta": "noop"}]}])

    def _write(self, name, play):
        path = self.workdir / name
        path.write_text(yaml.safe_dump(play, sort_keys=False))
        return str(path)

    def run(self, playbook, namespace):
        """(seconds, per-task results) of one ansible-playbook run; raises when a task failed."""
        cmd = [ANSIBLE_PLAYBOOK, "-i", "localhost,", "-c", "local", str(playbook), "-e", "ns=" + namespace]
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=600)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError("{0} failed (rc {1}):\n{2}\n{3}".format(playbook, proc.returncode,
                                                                    proc.stdout[-3000:], proc.stderr[-3000:]))
        data = json.loads(proc.stdout)
        tasks = [(t["task"]["name"], t["hosts"].get("localhost", {})) for p in data["plays"] for t in p["tasks"]]
        return seconds, tasks

    def fresh_namespace(self, label):
        namespace = "bench-{0}-{1}".format(label, os.urandom(3).hex())
        self.cluster.create_namespace(namespace, service_account=True)
        world.load_scenario(self.cluster, namespace, wait=True, deploy=False)
        return namespace


def same_effects(cluster, namespace):
    """What a reconcile must leave behind, as the API server has it; the same checks hold for both playbooks."""
    from ansible_collections.mlops.gitops.plugins.module_utils import nvj

    job = cluster.get(nvj.API_VERSION, nvj.KIND, world.JOB_NAME, namespace)
    app = cluster.get(*world.APP, world.APP_NAME, namespace)
    ann = nvj.annotations(job)
    status = json.loads(nvj.annotations(app)[nvj.ANN_NOTEBOOK_STATUS])
    pods = cluster.dynamic().resources.get(api_version="v1", kind="Pod").get(
        namespace=namespace, label_selector="{0}={1}".format(world.ISVC_LABEL, world.ISVC_NAME)).items
    events = cluster.dynamic().resources.get(api_version="v1", kind="Event").get(namespace=namespace).items
    checks = {
        "wave marker": ann.get(nvj.ANN_WAVE_COMPLETE) == "3",
        "trigger recorded": json.loads(ann[nvj.ANN_TRIGGER_STATUS])["targets"][0]["result"] == "succeeded",
        "pods deleted": not pods,  # bare pods: no ReplicaSet brings them back
        "completion event": any(e.reason == "ValidationSucceeded" for e in events),
        "application status": (status["total"], status["succeeded"]) == (1, 1),
    }
    bad = [name for name, ok in checks.items() if not ok]
    if bad:
        raise AssertionError("{0}: missing effects {1}".format(namespace, bad))


def reconcile_cost(cluster, workdir, repeats=5):
    """Benchmark 1, timed without the recording proxy: ``cluster`` is the session's ``TestCluster``."""
    cluster = cluster.direct()
    runner = Runner(cluster, workdir)
    runner.run(runner.empty_playbook, "default")  # warm the page cache and the discovery cache
    samples = {"action plugin": [], "kubernetes.core playbook": [], "empty playbook": []}
    core_tasks = 0
    for _ in range(repeats):
        samples["empty playbook"].append(runner.run(runner.empty_playbook, "default")[0])
        for label, playbook in (("action plugin", runner.action_playbook), ("kubernetes.core playbook", CORE_PLAYBOOK)):
            namespace = runner.fresh_namespace("cost")
            seconds, tasks = runner.run(playbook, namespace)
            same_effects(cluster, namespace)
            samples[label].append(seconds)
            if playbook == CORE_PLAYBOOK:
                core_tasks = len(tasks)
    medians = dict((label, statistics.median(values)) for label, values in samples.items())
    startup = medians["empty playbook"]
    return {
        "repeats": repeats,
        "samples": samples,
        "median": medians,
        "ratio": medians["kubernetes.core playbook"] / medians["action plugin"],
        "ratio_without_startup": (medians["kubernetes.core playbook"] - startup)
        / max(medians["action plugin"] - startup, 1e-6),
        "core_tasks": core_tasks,
    }


def request_counts(cluster, workdir):
    """The watch loop: every write to the job wakes the controller again, until a reconcile writes nothing
    to it. Through the recording proxy; a first reconcile on another namespace fills the client's discovery
    cache for the proxy's address, as benchmark 1 did for the API server's."""
    from ansible_collections.mlops.gitops.plugins.module_utils import nvj

    runner = Runner(cluster, workdir)
    runner.run(runner.action_playbook, runner.fresh_namespace("warm"))
    namespace = runner.fresh_namespace("requests")
    rounds = []
    for _ in range(MAX_WATCH_ROUNDS):
        cluster.clear_log()
        _seconds, tasks = runner.run(runner.action_playbook, namespace)
        log = [e for e in cluster.request_log if e.get("namespace") in (namespace, None)]
        job_writes = [e for e in world.writes(log) if e["resource"] == nvj.PLURAL and e["name"] == world.JOB_NAME]
        rounds.append({"by_verb": world.by_verb(log), "writes": len(world.writes(log)), "job_writes": len(job_writes),
                       "reported": dict(tasks[-1][1].get("requests") or {})})
        if not job_writes:
            break
    return {"rounds": rounds, "quiet": not rounds[-1]["job_writes"], "reconciles_until_quiet": len(rounds)}
