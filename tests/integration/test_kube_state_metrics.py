"""Issue 12 item 4: labelled metrics through the real kube-state-metrics. The binary built from its Go module
(`make kube-state-metrics`) runs with the collection's CustomResourceStateMetrics file, as installed from the
tarball, against the real control plane, as a ServiceAccount holding only the RBAC docs/operator.md documents.
The test plays the Go operator (status through the status subresource), runs the real reconcile task, scrapes
kube-state-metrics' /metrics over HTTP and checks each series and the PromQL docs/operator.md gives."""

import datetime
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from ansible_collections.mlops.gitops.plugins.module_utils import nvj, trigger_record, trigger_verbs

from harness.cluster import free_port
from harness.real_operator import parse_metrics
from harness import world
from tests.integration.test_reconcile_action import TASK, reconcile_task

REPO = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("MLOPS_KSM_BIN", REPO / ".build" / "bin" / "kube-state-metrics"))
ROLE = Path(nvj.__file__).resolve().parents[2] / "roles" / "notebook_controller_deploy"  # the installed one
CONFIG = ROLE / "files" / "kube-state-metrics.yaml"
PREFIX = "mlops_notebookvalidationjob_"
SECOND = "evaluate-model"


def ksm_rules():
    return yaml.safe_load((ROLE / "vars" / "main.yml").read_text())[
        "notebook_controller_deploy_kube_state_metrics_permissions"]


class KubeStateMetrics:
    """A running kube-state-metrics; ``series(namespace)`` scrapes /metrics for one namespace's jobs."""

    def __init__(self, kubeconfig, workdir):
        self.port, self.telemetry_port = free_port(), free_port()
        self.log = Path(workdir) / "kube-state-metrics.log"
        command = [str(BINARY), "--kubeconfig", str(kubeconfig), "--custom-resource-state-only",
                   "--custom-resource-state-config-file", str(CONFIG),
                   "--host", "127.0.0.1", "--port", str(self.port),
                   "--telemetry-host", "127.0.0.1", "--telemetry-port", str(self.telemetry_port)]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

    def scrape(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as reply:
            return reply.read().decode()

    def series(self, namespace):
        """{(name without the prefix, ((label, value), ...) without namespace and the CR labels): value}."""
        out = {}
        for (name, labels), value in parse_metrics(self.scrape()).items():
            labels = dict(labels)
            if name.startswith(PREFIX) and labels.pop("namespace", None) == namespace:
                kept = tuple((k, v) for k, v in sorted(labels.items()) if not k.startswith("customresource_"))
                out[(name[len(PREFIX):], kept)] = value
        return out

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"kube-state-metrics exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                self.scrape()
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        pytest.fail(f"kube-state-metrics did not serve /metrics in {timeout} s:\n{self.log.read_text()[-3000:]}")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def ksm_binary():
    """Checked before the cluster starts: under make the target is a prerequisite, so a missing binary is a
    failure there; a bare pytest run skips."""
    if not BINARY.is_file():
        message = f"{BINARY} is not built: run `make kube-state-metrics`"
        if os.environ.get("MAKELEVEL"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture
def ksm(ksm_binary, cluster, tmp_path):
    with cluster.restricted(tmp_path, cluster_rules=ksm_rules(), name="kube-state-metrics") as (_user, kubeconfig):
        running = KubeStateMetrics(kubeconfig, tmp_path)
        try:
            yield running.wait_ready()
        finally:
            running.stop()
        assert "forbidden" not in running.log.read_text().lower(), running.log.read_text()[-3000:]


def until(check, what, timeout=20):
    """Poll ``check()`` (kube-state-metrics updates from its watch) until it returns a truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"kube-state-metrics never showed {what}"
            return value
        time.sleep(0.2)


def job_series(series, job_name):
    """{(name, labels without job_name): value} for one job."""
    out = {}
    for (name, labels), value in series.items():
        labels = dict(labels)
        if labels.pop("job_name", None) == job_name:
            out[(name, tuple(sorted(labels.items())))] = value
    return out


def values(series, name):
    """{labels: value} of one metric."""
    return {labels: value for (n, labels), value in series.items() if n == name}


def count_by(series, name, label):
    """PromQL `count by (<label>) (<name>)`."""
    out = {}
    for labels in values(series, name):
        key = dict(labels).get(label)
        out[key] = out.get(key, 0) + 1
    return out


def completions_last_hour(series):
    """PromQL `count by (phase) (completion_time_seconds > time() - 3600)` (docs/operator.md)."""
    recent = {ls: v for ls, v in values(series, "completion_time_seconds").items() if v > time.time() - 3600}
    return count_by({("completion_time_seconds", ls): v for ls, v in recent.items()}, "completion_time_seconds",
                    "phase")


def triggers_last_hour(series):
    """PromQL `sum by (action, result) (trigger_targets and on(namespace, job_name)
    (completion_time_seconds > time() - 3600))` (docs/operator.md; one namespace here)."""
    recent = {dict(ls)["job_name"] for ls, v in values(series, "completion_time_seconds").items()
              if v > time.time() - 3600}
    out = {}
    for labels, value in values(series, "trigger_targets").items():
        labels = dict(labels)
        if labels["job_name"] in recent:
            key = (labels["action"], labels["result"])
            out[key] = out.get(key, 0) + value
    return out


def durations(series):
    """PromQL `completion_time_seconds - ignoring(phase) start_time_seconds`, by (job_name, phase)."""
    starts = {dict(ls)["job_name"]: v for ls, v in values(series, "start_time_seconds").items()}
    return {(dict(ls)["job_name"], dict(ls)["phase"]): v - starts[dict(ls)["job_name"]]
            for ls, v in values(series, "completion_time_seconds").items()}


def unix(moment):
    return float(int(moment.timestamp()))


def reconcile(playbook, namespace, name=world.JOB_NAME):
    res = playbook.run([reconcile_task(namespace, name=name)]).result(TASK)
    assert not res.get("failed"), res
    return res


def test_series_follow_a_job_through_its_phases_and_completions(ksm_binary, api, playbook, namespace, ksm):
    world.build(api, namespace)
    start = datetime.datetime.now(datetime.UTC).replace(microsecond=0) - datetime.timedelta(minutes=5)
    for phase in world.PHASES:
        world.set_phase(api, namespace, world.JOB_NAME, phase, started=world.stamp(start))
        seen = until(lambda p=phase: (s := ksm.series(namespace)) and values(s, "status_phase").get(
            (("job_name", world.JOB_NAME), ("phase", p))) == 1 and s, "phase " + phase)
        phases = job_series(seen, world.JOB_NAME)
        # a stateset: every documented phase is a series, exactly one of them 1
        assert sum(v for (n, _), v in phases.items() if n == "status_phase") == 1
        assert count_by(seen, "status_phase", "phase").keys() == {
            "Initializing", "Building", "BuildComplete", "ValidationRunning", "Pending", "Running", "Succeeded",
            "Failed"}
        assert phases[("start_time_seconds", ())] == unix(start)
        assert not [n for n, _ in phases if n not in ("status_phase", "start_time_seconds")], phases

    # Succeeded: the status series at once, the markers and the trigger outcome after the reconcile
    done = start + datetime.timedelta(minutes=5, seconds=30)
    world.set_phase(api, namespace, world.JOB_NAME, "Succeeded", started=world.stamp(start),
                    completed=world.stamp(done))
    until(lambda: values(ksm.series(namespace), "completion_time_seconds"), "the completion time")
    first = reconcile(playbook, namespace)
    assert first["changed"] is True
    restart_ok = (("action", "restart"), ("result", "succeeded"))
    outcome = ("trigger_targets", tuple(sorted((("job_name", world.JOB_NAME),) + restart_ok)))
    seen = until(lambda: (s := ksm.series(namespace)) and outcome in s and s, "the trigger outcome")
    mine = job_series(seen, world.JOB_NAME)
    assert mine[("completion_time_seconds", (("phase", "Succeeded"),))] == unix(done)
    assert mine[("wave_complete", ())] == 3
    assert ("wave_failed", ()) not in mine
    assert mine[("trigger_targets", restart_ok)] == 1
    assert [k for k in mine if k[0] == "trigger_targets"] == [("trigger_targets", restart_ok)]
    assert durations(seen) == {(world.JOB_NAME, "Succeeded"): 330}
    assert completions_last_hour(seen) == {"Succeeded": 1}
    assert triggers_last_hour(seen) == {("restart", "succeeded"): 1}
    # the 16 trigger_targets entries are one family: one HELP line each, as Prometheus and OpenMetrics want
    helps = re.findall(r"^# HELP (mlops_\S+)", ksm.scrape(), re.MULTILINE)
    assert sorted(helps) == sorted(set(helps)) and PREFIX + "trigger_targets" in helps, helps

    # once per completion: a second reconcile of the same completion changes no series
    second = reconcile(playbook, namespace)
    assert second["changed"] is False
    time.sleep(1)
    assert ksm.series(namespace) == seen

    # a second job, failed: a second set of series, counted under its own phase
    world.create_job(api, namespace, SECOND, wave="5")
    failed_at = start + datetime.timedelta(minutes=2)
    world.set_phase(api, namespace, SECOND, "Failed", started=world.stamp(start), completed=world.stamp(failed_at))
    reconcile(playbook, namespace, name=SECOND)
    seen = until(lambda: (s := ksm.series(namespace)) and ("wave_failed", (("job_name", SECOND),)) in s and s,
                 "the second job's failure marker")
    assert completions_last_hour(seen) == {"Succeeded": 1, "Failed": 1}
    assert triggers_last_hour(seen) == {("restart", "succeeded"): 1}
    assert durations(seen) == {(world.JOB_NAME, "Succeeded"): 330, (SECOND, "Failed"): 120}
    theirs = job_series(seen, SECOND)
    assert theirs[("wave_failed", ())] == 5 and ("wave_complete", ()) not in theirs
    assert not [k for k in theirs if k[0] == "trigger_targets"]  # triggers fire on success only
    assert job_series(seen, world.JOB_NAME) == mine  # the first job's series did not move

    # the first job runs again: its completion series go, its markers go after the reconcile; the
    # trigger outcome of its last completion stays until the next one replaces it
    world.set_phase(api, namespace, world.JOB_NAME, "ValidationRunning", started=world.stamp(done))
    reconcile(playbook, namespace)
    seen = until(lambda: (s := ksm.series(namespace)) and ("wave_complete", (("job_name", world.JOB_NAME),))
                 not in s and s, "the re-run without markers")
    rerun = job_series(seen, world.JOB_NAME)
    assert not [k for k in rerun if k[0] in ("completion_time_seconds", "wave_complete", "wave_failed")], rerun
    assert rerun[("status_phase", (("phase", "ValidationRunning"),))] == 1
    in_phase = {}  # PromQL `sum by (phase) (status_phase)`: jobs in each phase now
    for labels, value in values(seen, "status_phase").items():
        in_phase[dict(labels)["phase"]] = in_phase.get(dict(labels)["phase"], 0) + value
    assert {phase: n for phase, n in in_phase.items() if n} == {"ValidationRunning": 1, "Failed": 1}
    assert rerun[("trigger_targets", restart_ok)] == 1
    # and completes again: one new completion, one more trigger outcome for the new record
    world.create_pods(api, namespace)
    again = done + datetime.timedelta(minutes=1)
    world.set_phase(api, namespace, world.JOB_NAME, "Succeeded", started=world.stamp(done),
                    completed=world.stamp(again))
    reconcile(playbook, namespace)
    seen = until(lambda: (s := ksm.series(namespace)) and ("wave_complete", (("job_name", world.JOB_NAME),))
                 in s and s, "the second completion")
    assert job_series(seen, world.JOB_NAME)[("completion_time_seconds", (("phase", "Succeeded"),))] == unix(again)
    assert job_series(seen, world.JOB_NAME)[("trigger_targets", restart_ok)] == 1
    assert durations(seen)[(world.JOB_NAME, "Succeeded")] == 60

    # a deleted job's series disappear; the other job's stay
    api.delete(nvj.API_VERSION, nvj.KIND, SECOND, namespace=namespace)
    seen = until(lambda: (s := ksm.series(namespace)) and not job_series(s, SECOND) and s, "the deletion")
    assert job_series(seen, world.JOB_NAME)
    assert completions_last_hour(seen) == {"Succeeded": 1}


# The phases the Go operator writes before a terminal one (its api/v1alpha1 types; Pending and Running are legacy).
GO_OPERATOR_RUNNING_PHASES = ("Initializing", "Building", "BuildComplete", "ValidationRunning", "Pending", "Running")


def test_the_config_covers_every_phase_marker_and_trigger_outcome():
    """The shipped file names what the collection writes: every phase, both wave markers, and one
    trigger_targets entry per action and result, reading that pair's annotation."""
    [resource] = yaml.safe_load(CONFIG.read_text())["spec"]["resources"]
    metrics = resource["metrics"]
    [phases] = [m["each"]["stateSet"]["list"] for m in metrics if m["name"] == "status_phase"]
    assert set(phases) == set(GO_OPERATOR_RUNNING_PHASES + nvj.TERMINAL_PHASES)
    paths = {m["name"]: m["each"]["gauge"]["path"] for m in metrics if m["each"]["type"] == "Gauge"
             and m["name"] != "trigger_targets"}
    assert paths["wave_complete"] == ["metadata", "annotations", nvj.ANN_WAVE_COMPLETE]
    assert paths["wave_failed"] == ["metadata", "annotations", nvj.ANN_WAVE_FAILED]
    counted = {(m["commonLabels"]["action"], m["commonLabels"]["result"]): m["each"]["gauge"]["path"]
               for m in metrics if m["name"] == "trigger_targets"}
    assert counted == {(a, r): ["metadata", "annotations", trigger_record.outcome_annotation(a, r)]
                       for a in trigger_verbs.ACTIONS for r in trigger_record.RESULTS}
