"""ansible-operator's reconcile, minus the proxy and the informer: runs the notebook_controller role with
ansible-runner exactly as ansible-operator does (runner/runner.go, runner/internal/inputdir,
controller/reconcile.go of ansible-operator-plugins):

- watches.yaml is read with ${VAR} replaced from the environment (the Dockerfile's defaults);
- extravars: the spec's fields, ``ansible_operator_meta``, ``_mlops_mlops_dev_notebookvalidationjob`` (+ ``_spec``),
  then the watch's ``vars``; strings wrapped as ``{"__ansible_unsafe": ...}`` when ``markUnsafe`` is set;
- env/envvars K8S_AUTH_KUBECONFIG and KUBECONFIG (the given cluster's kubeconfig instead of the operator's proxy);
- ``ansible-runner run <dir> --rotate-artifacts N --role <name> --roles-path <dir> --hosts localhost -i <ident>``
  (+ ``--role-skip-facts`` as ANSIBLE_GATHERING=explicit asks);
- the requeue is read from the job events like the operator does: task_action ``operator_sdk.util.requeue_after``,
  ``res.period``.

A stand-in operator_sdk.util collection (requeue_after/osdk_metric with the real modules' interfaces) records
the metrics. The role is taken from the installed collection ($ANSIBLE_COLLECTIONS_PATH, as `make` sets it).
Used by tests/integration/test_operator_contract.py and by the demo.
"""

import glob
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from ansible_collections.mlops.gitops.plugins.module_utils import nvj

REPO = Path(__file__).resolve().parent.parent
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
    """watches.yaml's first watch with ``${VAR}`` replaced from ``env``, as the operator image reads it."""
    text = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), m.group(0)), (REPO / "watches.yaml").read_text())
    watch = yaml.safe_load(text)[0]
    if (watch["group"], watch["version"], watch["kind"]) != WATCH_GVK:
        raise ValueError("watches.yaml: the first watch must be {}, not {}".format(
            "/".join(WATCH_GVK), "/".join((watch["group"], watch["version"], watch["kind"]))))
    return watch


def mark_unsafe(value):
    """Every string wrapped as ansible-operator's markUnsafe does, so Ansible never templates user text."""
    if isinstance(value, list):
        return [mark_unsafe(v) for v in value]
    if isinstance(value, dict):
        return dict((k, mark_unsafe(v)) for k, v in value.items())
    if isinstance(value, str):
        return {"__ansible_unsafe": value}
    return value


def make_parameters(watch, obj):
    """The extravars ansible-operator passes for ``obj`` (runner.go makeParameters)."""
    spec = obj.get("spec") or {}
    if watch.get("snakeCaseParameters") is not False:
        raise ValueError("watches.yaml: set snakeCaseParameters: false; this stand-in does not convert spec keys")
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
        """``cluster`` needs only ``.kubeconfig``; ``tmp_path`` holds the runner dirs and the metrics log;
        ``env_overrides`` are set over the Dockerfile's ENV (NOTEBOOK_CONTROLLER_*)."""
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
        """One run of the role for the job ``namespace/name``: ``{"rc", "failures", "requeue", "result", "stdout"}``,
        or None when the operator would not run it (the job is gone)."""
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

    def metrics(self):
        """What the role reported through operator_sdk.util.osdk_metric (with the stand-in collection)."""
        if not self.metrics_log.exists():
            return []
        return [json.loads(line) for line in self.metrics_log.read_text().splitlines()]

    @staticmethod
    def read_events(artifacts, proc):
        """The run's outcome as reconcile.go reads it from ansible-runner's job events."""
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


