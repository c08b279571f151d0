"""The one test world: every object the tests, the demo and the benchmarks create, built from the sample
manifests in tests/data/samples, and the NotebookValidationJob's phases written as the Go operator writes
them (a merge patch of ``.status`` through the status subresource).

Three layers, use the one you need:

- **builders** return a dict, ready to create: ``job``, ``application``, ``app_project``,
  ``inference_service``, ``deployment``, ``pod``, ``event``. Each starts from its sample, renamed into the
  test's namespace, without the fields the API server sets (uid, resourceVersion, creationTimestamp,
  ownerReferences) and without finalizers no controller here would remove.
- **the Go operator**: ``status`` (what it writes for a phase), ``set_phase`` (writes it), ``run_phases``
  (Initializing -> Building -> BuildComplete -> ValidationRunning -> Succeeded/Failed).
- **the platform scenario** of the controller tests, demo and benchmarks: an Application ``platform``, an
  InferenceService ``predictor`` with predictor pods and a job ``train-model`` (sync wave 3) whose on-success
  trigger restarts it. ``scenario`` returns the objects; ``build`` creates them with the collection's
  ``KubeApi`` (the job not started yet); ``load_scenario`` loads them with ``TestCluster.load`` (the job
  already Succeeded, after the pods were created, so they serve the model it replaced).

Everything works on the local control plane and on a user's cluster ($KUBECONFIG).
"""

import copy
import datetime
import functools
import json
import time
from pathlib import Path

import yaml

from ansible_collections.mlops.gitops.plugins.module_utils import nvj

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "data" / "samples"

APP = ("argoproj.io/v1alpha1", "Application")
PROJECT = ("argoproj.io/v1alpha1", "AppProject")
ARGOCD = ("argoproj.io/v1beta1", "ArgoCD")
# The health check the collection ships, and the argocd-cm key plain Argo CD reads it from.
HEALTH_LUA = (Path(__file__).resolve().parents[1] / "roles" / "argocd_health_check" / "files"
              / "resource_customizations" / "mlops.mlops.dev" / "NotebookValidationJob" / "health.lua")
HEALTH_KEY = "resource.customizations.health.mlops.mlops.dev_NotebookValidationJob"
ISVC = ("serving.kserve.io/v1beta1", "InferenceService")
DEPLOY = ("apps/v1", "Deployment")
ISVC_LABEL = "serving.kserve.io/inferenceservice"
# On a real cluster with KServe, its controller adds predictor pods of its own: count only the test's.
WORLD_LABEL = "mlops.dev/test-world"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# The Go operator's phases, in the order it reports them (jupyter-notebook-validator-operator).
PHASES = ("Initializing", "Building", "BuildComplete", "ValidationRunning")
STARTED = "2026-01-24T22:00:00Z"

# The platform scenario.
APP_NAME = "platform"
ISVC_NAME = "predictor"
JOB_NAME = "train-model"
DEPLOY_NAME = "feature-server"
RESTART_TRIGGER = (
    "- {apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, name: predictor, action: restart}\n"
)


def stamp(moment=None):
    """RFC 3339 in whole seconds, as the API server writes times; ``moment`` defaults to now."""
    return nvj.rfc3339(moment or datetime.datetime.now(datetime.UTC))


# -- the samples ------------------------------------------------------------------------------------
@functools.cache
def _documents(filename):
    with open(SAMPLES / filename, encoding="utf-8") as handle:
        return tuple(doc for doc in yaml.safe_load_all(handle) if doc)


def documents(filename):
    """Every document of one sample file, as written there (copies)."""
    return [copy.deepcopy(doc) for doc in _documents(filename)]


def sample(filename, kind):
    """A copy of the first ``kind`` in ``tests/data/samples/<filename>``."""
    for doc in _documents(filename):
        if doc.get("kind") == kind:
            return copy.deepcopy(doc)
    raise AssertionError("no {0} in {1}".format(kind, SAMPLES / filename))


def creatable(obj, name=None, namespace=None):
    """``obj`` as a user would apply it: without what the API server sets, without finalizers (no Argo CD
    runs here to remove them), renamed when ``name``/``namespace`` are given. Status is kept."""
    obj = copy.deepcopy(obj)
    meta = obj["metadata"]
    for key in ("uid", "resourceVersion", "creationTimestamp", "ownerReferences", "finalizers"):
        meta.pop(key, None)
    if name is not None:
        meta["name"] = name
    if namespace is not None:
        meta["namespace"] = namespace
    return obj


def _renamed(filename, kind, name, namespace, labels=None, annotations=None):
    obj = creatable(sample(filename, kind), name, namespace)
    obj.pop("status", None)
    if labels is not None:
        obj["metadata"]["labels"] = dict(labels)
    if annotations is not None:
        obj["metadata"]["annotations"] = dict(annotations)
    return obj


# -- builders ---------------------------------------------------------------------------------------
def job(namespace, name=JOB_NAME, wave=None, trigger=None, trigger_annotation=nvj.ANN_TRIGGER, labels=None,
        annotations=None, status=None):
    """A NotebookValidationJob (the ADR-048 sample's spec) with only the labels and annotations given:
    ``wave`` (sync wave), ``trigger`` (on-success trigger text, under ``trigger_annotation``). ``status``
    (see ``status()``) is written through the status subresource by ``create``/``TestCluster.load``."""
    ann = dict(annotations or {})
    if wave is not None:
        ann[nvj.ANN_SYNC_WAVE] = str(wave)
    if trigger is not None:
        ann[trigger_annotation] = trigger
    obj = _renamed("notebookvalidationjob-predictive-analytics.yaml", nvj.KIND, name, namespace,
                   labels=labels or {}, annotations=ann)
    if status:
        obj["status"] = status
    return obj


def tracking_id(app_name, namespace, name):
    """Argo CD's annotation-based tracking id of a job ``namespace/name`` deployed by ``app_name``."""
    return "{0}:{1}/{2}:{3}/{4}".format(app_name, nvj.GROUP, nvj.KIND, namespace, name)


def application(namespace, name=APP_NAME, destination=None, status=None, resources=None):
    """An Argo CD Application in ``namespace`` deploying into ``destination`` (default: ``namespace``).
    It has no status unless given one: ``status`` as a whole (see ``application_status``), or only the
    ``status.resources`` Argo CD reports (manifests that set their own namespace) as ``resources``."""
    obj = _renamed("argocd-application.yaml", APP[1], name, namespace)
    obj["spec"]["destination"]["namespace"] = destination or namespace
    if status is not None:
        obj["status"] = status
    elif resources is not None:
        obj["status"] = {"resources": list(resources)}
    return obj


def application_status(phase="Succeeded", started=None):
    """The sample Application's status with its last operation in ``phase`` (``Running``: a sync runs)."""
    status = sample("argocd-application.yaml", APP[1])["status"]
    status["operationState"]["phase"] = phase
    if started is not None:
        status["operationState"]["startedAt"] = started
    return status


class GitOpsRepository:
    """A GitOps repository Argo CD syncs from: a local git repository reached as ``file://`` (as Argo CD's own
    end-to-end tests reach theirs; the repo server clones it with git). ``commit({path: objects})`` writes
    manifests (a dict, or a list of them as one multi-document file; None deletes the file) and commits them;
    it returns the commit's SHA. The branch is ``main``."""

    def __init__(self, path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._git("init", "-q", "-b", "main")

    @property
    def url(self):
        return self.path.resolve().as_uri()

    def _git(self, *args):
        import subprocess

        env = {"GIT_AUTHOR_NAME": "mlops tests", "GIT_AUTHOR_EMAIL": "tests@mlops.dev", "GIT_COMMITTER_NAME":
               "mlops tests", "GIT_COMMITTER_EMAIL": "tests@mlops.dev", "GIT_CONFIG_GLOBAL": "/dev/null",
               "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(self.path), "PATH": "/usr/bin:/bin"}
        return subprocess.run(["git", *args], cwd=self.path, env=env, check=True, capture_output=True,
                              text=True).stdout.strip()

    def commit(self, files, message="manifests"):
        for name, content in files.items():
            target = self.path / name
            if content is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            docs = [creatable(d) for d in (content if isinstance(content, list) else [content])]
            for doc in docs:  # as a person writes a manifest: an empty map is left out (the server drops it,
                for key in ("labels", "annotations"):  # and Argo CD would then see the object OutOfSync)
                    if not doc["metadata"].get(key, True):
                        del doc["metadata"][key]
            target.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
        self._git("add", "-A")
        self._git("commit", "-q", "--allow-empty", "-m", message)
        return self._git("rev-parse", "HEAD")


def gitops_application(argocd_namespace, name, repo, destination, automated=False, path=".", retry=None,
                       sync_options=None):
    """An Application for the real Argo CD: the sample's, syncing ``path`` of ``repo`` (a
    ``GitOpsRepository``) at ``main`` into namespace ``destination``; its sync policy automated (prune,
    self-heal) or manual; ``retry`` (Argo CD's ``syncPolicy.retry``) and ``sync_options`` as given. No
    finalizer: deleting it leaves the resources, which go with the test's namespace."""
    obj = _renamed("argocd-application.yaml", APP[1], name, argocd_namespace, labels={})
    obj["metadata"].pop("finalizers", None)
    obj["spec"]["source"] = {"repoURL": repo.url, "targetRevision": "main", "path": path}
    obj["spec"]["destination"] = {"server": "https://kubernetes.default.svc", "namespace": destination}
    policy = {}
    if automated:
        policy["automated"] = {"prune": True, "selfHeal": True}
    if retry is not None:
        policy["retry"] = retry
    if sync_options is not None:
        policy["syncOptions"] = list(sync_options)
    obj["spec"]["syncPolicy"] = policy
    return obj


def app_project(namespace, name="default", destinations=None):
    """An Argo CD AppProject in ``namespace`` (the Argo CD namespace) allowing ``destinations``."""
    obj = _renamed("argocd-appproject.yaml", PROJECT[1], name, namespace)
    if destinations is not None:
        obj["spec"]["destinations"] = [{"server": "https://kubernetes.default.svc", "namespace": ns}
                                       for ns in destinations]
    return obj


def argocd_cm(namespace, data=None):
    """Argo CD's ``argocd-cm`` in ``namespace``, holding the sample's keys, or ``data``."""
    obj = _renamed("argocd-configmaps.yaml", "ConfigMap", "argocd-cm", namespace)
    if data is not None:
        obj["data"] = dict(data)
    return obj


def argocd(namespace, name="argocd", health_checks=None):
    """The Argo CD Operator's ``ArgoCD`` resource in ``namespace``, with the sample's health check (someone
    else's), or ``health_checks``."""
    obj = _renamed("argocd-argocd.yaml", ARGOCD[1], name, namespace)
    if health_checks is not None:
        obj["spec"]["resourceHealthChecks"] = list(health_checks)
    return obj


def inference_service(namespace, name=ISVC_NAME):
    """A KServe InferenceService (RawDeployment); no status: KServe's controller does not run here."""
    return _renamed("inferenceservice-predictive-analytics.yaml", ISVC[1], name, namespace)


def deployment(namespace, name=DEPLOY_NAME, replicas=None, selector=None, isvc=None):
    """The sample predictor Deployment, renamed. ``isvc``: it stands in for the one KServe creates for that
    InferenceService (its pods carry the predictor labels, the world's included); ``selector`` (a label
    value): ``app: <selector>`` is its only selector and pod label, so its pods are nobody's predictor."""
    obj = _renamed("inferenceservice-predictive-analytics.yaml", DEPLOY[1], name, namespace)
    spec = obj["spec"]
    if replicas is not None:
        spec["replicas"] = replicas
    if isvc is not None:
        app = "isvc.{0}-predictor".format(isvc)
        spec["selector"] = {"matchLabels": {"app": app}}
        spec["template"]["metadata"]["labels"].update({"app": app, ISVC_LABEL: isvc, WORLD_LABEL: "predictor"})
    if selector is not None:
        spec["selector"] = {"matchLabels": {"app": selector}}
        spec["template"]["metadata"]["labels"] = {"app": selector}
    return obj


def model_storage(namespace, claim="model-storage"):
    """The predictor's model storage: a PersistentVolumeClaim ``claim`` (what the sample Deployment mounts) and a
    PersistentVolume made for it (hostPath; no container runs), bound to each other by name, as a
    provisioner would leave them. Without it the scheduler leaves the Deployment's pods Pending."""
    volume = f"{namespace}-{claim}"[:253]
    pv = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": volume},
          "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "",
                   "persistentVolumeReclaimPolicy": "Retain", "hostPath": {"path": f"/mnt/models/{volume}"},
                   "claimRef": {"namespace": namespace, "name": claim}}}
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": claim, "namespace": namespace},
           "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "", "volumeName": volume,
                    "resources": {"requests": {"storage": "1Gi"}}}}
    return [pv, pvc]


def pod(namespace, name, isvc=ISVC_NAME):
    """A predictor pod of InferenceService ``isvc``. It names no node and no scheduler runs: it stays
    Pending, and a delete removes it at once."""
    obj = _renamed("inferenceservice-predictive-analytics.yaml", "Pod", name, namespace)
    obj["spec"].pop("nodeName", None)
    obj["metadata"]["labels"].update({ISVC_LABEL: isvc, WORLD_LABEL: "predictor"})
    return obj


def event(namespace, involved, reason="ValidationSucceeded", name=None, message=None, event_type="Normal"):
    """A core/v1 Event about ``involved`` (an object as the server returned it), shaped like the sample."""
    meta = nvj.metadata(involved)
    obj = _renamed("events-notebookvalidationjob.yaml", "Event",
                   name or "{0}.{1}".format(meta["name"], nvj.short_hash(reason, 16)), namespace)
    obj["involvedObject"] = {"apiVersion": involved["apiVersion"], "kind": involved["kind"], "name": meta["name"],
                             "namespace": meta.get("namespace"), "uid": meta.get("uid")}
    obj.update(type=event_type, reason=reason, action=reason)
    if message is not None:
        obj["message"] = message
    return obj


def cell_results(total_bytes, cells=10):
    """``status.results`` whose outputs add up to about ``total_bytes`` (what notebooks print)."""
    line = "epoch {0:04d} loss=0.0417 val_loss=0.0433 lr=1e-3 |" + "#" * 40 + "\n"
    per_cell = max(1, total_bytes // cells)
    out = []
    for index in range(cells):
        text = "".join(line.format(i) for i in range(per_cell // len(line.format(0)) + 1))[:per_cell]
        out.append({"cellIndex": index, "status": "Success", "executionTime": "1.2s", "output": text})
    return out


# -- the Go operator --------------------------------------------------------------------------------
def status(name, phase, started=STARTED, completed=None, message=None, retries=0, pod_name=None, results=None):
    """What the Go operator writes for ``phase``: phase, message, startTime, completionTime (``None``
    clears it, as on a re-run), retryCount and, once it has started the validation pod (ValidationRunning
    and after), validationPodName (``<name>-validation`` by default)."""
    has_pod = phase not in PHASES[:-1]
    body = {"phase": phase, "startTime": started, "completionTime": completed,
            "message": message or "phase " + phase, "retryCount": retries,
            "validationPodName": (pod_name or name + "-validation") if has_pod else pod_name}
    if results is not None:
        body["results"] = results
    return body


def set_phase(api, namespace, name, phase, completed=None, started=STARTED, message=None, retries=0,
              pod_name=None):
    """Write the job's status as the Go operator does (merge patch, status subresource); returns the job."""
    return write_status(api, namespace, name, status(name, phase, started, completed, message, retries, pod_name))


def write_status(api, namespace, name, body):
    """What the Go operator does: a merge patch of ``.status`` through the status subresource."""
    return api.patch(nvj.API_VERSION, nvj.KIND, name, {"status": body}, namespace=namespace, subresource="status")


def go_operator_marks_wave(api, namespace, name):
    """What the Go operator does right after it writes a terminal phase (``updateJobPhase`` calls
    ``argocd.SetSyncWaveAnnotations``, internal/controller/argocd/sync_wave.go): if the job has a sync wave, an
    update of its annotations: ``mlops.dev/wave-complete`` (Succeeded) or ``mlops.dev/wave-failed`` (Failed) set
    to the wave, the other one removed, and ``mlops.dev/completion-time`` set to the time of the write (on a
    failure too). Unlike the status write, this is a metadata change: it wakes ansible-operator at once
    (``watchAnnotationsChanges``). Guarded by the resourceVersion, as the Go operator's Update is. Returns the job."""
    obj = get_job(api, namespace, name)
    wave = nvj.annotations(obj).get(nvj.ANN_SYNC_WAVE)
    if not wave or not nvj.is_terminal(obj):
        return obj
    mine, other = ((nvj.ANN_WAVE_COMPLETE, nvj.ANN_WAVE_FAILED) if nvj.phase(obj) == nvj.SUCCEEDED
                   else (nvj.ANN_WAVE_FAILED, nvj.ANN_WAVE_COMPLETE))
    meta = {"resourceVersion": nvj.metadata(obj)["resourceVersion"],
            "annotations": {mine: wave, other: None, nvj.ANN_COMPLETION_TIME: stamp()}}
    return api.patch(nvj.API_VERSION, nvj.KIND, name, {"metadata": meta}, namespace=namespace)


def complete(api, namespace, name, body):
    """The Go operator finishing a job: the terminal status ``body`` (``write_status``), then its wave
    annotations (``go_operator_marks_wave``). ``set_phase`` alone plays the status write only, which is
    all the Go operator writes for a job without a sync wave. Returns the job."""
    write_status(api, namespace, name, body)
    return go_operator_marks_wave(api, namespace, name)


def run_phases(api, namespace, name, outcome=nvj.SUCCEEDED, completed=None, started=STARTED, on_phase=None):
    """Walk the job through every phase the Go operator reports, ending in ``outcome`` (Succeeded or
    Failed) at ``completed`` (default: now); ``on_phase(job)`` runs after each write. Returns the job."""
    for phase in PHASES + (outcome,):
        done = phase == outcome
        obj = set_phase(api, namespace, name, phase, started=started,
                        completed=(completed or stamp()) if done else None)
        if on_phase is not None:
            on_phase(obj)
    return obj


def create(api, obj):
    """Create ``obj`` with the collection's ``KubeApi``; a job's ``status`` goes through the status
    subresource afterwards, as the Go operator writes it. Returns the object as stored."""
    obj = copy.deepcopy(obj)
    body = obj.pop("status", None) if obj["kind"] == nvj.KIND else None
    meta = obj["metadata"]
    created = api.create(obj["apiVersion"], obj["kind"], obj, namespace=meta.get("namespace"))
    if body:
        created = write_status(api, meta["namespace"], meta["name"], body)
    return created


def create_job(api, namespace, name=JOB_NAME, wave="3", annotations=None, labels=None):
    """Create a job (no status yet: the Go operator has not seen it) with the collection's ``KubeApi``."""
    return create(api, job(namespace, name, wave=wave, annotations=annotations, labels=labels))


def get_job(api, namespace, name=JOB_NAME):
    return api.get(nvj.API_VERSION, nvj.KIND, name, namespace)


def trigger_record(obj):
    """The on-success trigger's record on a job (``mlops.dev/trigger-status``, parsed), or None."""
    raw = nvj.annotations(obj).get(nvj.ANN_TRIGGER_STATUS)
    return json.loads(raw) if raw else None


def markers(obj):
    """The wave annotations the controller wrote on a job."""
    keys = (nvj.ANN_WAVE_COMPLETE, nvj.ANN_COMPLETION_TIME, nvj.ANN_WAVE_FAILED, nvj.ANN_FAILURE_TIME)
    return {k: v for k, v in nvj.annotations(obj).items() if k in keys}


# -- the platform scenario ---------------------------------------------------------------------------
def predictor_pod_names(count=2, prefix="old"):
    return ["{0}-{1}-{2}".format(ISVC_NAME, prefix, index) for index in range(count)]


def scenario(namespace, trigger=RESTART_TRIGGER, trigger_annotation=nvj.ANN_TRIGGER, completed=None, app=True,
             operation_running=False, pods=2, deploy=True, job_status=True):
    """The platform's objects, the job last: Application ``platform`` (``app``; with a sync running when
    ``operation_running``), InferenceService ``predictor`` with ``pods`` predictor pods, Deployment
    ``feature-server`` (``deploy``) and job ``train-model`` at wave 3, Succeeded at ``completed`` (default
    ten minutes ago) unless ``job_status`` is False."""
    objs = []
    if app:
        objs.append(application(namespace, status=application_status(
            "Running", stamp(utc(minutes=-1))) if operation_running else None))
    objs.append(inference_service(namespace))
    objs.extend(pod(namespace, name) for name in predictor_pod_names(pods))
    if deploy:
        objs.append(deployment(namespace, replicas=1, selector=DEPLOY_NAME))
    moment = completed or utc(minutes=-10)
    objs.append(job(namespace, wave=3, trigger=trigger, trigger_annotation=trigger_annotation,
                    labels={nvj.LABEL_INSTANCE: APP_NAME},
                    status=status_at(JOB_NAME, nvj.SUCCEEDED, moment) if job_status else None))
    return objs


def status_at(name, phase, moment, results=None):
    """A job's status at ``moment`` (a datetime): in ``phase``, started five minutes before, and completed
    at ``moment`` if ``phase`` is terminal."""
    return status(name, phase, started=stamp(moment - datetime.timedelta(minutes=5)),
                  completed=stamp(moment) if phase in nvj.TERMINAL_PHASES else None, results=results)


def after_pods(loaded):
    """A completion time one second after the newest of the ``loaded`` pods was created (by the server's
    clock, in whole seconds), so those pods served the model the job replaced."""
    created = [nvj.parse_time(o["metadata"]["creationTimestamp"]) for o in loaded if o.get("kind") == "Pod"]
    return max(created) + datetime.timedelta(seconds=1)


def complete_at(obj, moment):
    """Move a job's completion (and start, five minutes before) to ``moment``."""
    obj["status"].update(completionTime=stamp(moment), startTime=stamp(moment - datetime.timedelta(minutes=5)))


def load_scenario(cluster, namespace, wait=False, **kwargs):
    """``scenario`` loaded with ``TestCluster.load``; unless ``completed`` is given, the job completes
    after the pods were created (``wait``: and only once that moment has passed)."""
    objs = scenario(namespace, **kwargs)
    last = objs.pop()
    loaded = cluster.load(objs)
    if kwargs.get("completed") is None and last.get("status"):
        moment = after_pods(loaded)
        complete_at(last, moment)
        pause = (moment - datetime.datetime.now(datetime.UTC)).total_seconds()
        if wait and pause > 0:
            time.sleep(pause)
    return loaded + cluster.load([last])


def build(api, namespace, trigger_annotation=nvj.ANN_TRIGGER, pods=True):
    """The scenario created with ``KubeApi``, without the Deployment and before the Go operator reported
    anything; the Application lives in ``namespace`` too (use it as argocd_namespace). ``pods=False``
    leaves the predictor pods to the caller (a Deployment, for example). Returns the Application's name."""
    for obj in scenario(namespace, trigger_annotation=trigger_annotation, pods=2 if pods else 0, deploy=False,
                        job_status=False):
        create(api, obj)
    return APP_NAME


def create_pods(api, namespace, count=2, prefix="new"):
    """``count`` more predictor pods (what KServe creates after a restart)."""
    return [create(api, pod(namespace, name)) for name in predictor_pod_names(count, prefix)]


def pods(api, namespace):
    """The names of the world's predictor pods that are not being deleted."""
    listed = api.list("v1", "Pod", namespace=namespace, label_selector=WORLD_LABEL)
    return sorted(nvj.metadata(p)["name"] for p in listed if not nvj.metadata(p).get("deletionTimestamp"))


def app_annotations(api, namespace, app_name=APP_NAME):
    return nvj.annotations(api.get(*APP, app_name, namespace))


def events(api, namespace, reason=None, name=JOB_NAME):
    """The Events about job ``name`` (of one ``reason``)."""
    listed = api.list("v1", "Event", namespace=namespace)
    found = [e for e in listed if (e.get("involvedObject") or {}).get("name") == name]
    return [e for e in found if reason is None or e.get("reason") == reason]


def writes(log):
    """The write requests in a slice of the recording proxy's request log."""
    return [entry for entry in log if (entry.get("method") or "").upper() in WRITE_METHODS]


def by_verb(log):
    """``{verb: count}`` of a slice of the recording proxy's request log."""
    out = {}
    for entry in log:
        out[entry["verb"]] = out.get(entry["verb"], 0) + 1
    return out


def wait_for(what, predicate, timeout=60, interval=0.2):
    """``predicate()``'s first true value, polled until ``timeout`` seconds; an AssertionError naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: not seen within {timeout} s")


def utc(**delta):
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0) + datetime.timedelta(**delta)
