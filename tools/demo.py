"""`make demo`: ADR-048's end-to-end scenario, run by the real collection against a Kubernetes API and the real
Argo CD.

A NotebookValidationJob at sync wave 3 trains a model; when it succeeds, its on-success trigger
restarts the InferenceService (wave 4) that serves the model. The demo installs the Argo CD health check
and notifications with the install playbook, commits the job to a GitOps repository that an Argo CD
Application syncs, then plays the Go operator (it writes the job's `.status` through the status
subresource, phase after phase) while the real ansible-operator runs the controller role. After each step it
shows what Argo CD and a person see (the sync operation, which waves are applied, the Application's health,
the notification delivered) and checks it: the demo is also a smoke test (exit code 0 only if every check
held).

Without $KUBECONFIG it starts the local cluster (harness/cluster.py: etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and kwok, built from their Go modules) and Argo CD v3.6
(harness/argocd_local.py: application controller, repo server, notifications controller); with it, it uses
that cluster and the Argo CD it runs in namespace `argocd`; KServe v0.16's controller (harness/kserve_local.py,
RawDeployment mode) serves the InferenceService. What still stands in: the Go operator (its status writes).
"""

import datetime
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the harness package (local cluster, Argo CD, KServe, the real operator, the world)

from ansible_collections.mlops.gitops.plugins.module_utils import nvj  # noqa: E402
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi  # noqa: E402
from harness.argocd_local import LocalArgoCD  # noqa: E402
from harness.kserve_local import AUTOSCALER_NONE, LocalKServe  # noqa: E402
from harness.cluster import LocalCluster, install_crds  # noqa: E402
from harness.real_operator import AnsibleOperator, runtime_missing  # noqa: E402

from harness import world  # noqa: E402
from harness.argocd import SlackReceiver  # noqa: E402

CRDS = REPO / "tests" / "data" / "crds"
ARGOCD = "argocd"
NAMESPACE = "self-healing-platform"
JOB = "predictive-analytics-kserve-validation"
ISVC = "predictive-analytics"
APP = "self-healing-platform"
APP_GVK = ("argoproj.io/v1alpha1", "Application")
ISVC_GVK = ("serving.kserve.io/v1beta1", "InferenceService")
HEALTH_KEY = "resource.customizations.health.mlops.mlops.dev_NotebookValidationJob"
SUBSCRIBE = "notifications.argoproj.io/subscribe.{}.slack"
ISVC_LABEL = "serving.kserve.io/inferenceservice"
WIDTH = 78
OPERATOR_REQUEUE = 2  # seconds; how soon the controller sees a phase the Go operator reported

BOLD, DIM, GREEN, RED, YELLOW, CYAN, RESET = (
    ("\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[33m", "\033[36m", "\033[0m")
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR") else ("",) * 7
)
HEALTH_COLOUR = {"Healthy": GREEN, "Degraded": RED, "Progressing": YELLOW}


# -- output ---------------------------------------------------------------------------------------
class Report:
    """Aligned sections on stdout, and the expectations that decide the exit code."""

    def __init__(self, steps):
        self.steps, self.step = steps, 0
        self.passed, self.failed = 0, []

    def title(self, text):
        print(f"\n{BOLD}{text}{RESET}\n" + "=" * WIDTH)

    def begin(self, text):
        self.step += 1
        self.started = time.monotonic()
        print(f"\n{BOLD}[{self.step}/{self.steps}] {text}{RESET}")

    def row(self, label, value):
        """``label`` and ``value`` in two columns; names are never split at their hyphens."""
        lines = [part for line in str(value).splitlines() or [""]
                 for part in textwrap.wrap(line, WIDTH - 22, subsequent_indent="  ", break_on_hyphens=False,
                                           break_long_words=False) or [""]]
        print(f"      {label:<16}{lines[0]}")
        for line in lines[1:]:
            print(f"      {'':<16}{line}")

    def note(self, text):
        print(f"      {DIM}{text}{RESET}")

    def expect(self, condition, text):
        if condition:
            self.passed += 1
            print(f"      {GREEN}✔{RESET} {text}")
        else:
            self.failed.append(f"[{self.step}/{self.steps}] {text}")
            print(f"      {RED}✘ {text}{RESET}")


# -- the cluster ----------------------------------------------------------------------------------
class Cluster:
    """The demo's Kubernetes API: an admin kubeconfig (ansible-operator gets a ServiceAccount of its own), the
    local cluster and Argo CD when the demo started them."""

    def __init__(self, kubeconfig, local=None, argocd=None, kserve=None):
        self.kubeconfig, self.local, self.argocd, self.kserve = kubeconfig, local, argocd, kserve

    def stop(self):
        for running in (self.kserve, self.argocd):
            if running is not None:
                running.stop()
        if self.local is not None:
            self.local.stop()


def start_cluster(workdir):
    if os.environ.get("KUBECONFIG"):
        kubeconfig = os.environ["KUBECONFIG"].split(os.pathsep)[0]
        install_crds(kubeconfig, sorted(CRDS.glob("*.yaml")), only_missing=True)
        return Cluster(kubeconfig), "the cluster $KUBECONFIG names, and its Argo CD in namespace argocd"
    local = LocalCluster(workdir / "cluster", log=None, pods=True).start()
    cluster = Cluster(local.kubeconfig, local)
    try:
        install_crds(local.kubeconfig, sorted(CRDS.glob("*.yaml")))
        cluster.argocd = LocalArgoCD(workdir / "argocd", local.kubeconfig, log=None).start()
        cluster.kserve = LocalKServe(workdir / "kserve", local.kubeconfig, log=None).start()
    except BaseException:
        cluster.stop()
        raise
    return cluster, (
        f"local cluster: kube-apiserver {local.version()} at {local.url}, etcd, kube-controller-manager, "
        f"kube-scheduler, kwok (pods run)\nArgo CD: {cluster.argocd.version()} in namespace {ARGOCD}, ready in "
        f"{cluster.argocd.ready_seconds:.1f} s (application controller, repo server, notifications controller)\n"
        f"KServe: controller v0.16 (RawDeployment), ready in {cluster.kserve.ready_seconds:.1f} s")


def ensure(api, obj, replace=False):
    """Create ``obj`` unless it exists; ``replace`` deletes an existing one first (demo-owned objects)."""
    api_version, kind, meta = obj["apiVersion"], obj["kind"], obj["metadata"]
    current = api.get(api_version, kind, meta["name"], meta.get("namespace"))
    if current is not None and replace:
        api.delete(api_version, kind, meta["name"], meta.get("namespace"))
        for _ in range(60):
            if api.get(api_version, kind, meta["name"], meta.get("namespace")) is None:
                break
            time.sleep(0.5)
        current = None
    if current is None:
        body = world.creatable(obj)
        body.pop("status", None)  # as a user applies it: the controllers that own the status write it
        return api.create(api_version, kind, body, namespace=meta.get("namespace"))
    return current


def stamp(offset=0):
    return world.stamp(datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=offset))


# -- what a person looks at -----------------------------------------------------------------------
def installed_health_lua(api):
    """The check as Argo CD reads it: argocd-cm, or the ArgoCD CR (Argo CD Operator)."""
    cm = api.get("v1", "ConfigMap", "argocd-cm", ARGOCD) or {}
    if HEALTH_KEY in (cm.get("data") or {}):
        return cm["data"][HEALTH_KEY], "argocd-cm"
    for argocd in api.list("argoproj.io/v1beta1", "ArgoCD", namespace=ARGOCD):
        for check in (argocd.get("spec") or {}).get("resourceHealthChecks") or []:
            if check.get("group") == nvj.GROUP and check.get("kind") == nvj.KIND:
                return check["check"], f"ArgoCD {nvj.metadata(argocd)['name']}"
    return None, None


def application_status(app):
    annotations = nvj.annotations(app or {})
    raw = annotations.get(nvj.ANN_NOTEBOOK_STATUS)
    return (json.loads(raw) if raw else None), annotations.get(nvj.ANN_NOTEBOOK_SUMMARY)


def job_events(api, uid):
    events = api.list("v1", "Event", namespace=NAMESPACE, field_selector=f"involvedObject.uid={uid}")
    return sorted(events, key=lambda e: (e.get("lastTimestamp") or e.get("eventTime") or "", nvj.metadata(e)["name"]))


def short_event(event):
    """The message without the job's name (every line is about the job), cut to about three lines."""
    message = (event.get("message") or "").replace(f"{nvj.KIND} {NAMESPACE}/{JOB}", "").lstrip(" :;")
    return message if len(message) <= 170 else message[:167] + "..."


def operation(app):
    return ((app or {}).get("status") or {}).get("operationState") or {}


def health(app):
    return ((app or {}).get("status") or {}).get("health") or {}


def manifest(doc):
    """A sample as a person commits it: no status, no tracking id (Argo CD writes its own)."""
    body = world.creatable(doc)
    body.pop("status", None)
    body["metadata"].pop("uid", None)
    (body["metadata"].get("annotations") or {}).pop("argocd.argoproj.io/tracking-id", None)
    return body


def waves(app):
    """What the last sync operation applied, wave by wave (the wave from each manifest's annotation)."""
    out = []
    for result in (operation(app).get("syncResult") or {}).get("resources") or []:
        out.append(f"{result['kind']} {result['name']}: {result.get('message') or result.get('status')}")
    return "\n".join(out) or "nothing yet"


def until(predicate, timeout=60, interval=0.3):
    """``predicate()``'s first true value within ``timeout`` seconds, else its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# -- the demo -------------------------------------------------------------------------------------
class Demo:
    def __init__(self, report, cluster, api, operator, workdir):
        self.report, self.cluster, self.api, self.operator = report, cluster, api, operator
        self.repo = world.GitOpsRepository(workdir / "gitops")
        self.slack = SlackReceiver()
        self.seen_events = set()
        self.seen_posts = 0
        self.lua = None
        self.uid = None

    def app(self):
        return self.api.get(*APP_GVK, APP, ARGOCD)

    def load_scenario(self):
        r = self.report
        r.begin("The platform: Argo CD syncs the InferenceService from git; KServe serves the model")
        for doc in world.documents("00-namespaces.yaml"):
            ensure(self.api, doc)
        for doc in world.model_storage(NAMESPACE):  # the model's volume (what a provisioner would bind)
            ensure(self.api, doc)
        isvc = manifest(next(d for d in world.documents("inferenceservice-predictive-analytics.yaml")
                             if d["kind"] == ISVC_GVK[1]))
        # KServe leaves the replica count to an HPA it creates; no HPA controller runs here
        isvc["metadata"]["annotations"].update(AUTOSCALER_NONE)
        self.revision = self.repo.commit({"inferenceservice.yaml": isvc}, "serve predictive-analytics")
        app = world.gitops_application(ARGOCD, APP, self.repo, NAMESPACE, automated=True, retry={"limit": 0})
        app["metadata"]["annotations"] = {SUBSCRIBE.format(t): "ml-team" for t in (
            "on-notebook-validation-succeeded", "on-notebook-validation-failed")}
        ensure(self.api, app, replace=True)
        until(lambda: len(running_pods(self.api)) == 2, timeout=120)
        app = until(lambda: (lambda a: a if health(a).get("status") == "Healthy" and (
            a["status"].get("sync") or {}).get("status") == "Synced" else None)(self.app()), timeout=120)
        r.row("Git", f"{self.repo.url} at {self.revision[:7]}: the InferenceService (sync wave 4)")
        r.row("Application", f"{ARGOCD}/{APP}: automated sync, retry limit 0; notifications to Slack channel ml-team")
        r.row("Argo CD", "{}, {} at {}".format(health(app).get("status"), ((app or {}).get("status") or {}).get(
            "sync", {}).get("status"), self.revision[:7]))
        r.row("Predictor pods", ", ".join(running_pods(self.api)))
        r.expect(bool(app), "Argo CD synced the InferenceService, KServe made it Ready: the Application is Synced "
                            "and Healthy")
        r.expect(len(running_pods(self.api)) == 2, "KServe's predictor runs two pods with the current model")

    def install(self):
        r = self.report
        r.begin("Install the health check and notifications: ansible-playbook mlops.gitops.install")
        env = dict(os.environ, K8S_AUTH_KUBECONFIG=self.cluster.kubeconfig, KUBECONFIG=self.cluster.kubeconfig,
                   ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOCALHOST_WARNING="false",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
        started = time.monotonic()
        playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
        proc = subprocess.run([playbook, "mlops.gitops.install", "-e", "argocd_namespace=" + ARGOCD],
                              capture_output=True, text=True, env=env, timeout=300)
        try:
            plays = json.loads(proc.stdout)["plays"]
        except (ValueError, KeyError):
            plays = []
        changed = [t["task"]["name"] for p in plays for t in p["tasks"]
                   if t["hosts"].get("localhost", {}).get("changed")]
        r.row("Playbook", f"rc={proc.returncode} in {time.monotonic() - started:.1f} s")
        r.row("Changed", "\n".join(name.split(" : ")[-1] for name in changed) or "nothing")
        r.expect(proc.returncode == 0, "the install playbook succeeded" + ("" if proc.returncode == 0 else
                                                                           ":\n" + (proc.stdout + proc.stderr)[-2000:]))
        self.lua, where = installed_health_lua(self.api)
        role_lua = (REPO / "roles" / "argocd_health_check" / "files" / "resource_customizations" / nvj.GROUP / nvj.KIND
                    / "health.lua").read_text()
        r.row("Health check", f"{where} ({len((self.lua or '').splitlines())} lines of Lua), read by the running "
                              "Argo CD without a restart")
        r.expect(self.lua == role_lua, "the installed Lua is byte for byte the tested health.lua")
        # Argo CD's Slack service, pointed at a receiver in this process (its apiURL)
        self.api.patch("v1", "ConfigMap", "argocd-notifications-cm", {"data": {
            "service.slack": f"apiURL: {self.slack.url}\ntoken: xoxb-mlops-demo\n"}}, namespace=ARGOCD)
        data = (self.api.get("v1", "ConfigMap", "argocd-notifications-cm", ARGOCD) or {}).get("data") or {}
        ours = sorted(k for k in data if "notebook" in k)
        r.row("Notifications", "{} triggers, {} templates in argocd-notifications-cm:\n{}".format(
            sum(k.startswith("trigger.") for k in ours), sum(k.startswith("template.") for k in ours),
            "\n".join(k.split(".", 1)[1] for k in ours if k.startswith("trigger."))))
        r.row("Slack", f"Argo CD's Slack service posts to a receiver at {self.slack.url}")
        r.expect(any(k.startswith("trigger.") for k in ours), "the notification triggers and templates are installed")

    def commit_job(self, title, job, message):
        """A new revision in git, and a refresh of the Application, as Argo CD's git webhook would ask for one."""
        r = self.report
        r.begin(title)
        self.revision = self.repo.commit({"notebookvalidationjob.yaml": job}, message)
        before = nvj.metadata(self.api.get(nvj.API_VERSION, nvj.KIND, JOB, NAMESPACE) or {"metadata": {}}).get(
            "generation")
        started = time.time()
        self.api.patch(*APP_GVK, APP, {"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal"}}},
                       namespace=ARGOCD)
        # Watched closely: the step writes the Go operator's status as soon as this returns, and the Go operator
        # resets a job's status within milliseconds of its new generation, before ansible-operator's run (which
        # the same spec change wakes) has started ansible-runner and read the job. A run that read the job
        # first would see the last revision's Succeeded and leave its wave-complete marker (docs/sync-waves.md).
        job = until(lambda: (lambda j: j if j and nvj.metadata(j).get("generation") != before else None)(
            self.api.get(nvj.API_VERSION, nvj.KIND, JOB, NAMESPACE)), interval=0.02)
        r.row("Git", f"{self.revision[:7]} {message}")
        r.expect(bool(job), f"Argo CD applied the job of revision {self.revision[:7]} (sync wave 3)")
        self.uid = nvj.metadata(job or {}).get("uid")
        return started

    def phase(self, title=None, status=None, terminal=False, since=None, settled=None):
        """One step: the Go operator writes .status (and, at a completion, its wave annotations); ansible-operator
        runs the controller; Argo CD does what it does. ``settled(app)`` says when Argo CD has reacted."""
        r = self.report
        if title is not None:
            r.begin(title)
        pods_before = running_pods(self.api)
        if status is not None:
            (world.complete if terminal else world.write_status)(self.api, NAMESPACE, JOB, status)
        started = time.monotonic()
        run = self.operator.next_run(JOB, NAMESPACE, timeout=60, since=since) or {
            "job": None, "rc": None, "failures": ["ansible-operator started no run within 60 s"], "requeue": None,
            "result": None}
        result = run["result"] or {}
        app = until(lambda: (lambda a: a if settled is None or settled(a) else None)(self.app()), timeout=60) \
            or self.app()
        job = self.api.get(nvj.API_VERSION, nvj.KIND, JOB, NAMESPACE)
        r.row("Controller", "rc={} in {:.1f} s, {}, {}".format(
            run["rc"], time.monotonic() - started, "changed something" if result.get("changed") else "no change",
            "requeue in " + run["requeue"] if run["requeue"] else "no requeue"))
        r.expect(run["rc"] == 0 and not run["failures"], "the controller run succeeded" +
                 ("" if run["rc"] == 0 else f": {run['failures'] or run['stdout'][-1500:]}"))
        op = operation(app)
        r.row("Sync operation", "{} {}".format(op.get("phase"), op.get("message") or ""))
        r.row("Applied", waves(app))
        state = health(app).get("status")
        r.row("Argo CD health", f"{HEALTH_COLOUR.get(state, '')}{state}{RESET}  {health(app).get('message') or ''}")
        markers = world.markers(job)
        r.row("Wave markers", "  ".join(f"{k.split('/')[1]}={v}" for k, v in markers.items()) or "none")
        pods_after = until(lambda: (lambda p: p if len(p) == 2 else None)(running_pods(self.api)), timeout=30) \
            or running_pods(self.api)
        if pods_after != pods_before:
            r.row("Predictor pods", "before: {}\nafter:  {}".format(", ".join(pods_before), ", ".join(pods_after)))
        else:
            r.row("Predictor pods", "unchanged: " + ", ".join(pods_after))
        notebook_status, summary = application_status(app)
        if notebook_status:
            counts = ", ".join(f"{k} {notebook_status.get(k)}" for k in ("total", "succeeded", "failed", "running"))
            r.row("Application", f"{summary}\n{counts}")
            if notebook_status.get("failedJobs"):
                r.row("Failed jobs", ", ".join(notebook_status["failedJobs"]))
        new_events = [e for e in job_events(self.api, self.uid) if nvj.metadata(e)["name"] not in self.seen_events]
        self.seen_events.update(nvj.metadata(e)["name"] for e in new_events)
        r.row("Events", "\n".join(f"{e.get('type')} {e.get('reason')}: {short_event(e)}"
                                  for e in new_events) or "none new")
        return {"run": run, "job": job, "app": app, "health": state, "operation": op, "markers": markers,
                "pods_before": pods_before, "pods_after": pods_after, "status": notebook_status, "summary": summary,
                "events": new_events}

    def notifications(self, wait_for=0):
        """The Slack messages Argo CD's notifications controller posted since the last call (waits for
        ``wait_for`` of them, 30 s at most)."""
        until(lambda: len(self.slack.posts()) >= self.seen_posts + wait_for, timeout=30)
        posts = self.slack.posts()[self.seen_posts:]
        self.seen_posts += len(posts)
        self.report.row("Notification", "\n".join(f"Slack #{p.get('channel')}: {p.get('text', '').splitlines()[0]}"
                                                  for p in posts) or "none")
        return posts

    def repeat(self, what, previous):
        """What may follow the ``previous`` step's run, and nothing else: a run that writes nothing. When that run
        asked for a requeue, the next run must come (within the period and a few seconds more); when it did not, a
        run comes only if its own annotation writes woke one, so no run at all is right too."""
        wait = OPERATOR_REQUEUE + 6
        run = self.operator.next_run(JOB, NAMESPACE, timeout=wait, after=previous["run"]["job"])
        if run is None:
            requeue = previous["run"]["requeue"]
            self.report.expect(not requeue, f"no further run: the controller stays quiet ({what})" if not requeue else
                               f"the requeue after {requeue} is honoured ({what}): no run came in {wait} s")
            return
        result = run["result"] or {}
        writes = [k for k in ("create", "patch", "update", "delete") if (result.get("requests") or {}).get(k)]
        self.report.expect(run["rc"] == 0 and result.get("changed") is False and not writes,
                           f"a repeated reconcile writes nothing ({what})")


def running_pods(api):
    return sorted(nvj.metadata(p)["name"] for p in api.list("v1", "Pod", namespace=NAMESPACE,
                                                             label_selector=f"{ISVC_LABEL}={ISVC}")
                  if not nvj.metadata(p).get("deletionTimestamp") and (p.get("status") or {}).get("phase") == "Running")


def held(app):
    return operation(app).get("phase") == "Running" and "waiting for healthy state of " + nvj.GROUP in (
        operation(app).get("message") or "")


def walk(demo):
    r = demo.report
    t0 = stamp(-600)
    job = manifest(world.documents("notebookvalidationjob-predictive-analytics.yaml")[0])
    since = demo.commit_job("Git: the validation job lands at sync wave 3 (before the InferenceService's wave 4)",
                            job, "validate and retrain predictive-analytics")
    trigger = yaml.safe_load(nvj.annotations(job)[nvj.ANN_TRIGGER])[0]
    r.row("On success", "{} {} {}/{}".format(trigger["action"], trigger["kind"], trigger.get("namespace", NAMESPACE),
                                           trigger["name"]))
    step = demo.phase(since=since, settled=held)
    r.expect(held(step["app"]), "Argo CD holds the sync at wave 3: waiting for healthy state of the job")
    r.expect(step["health"] == "Progressing", "the Application is Progressing (the job has no status yet)")
    r.expect(step["markers"] == {}, "no wave marker yet")
    r.expect(step["status"] and step["status"]["total"] == 1 and step["status"]["running"] == 1,
             "the Application counts one running notebook")

    for phase, message in zip(world.PHASES, ("Resolving the notebook from git", "Building the validation image",
                                             "Image built", "Running 4 cells")):
        step = demo.phase(f"The Go operator reports phase {phase}", world.status(JOB, phase, t0, message=message),
                          settled=held)
        r.expect(held(step["app"]), "the sync is still held at wave 3")
        r.expect(step["pods_after"] == step["pods_before"], "the InferenceService is left alone")
    demo.repeat("ValidationRunning, unchanged", step)

    completed = stamp(1)  # after the pods were created: they serve the old model
    step = demo.phase("The Go operator reports Succeeded: the notebook has trained a new model", world.status(
        JOB, "Succeeded", t0, completed, message="Notebook validation completed successfully (4/4 cells)"),
        terminal=True, settled=lambda a: operation(a).get("phase") == "Succeeded")
    r.expect(step["operation"].get("phase") == "Succeeded", "Argo CD went on to wave 4 and the sync Succeeded")
    r.expect(step["markers"].get(nvj.ANN_WAVE_COMPLETE) == "3", "wave marker wave-complete=3")
    r.expect(step["pods_before"] and not set(step["pods_before"]) & set(step["pods_after"])
             and len(step["pods_after"]) == 2,
             "the trigger restarted the InferenceService: two new predictor pods run, the old ones are gone")
    record = world.trigger_record(step["job"]) or {}
    r.expect([t.get("result") for t in record.get("targets", [])] == ["succeeded"],
             "the trigger's outcome is recorded on the job (mlops.dev/trigger-status)")
    reasons = [e.get("reason") for e in step["events"]]
    r.expect(reasons.count("ValidationSucceeded") == 1, "one ValidationSucceeded Event")
    r.expect(step["status"]["succeeded"] == 1 and step["status"]["failed"] == 0,
             "the Application's status annotations count the success")
    posts = demo.notifications(wait_for=1)
    r.expect(len(posts) == 1 and "succeeded" in posts[0].get("text", ""),
             "Argo CD's notifications controller sent one success message")
    r.expect(until(lambda: health(demo.app()).get("status") == "Healthy", timeout=30),
             "the Application is Healthy")
    pods = step["pods_after"]
    demo.repeat("Succeeded again: the trigger does not fire twice", step)
    r.expect(running_pods(demo.api) == pods, "the new pods were not restarted again")

    # A new revision of the job in git (its spec changes: a new generation, which wakes ansible-operator; a
    # status change alone never does); Argo CD applies it and the Go operator starts it again.
    rerun = stamp()
    job["spec"]["notebook"]["git"]["ref"] = "retrain-2"
    since = demo.commit_job("Re-run: a new revision of the job in git; the Go operator runs it again", job,
                            "retrain on the new data")
    world.write_status(demo.api, NAMESPACE, JOB, world.status(JOB, "ValidationRunning", rerun,
                                                               message="Running 4 cells"))
    step = demo.phase(since=since)
    r.expect(step["health"] == "Progressing", "the Application is Progressing again")
    # The run the spec change wakes races the Go operator's reset (docs/sync-waves.md, "A job changed in git while
    # its last run Succeeded"): a run that read the job first saw the last revision's Succeeded, and its marker
    # stays until the Go operator's wave annotations at the new run's end (the next step) wake a run.
    if ((step["run"]["result"] or {}).get("phase")) == "Succeeded":
        r.expect(step["markers"].get(nvj.ANN_WAVE_COMPLETE) == "3", "the run read the job before the Go operator's "
                 "reset (a race docs/sync-waves.md describes): the last revision's marker stays until the next wake")
    else:
        r.expect(step["markers"] == {}, "the stale wave-complete marker is cleared, nothing waits on it")

    step = demo.phase("The Go operator reports Failed: a cell raised an error", world.status(
        JOB, "Failed", rerun, stamp(1), retries=3, message="Cell 2 failed: ValueError: input contains NaN"),
        terminal=True, settled=lambda a: health(a).get("status") == "Degraded")
    r.expect(step["health"] == "Degraded", "Argo CD shows the Application Degraded")
    r.expect(step["markers"].get(nvj.ANN_WAVE_FAILED) == "3", "wave marker wave-failed=3")
    r.expect(step["pods_after"] == step["pods_before"], "no restart on failure")
    r.expect([e.get("reason") for e in step["events"]].count("ValidationFailed") == 1, "one ValidationFailed Event")
    r.expect(step["status"]["failed"] == 1 and step["status"].get("failedJobs") == [JOB],
             "the Application names the failed job (the notification triggers read this)")
    posts = demo.notifications(wait_for=1)
    r.expect(len(posts) == 1 and "failed" in posts[0].get("text", ""),
             "Argo CD's notifications controller sent one failure message")
    demo.repeat("Failed again", step)
    r.expect(len(demo.notifications()) == 0, "no further message")


def main():
    missing = runtime_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    report = Report(steps=10)
    report.title("mlops.gitops demo: ADR-048's notebook -> model -> InferenceService workflow")
    with tempfile.TemporaryDirectory(prefix="mlops-gitops-demo-") as tmp:
        workdir = Path(tmp)
        cluster, where = start_cluster(workdir)
        print(f"Kubernetes API: {where}")
        print(textwrap.fill(
            "Steps 3-10: Argo CD syncs the job from git, the demo plays the Go operator (it writes the job's "
            ".status); the real ansible-operator runs the controller role, KServe serves the model; each step "
            "shows what Argo CD and a person see, and checks it (✔: the check held).", WIDTH))
        operator = None
        try:
            api = KubeApi.from_auth(kubeconfig=cluster.kubeconfig)
            # The real ansible-operator (harness/real_operator.py): the Deployment's env and args, its own
            # ServiceAccount under the deploy role's RBAC, watching the scenario's namespace.
            operator = AnsibleOperator(cluster.kubeconfig, workdir / "operator", [NAMESPACE], env={
                "NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE": ARGOCD,
                "NOTEBOOK_CONTROLLER_MIN_INTERVAL": "0",  # no debounce, so every step shows on the Application
                "NOTEBOOK_CONTROLLER_RUNNING_REQUEUE": str(OPERATOR_REQUEUE),  # 10 s in production
                "NOTEBOOK_CONTROLLER_RUNNING_REQUEUE_MAX": str(OPERATOR_REQUEUE),  # 10 s in production
                # 60 s in production, where the Go operator's wave annotations wake the run; the demo writes
                # the status only, so its job's poll is what notices each phase
                "NOTEBOOK_CONTROLLER_ANNOUNCED_REQUEUE_MAX": str(OPERATOR_REQUEUE),
            })
            demo = Demo(report, cluster, api, operator, workdir)
            demo.load_scenario()
            demo.install()
            if demo.lua is None:
                report.expect(False, "the health check is installed; stopping here")
            else:
                operator.start()
                print(f"ansible-operator: {operator.log_path}")
                walk(demo)
        finally:
            if operator is not None:
                operator.stop()
            cluster.stop()

    print("\n" + "=" * WIDTH)
    if report.failed:
        total = report.passed + len(report.failed)
        print(f"{RED}{len(report.failed)} of {total} checks failed:{RESET}")
        for line in report.failed:
            print("  ✘ " + line)
        return 1
    print(f"{GREEN}All {report.passed} checks held.{RESET}")
    print("\nNext, the same against a real cluster with Argo CD in `argocd` and the CRDs of")
    print("tests/data/crds (it creates the scenario in `self-healing-platform` and `argocd`):")
    print("    KUBECONFIG=~/.kube/config make demo")
    print("Run the controller there for real: docs/operator.md (image, RBAC, Deployment);")
    print("install from AWX: docs/awx.md; everything step by step: docs/quickstart.md.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
