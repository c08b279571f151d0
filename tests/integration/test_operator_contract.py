"""Contract test: the notebook_controller role run with ansible-runner exactly as ansible-operator runs it
(runner/runner.go, runner/internal/inputdir, controller/reconcile.go of ansible-operator-plugins):

- watches.yaml is read with ${VAR} replaced from the environment (the Dockerfile's defaults);
- extravars: the spec's fields, ``ansible_operator_meta``, ``_mlops_mlops_dev_notebookvalidationjob`` (+ ``_spec``),
  then the watch's ``vars``; strings wrapped as ``{"__ansible_unsafe": ...}`` when ``markUnsafe`` is set;
- env/envvars K8S_AUTH_KUBECONFIG and KUBECONFIG (here the test cluster instead of the operator's proxy);
- ``ansible-runner run <dir> --rotate-artifacts N --role <name> --roles-path <dir> --hosts localhost -i <ident>``
  (+ ``--role-skip-facts`` as ANSIBLE_GATHERING=explicit asks);
- the requeue is read from the job events like the operator does: task_action ``operator_sdk.util.requeue_after``,
  ``res.period``.
A stand-in operator_sdk.util collection (requeue_after/osdk_metric with the real modules' interfaces) records
the metrics. The job goes created -> ValidationRunning -> Succeeded -> re-run -> Failed; after every step the
cluster state is checked, and a repeated reconcile must not write.
"""

import datetime
import glob
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible_collections.mlops.gitops.plugins.module_utils import nvj

from tests.integration import nvj_world as world

REPO = Path(__file__).resolve().parents[2]
RUNNER = os.path.join(os.path.dirname(sys.executable), "ansible-runner")
WATCH_GVK = ("mlops.mlops.dev", "v1alpha1", "NotebookValidationJob")

FAKE_REQUEUE = '''#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule
import re
module = AnsibleModule(argument_spec={"time": {"type": "str", "required": True}})
if not re.match("^[hms0-9]*$", module.params["time"]):
    module.fail_json(msg="invalid time input")
module.exit_json(period=module.params["time"])
'''
FAKE_METRIC = '''#!/usr/bin/python
import json, os
from ansible.module_utils.basic import AnsibleModule
number = {"type": "dict", "options": {"increment": {"type": "bool"}, "add": {"type": "float"},
                                        "observe": {"type": "float"}, "set": {"type": "float"}}}
module = AnsibleModule(argument_spec={"name": {"type": "str", "required": True},
                                      "description": {"type": "str", "required": True},
                                      "address": {"type": "str", "default": "http://localhost:5050/metrics"},
                                      "counter": number, "gauge": number, "histogram": number, "summary": number})
with open(os.environ["FAKE_OSDK_METRICS"], "a") as handle:
    handle.write(json.dumps(dict((k, v) for k, v in module.params.items() if v is not None)) + "\\n")
module.exit_json(changed=True)
'''


def dockerfile_env():
    """The ENV defaults of the Dockerfile (one ``KEY=value`` per line after ENV)."""
    text = (REPO / "Dockerfile").read_text()
    block = text.split("\nENV ", 1)[1]
    return dict(re.findall(r"([A-Z_]+)=(\S+?)\s*(?:\\|$)", block, re.M))


def load_watch(env):
    text = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), m.group(0)), (REPO / "watches.yaml").read_text())
    watch = yaml.safe_load(text)[0]
    assert (watch["group"], watch["version"], watch["kind"]) == WATCH_GVK
    return watch


def mark_unsafe(value):
    if isinstance(value, list):
        return [mark_unsafe(v) for v in value]
    if isinstance(value, dict):
        return dict((k, mark_unsafe(v)) for k, v in value.items())
    if isinstance(value, str):
        return {"__ansible_unsafe": value}
    return value


def make_parameters(watch, obj):
    spec = obj.get("spec") or {}
    assert watch.get("snakeCaseParameters") is False, "this stand-in does not convert spec keys to snake_case"
    params = dict(spec)
    if watch.get("markUnsafe"):
        params = dict((k, mark_unsafe(v)) for k, v in params.items())
    meta = obj["metadata"]
    params["ansible_operator_meta"] = {"namespace": meta["namespace"], "name": meta["name"]}
    key = "_" + re.sub(r"[.-]", "_", "{}_{}".format(WATCH_GVK[0], WATCH_GVK[2].lower()))
    params[key] = mark_unsafe(obj) if watch.get("markUnsafe") else obj
    params[key + "_spec"] = mark_unsafe(spec) if watch.get("markUnsafe") else spec
    params.update(watch.get("vars") or {})
    return params


class Operator:
    """What ansible-operator does for one reconcile request, minus the proxy and the informer."""

    def __init__(self, cluster, api, tmp_path, env_overrides, fake_osdk=True):
        self.cluster, self.api, self.tmp = cluster, api, tmp_path
        self.env = dockerfile_env()
        self.env.update(env_overrides)
        self.watch = load_watch(self.env)
        collections = os.environ["ANSIBLE_COLLECTIONS_PATH"].split(":")
        fqcn = self.watch["role"].split(".")
        self.role = next(os.path.join(p, "ansible_collections", fqcn[0], fqcn[1], "roles", fqcn[2])
                         for p in collections
                         if os.path.isdir(os.path.join(p, "ansible_collections", fqcn[0], fqcn[1], "roles", fqcn[2])))
        self.collections_path = os.environ["ANSIBLE_COLLECTIONS_PATH"]
        self.metrics_log = tmp_path / "metrics.jsonl"
        if fake_osdk:
            self.collections_path = "{}:{}".format(self.install_fake_osdk(), self.collections_path)
        self.count = 0

    def install_fake_osdk(self):
        root = self.tmp / "fake-collections"
        modules = root / "ansible_collections" / "operator_sdk" / "util" / "plugins" / "modules"
        modules.mkdir(parents=True)
        (modules / "requeue_after.py").write_text(FAKE_REQUEUE)
        (modules / "osdk_metric.py").write_text(FAKE_METRIC)
        return str(root)

    def reconcile(self, name, namespace):
        """Returns ``{"rc", "failures", "requeue", "result"}``; None when the operator would not run the role."""
        obj = self.api.get(nvj.API_VERSION, nvj.KIND, name, namespace)
        if obj is None:
            return None  # reconcile.go: NotFound -> no run
        self.count += 1
        ident = str(1000 + self.count)
        base = self.tmp / "runner" / WATCH_GVK[0] / WATCH_GVK[1] / WATCH_GVK[2] / namespace / name
        for sub in ("env", "project", "inventory"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        (base / "env" / "extravars").write_text(json.dumps(make_parameters(self.watch, obj)))
        kubeconfig = self.cluster.kubeconfig
        (base / "env" / "envvars").write_text(json.dumps({"K8S_AUTH_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig}))
        venv = os.path.dirname(os.path.dirname(sys.executable))
        (base / "inventory" / "hosts").write_text(
            "localhost ansible_connection=local ansible_python_interpreter={}".format(os.path.join(venv, "bin/python")))
        role_path, role_name = os.path.split(self.role)
        cmd = [RUNNER, "run", str(base), "--rotate-artifacts", str(self.watch.get("maxRunnerArtifacts") or 20),
               "--role", role_name, "--roles-path", role_path + "/", "--hosts", "localhost", "-i", ident]
        env = dict(os.environ)
        env.update(self.env)
        env["PATH"] = os.path.join(venv, "bin") + os.pathsep + env.get("PATH", "")
        env.update({"K8S_AUTH_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig, "VIRTUAL_ENV": venv,
                    "ANSIBLE_COLLECTIONS_PATH": self.collections_path, "FAKE_OSDK_METRICS": str(self.metrics_log)})
        if env.get("ANSIBLE_GATHERING") == "explicit":
            cmd.append("--role-skip-facts")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        return self.read_events(base / "artifacts" / ident, proc)

    @staticmethod
    def read_events(artifacts, proc):
        out = {"rc": int((artifacts / "rc").read_text()), "failures": [], "requeue": None, "result": None,
               "stdout": proc.stdout[-4000:]}
        paths = glob.glob(str(artifacts / "job_events" / "*.json"))
        paths.sort(key=lambda p: int(os.path.basename(p).split("-")[0]))
        for path in paths:
            event = json.loads(Path(path).read_text())
            data = event.get("event_data") or {}
            action = data.get("task_action")
            if action in ("operator_sdk.util.requeue_after", "requeue_after") and event["event"] != "runner_on_failed":
                if isinstance(data.get("res"), dict) and "period" in data["res"]:
                    out["requeue"] = data["res"]["period"]
                    break  # reconcile.go returns at this event
            if event["event"] == "runner_on_failed" and not data.get("ignore_errors"):
                out["failures"].append(data.get("res", {}).get("msg"))
            if action == "mlops.gitops.notebook_reconcile" and event["event"] in ("runner_on_ok", "runner_on_failed"):
                out["result"] = data.get("res")
        return out


def now(offset=0):
    return world.stamp(datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=offset))


def assert_noop(operator, namespace, cluster):
    """A repeated reconcile of an unchanged job reads and writes nothing."""
    if cluster.emulator is not None:
        cluster.emulator.clear_log()
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0, run
    assert run["result"]["changed"] is False, run["result"]
    assert not any(run["result"]["requests"].get(v) for v in ("create", "patch", "update", "delete"))
    assert world.writes(cluster.emulator) in ([], None)
    return run


def metrics(operator):
    if not operator.metrics_log.exists():
        return []
    return [json.loads(line) for line in operator.metrics_log.read_text().splitlines()]


@pytest.fixture
def operator(cluster, api, tmp_path, namespace):
    return Operator(cluster, api, tmp_path, {
        "NOTEBOOK_CONTROLLER_API": "kubeconfig",  # the test cluster, not a pod's service account
        "NOTEBOOK_CONTROLLER_OPERATOR_SDK": "auto",
        "NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE": namespace,
        "NOTEBOOK_CONTROLLER_MIN_INTERVAL": "0",
    })


@pytest.mark.slow
def test_life_of_a_job(operator, api, namespace, cluster, tmp_path):
    world.build(api, namespace)
    pwned = tmp_path / "pwned"
    api.patch(nvj.API_VERSION, nvj.KIND, world.JOB_NAME, {"metadata": {"annotations": {
        "example.com/note": "{{ lookup('ansible.builtin.pipe', 'touch " + str(pwned) + "') }}"}}}, namespace=namespace)

    # created: nothing to mark; the Application counts it; unfinished, so requeued for the poll interval
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0 and not run["failures"], run
    assert run["requeue"] == "15s"
    assert not any(k.startswith("mlops.dev/wave") for k in nvj.annotations(world.job(api, namespace)))
    status = json.loads(world.app_annotations(api, namespace)[nvj.ANN_NOTEBOOK_STATUS])
    assert (status["total"], status["succeeded"], status["failed"]) == (1, 0, 0)
    assert_noop(operator, namespace, cluster)

    # ValidationRunning
    world.set_phase(api, namespace, "ValidationRunning", started=now(-300))
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0 and run["requeue"] == "15s", run
    assert world.events(api, namespace) == []
    assert_noop(operator, namespace, cluster)

    # Succeeded: marker, one Event, the trigger restarts the predictor pods once, the Application counts it
    world.set_phase(api, namespace, "Succeeded", started=now(-300), completed=now(1))
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0 and not run["failures"], run
    assert run["requeue"] is None  # finished and nothing deferred: no requeue
    annotations = nvj.annotations(world.job(api, namespace))
    assert annotations[nvj.ANN_WAVE_COMPLETE] == "3" and nvj.ANN_WAVE_FAILED not in annotations
    assert len(world.events(api, namespace, "ValidationSucceeded")) == 1
    assert world.pods(api, namespace) == []
    status = json.loads(world.app_annotations(api, namespace)[nvj.ANN_NOTEBOOK_STATUS])
    assert (status["succeeded"], status["failed"]) == (1, 0)
    names = [m["name"] for m in metrics(operator)]
    assert names == ["notebook_validation_total", "notebook_validation_duration_seconds", "argocd_triggers_total"]
    world.create_pods(api, namespace)
    assert_noop(operator, namespace, cluster)
    assert len(world.pods(api, namespace)) == 2  # fired once, not on the resync
    assert len(metrics(operator)) == 3  # and counted once

    # re-run: the markers go, so nothing waits on a stale one
    world.set_phase(api, namespace, "ValidationRunning", started=now(-10), completed=None)
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0 and run["requeue"] == "15s", run
    assert not any(k.startswith("mlops.dev/wave") for k in nvj.annotations(world.job(api, namespace)))
    assert_noop(operator, namespace, cluster)

    # Failed: failure marker, a Warning Event, no trigger, the Application counts the failure
    world.set_phase(api, namespace, "Failed", started=now(-10), completed=now(1))
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0 and run["requeue"] is None, run
    annotations = nvj.annotations(world.job(api, namespace))
    assert annotations[nvj.ANN_WAVE_FAILED] == "3" and nvj.ANN_WAVE_COMPLETE not in annotations
    assert len(world.events(api, namespace, "ValidationFailed")) == 1
    assert len(world.pods(api, namespace)) == 2
    status = json.loads(world.app_annotations(api, namespace)[nvj.ANN_NOTEBOOK_STATUS])
    assert (status["succeeded"], status["failed"]) == (0, 1)
    assert_noop(operator, namespace, cluster)

    assert not pwned.exists(), "user text in the job's annotations was templated"

    api.delete(nvj.API_VERSION, nvj.KIND, world.JOB_NAME, namespace)
    assert operator.reconcile(world.JOB_NAME, namespace) is None


def test_runs_without_operator_sdk_util(cluster, api, tmp_path, namespace):
    operator = Operator(cluster, api, tmp_path, {"NOTEBOOK_CONTROLLER_API": "kubeconfig",
                                                 "NOTEBOOK_CONTROLLER_OPERATOR_SDK": "auto",
                                                 "NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE": namespace},
                        fake_osdk=False)
    world.build(api, namespace)
    run = operator.reconcile(world.JOB_NAME, namespace)
    assert run["rc"] == 0 and not run["failures"], run
    assert run["requeue"] is None and metrics(operator) == []
    assert run["result"]["phase"] is None and not run["result"].get("failed")
