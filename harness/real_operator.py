"""The real ansible-operator, run the way the controller's Deployment runs it, against the test cluster.

What is real: the `ansible-operator` binary (built from ansible-operator-plugins by tools/gobuild), its
watch, predicates, work queue, proxy, event receiver, requeue parsing and metrics; `ansible-runner` with
the runner `http` event plugin, ansible-core 2.18 and kubernetes 33.1.0 (the base image's pins, in
$(BUILD)/operator-venv); the collection installed from its tarball; the cluster's RBAC, with a token
of the controller's own ServiceAccount (TokenRequest API) under the ClusterRole the deploy role grants.

What differs from the pod, and why:
- `watches.yaml` is the project's file plus one var, `notebook_controller_in_cluster_kubeconfig`: the pod's
  in-cluster kubeconfig names https://kubernetes.default.svc and the token file of a mounted
  ServiceAccount, which do not exist outside a pod; the same kubeconfig shape names the test server and a
  token file instead (same ServiceAccount, same RBAC, re-read every run like the projected token).
- Flags the pod gets from its environment: `--leader-election-namespace` (a pod reads its namespace from
  the service-account mount), loopback metrics/probe addresses on free ports, `--watches-file`, and
  `--zap-time-encoding=epoch` (sub-second log timestamps, to order runs against the test's writes).
- `WATCH_NAMESPACE` is the test's namespace(s), so the operator never touches other tests' jobs.

ansible-operator hard-codes its metrics receiver (localhost:5050, cmd.go, which mlops.gitops.operator_metrics posts
to), the proxy address it writes into each run's kubeconfig (http://localhost:8888, whatever --proxy-port says) and
its runner directories (/tmp/ansible-operator/runner): one operator per machine at a time. ``start`` takes an
exclusive lock on
/tmp/ansible-operator.lock (held until ``stop``) and clears the runner directories.

A second replica (``netns=True``, for leader election) runs in network and mount namespaces of its own
(``unshare``, as root here; a pod has both anyway): its own loopback for 8888 and 5050, its own
/tmp/ansible-operator, and the API server reached through a relay over a unix socket (the file system is
shared), at the same address, so the same kubeconfigs and TLS names work. It takes no lock: nothing it binds
or writes is shared with the operator that holds it.
"""

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

if __package__ in (None, ""):  # run as a script: the harness package is imported from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
REPO = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("MLOPS_BUILD", REPO / ".build"))
VENV = Path(os.environ.get("MLOPS_OPERATOR_VENV", BUILD / "operator-venv"))
COLLECTIONS = Path(os.environ.get("MLOPS_OPERATOR_COLLECTIONS", BUILD / "operator-collections"))
BINARY = Path(os.environ.get("MLOPS_OPERATOR_BIN", REPO / ".build" / "bin" / "ansible-operator"))
LOCK = Path("/tmp/ansible-operator.lock")
RUNNER_DIR = Path("/tmp/ansible-operator")
GVK = ("mlops.mlops.dev", "v1alpha1", "NotebookValidationJob")
FIXED_PORTS = (8888, 5050)


class OperatorError(RuntimeError):
    pass


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def dockerfile_env():
    """The Dockerfile's ENV defaults (the image's environment before the Deployment's)."""
    text = (REPO / "Dockerfile").read_text()
    block = text.split("\nENV ", 1)[1]
    return dict(re.findall(r"([A-Z_]+)=(\S+?)\s*(?:\\|$)", block, re.M))


def runtime_missing():
    """Why the runtime cannot run here, or None."""
    if not BINARY.is_file():
        return f"{BINARY} is not built: run `make operator-runtime`"
    if not (VENV / ".installed").exists():
        return f"{VENV} is not set up: run `make operator-runtime`"
    if not (COLLECTIONS / "ansible_collections" / "mlops" / "gitops").is_dir():
        return f"the collection is not installed in {COLLECTIONS}: run `make operator-runtime`"
    return None


def parse_metrics(text):
    """Prometheus text format -> {(name, ((label, value), ...)): float}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)", line)
        if not match:
            continue
        labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or "")))
        out[(match.group(1), labels)] = float(match.group(3))
    return out


class ControllerIdentity:
    """The controller's ServiceAccount, ClusterRole and bindings from the deploy role's templates (real
    RBAC), under a unique name so that tests never collide; a token from the TokenRequest API."""

    def __init__(self, cluster, workdir):
        self.admin_kubeconfig = str(getattr(cluster, "kubeconfig", cluster))
        self.workdir = Path(workdir)
        self.suffix = secrets.token_hex(3)
        self.name = f"mlops-gitops-controller-{self.suffix}"
        self.namespace = f"mlops-gitops-system-{self.suffix}"
        self.objects = []
        self.token_file = self.workdir / "token"
        self.kubeconfig = None
        self.server = None
        self.ca_file = None
        self.scraper_token = None

    def api_client(self):
        from kubernetes import config

        return config.new_client_from_config(config_file=self.admin_kubeconfig)

    def overrides(self):
        return {"notebook_controller_deploy_namespace": self.namespace,
                "notebook_controller_deploy_name": self.name,
                "notebook_controller_deploy_image": "controller:test"}

    def render(self):
        from harness.controller_config import render_objects

        return render_objects(self.overrides())

    def deployment(self):
        return next(o for o in self.render() if o["kind"] == "Deployment")

    def create(self):
        from kubernetes import dynamic

        client = dynamic.DynamicClient(self.api_client())
        for obj in self.render():
            if obj["kind"] == "Deployment":
                continue  # the operator runs here, not in a pod
            resource = client.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            namespace = obj["metadata"].get("namespace") if resource.namespaced else None
            resource.create(body=obj, namespace=namespace)
            self.objects.append((resource, obj["metadata"]["name"], namespace))
        self.refresh_token()
        self.kubeconfig = self._write_kubeconfig()
        self._create_scraper(client)
        self._wait_authorized()
        return self

    def _create_scraper(self, client):
        """A ServiceAccount bound to the ``-metrics-reader`` ClusterRole (when the role renders one), as a
        Prometheus would be: /metrics is served with --metrics-require-rbac."""
        from kubernetes import client as k8s

        readers = [o for o in self.render() if o["kind"] == "ClusterRole"
                   and o["metadata"]["name"].endswith("-metrics-reader")]
        if not readers:
            return
        name = f"{self.name}-scraper"
        objects = [
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": self.namespace}},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                         "name": readers[0]["metadata"]["name"]},
             "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": self.namespace}]},
        ]
        for obj in objects:
            resource = client.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            namespace = self.namespace if resource.namespaced else None
            resource.create(body=obj, namespace=namespace)
            self.objects.append((resource, obj["metadata"]["name"], namespace))
        core = k8s.CoreV1Api(self.api_client())
        self.scraper_token = core.create_namespaced_service_account_token(
            name, self.namespace, k8s.AuthenticationV1TokenRequest(spec=k8s.V1TokenRequestSpec(audiences=[]))
        ).status.token

    def refresh_token(self, seconds=3600):
        from kubernetes import client

        core = client.CoreV1Api(self.api_client())
        request = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(
            audiences=[], expiration_seconds=seconds))
        token = core.create_namespaced_service_account_token(self.name, self.namespace, request).status.token
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.token_file.write_text(token)
        self.token_file.chmod(0o600)
        return token

    def _write_kubeconfig(self):
        admin = yaml.safe_load(Path(self.admin_kubeconfig).read_text())
        context = next(c["context"] for c in admin["contexts"] if c["name"] == admin["current-context"])
        entry = next(c["cluster"] for c in admin["clusters"] if c["name"] == context["cluster"])
        self.server = entry["server"]
        self.ca_file = entry.get("certificate-authority")
        config = {"apiVersion": "v1", "kind": "Config",
                  "clusters": [{"name": "test", "cluster": entry}],
                  "users": [{"name": self.name, "user": {"tokenFile": str(self.token_file)}}],
                  "contexts": [{"name": "test", "context": {"cluster": "test", "user": self.name,
                                                            "namespace": self.namespace}}],
                  "current-context": "test"}
        path = self.workdir / "controller.kubeconfig"
        path.write_text(json.dumps(config, indent=1))
        path.chmod(0o600)
        return str(path)

    def in_cluster_kubeconfig(self):
        """The role's vars/main.yml in-cluster kubeconfig, with this server and token file."""
        return {"apiVersion": "v1", "kind": "Config",
                "clusters": [{"name": "in-cluster", "cluster": {"server": self.server,
                                                                "certificate-authority": self.ca_file}}],
                "users": [{"name": "service-account", "user": {"tokenFile": str(self.token_file)}}],
                "contexts": [{"name": "in-cluster", "context": {"cluster": "in-cluster",
                                                                "user": "service-account"}}],
                "current-context": "in-cluster"}

    def _wait_authorized(self, timeout=15):
        """RBAC reaches the authorizer through an informer: wait until the grants are in force."""
        from kubernetes import client, config

        auth = client.AuthorizationV1Api(config.new_client_from_config(config_file=self.kubeconfig))
        review = {"spec": {"resourceAttributes": {"verb": "watch", "group": GVK[0],
                                                  "resource": "notebookvalidationjobs"}}}
        deadline = time.monotonic() + timeout
        while not auth.create_self_subject_access_review(review).status.allowed:
            if time.monotonic() > deadline:
                raise OperatorError(f"{self.name}: RBAC not in force after {timeout} s")
            time.sleep(0.1)

    def delete(self):
        from kubernetes.dynamic.exceptions import NotFoundError

        for resource, name, namespace in reversed(self.objects):
            with contextlib.suppress(NotFoundError):
                resource.delete(name=name, namespace=namespace)
        self.objects.clear()


class AnsibleOperator:
    """``ansible-operator run`` for the project's watches.yaml, the Dockerfile's ENV and the Deployment's
    env and args, in its own process group; see the module docstring for what differs from the pod."""

    def __init__(self, cluster, workdir, namespaces, env=None, args=(), api="in-cluster", identity=None,
                 netns=False, watches=None):
        self.workdir = Path(workdir)
        self.namespaces = [namespaces] if isinstance(namespaces, str) else list(namespaces)
        self.env_overrides = dict(env or {})
        self.extra_args = list(args)
        self.api = api
        self.identity = identity or ControllerIdentity(cluster, self.workdir / "identity")
        self.own_identity = identity is None
        self.proc = None
        self.log_path = self.workdir / "ansible-operator.log"
        self.metrics_port = self.probe_port = None
        self.command_line = []
        self.netns = netns
        self.watches = watches  # a watches.yaml text instead of the project's (benchmark 5's floor)
        self._lock = None
        self._started = False
        self._relay = None

    # ------------------------------------------------------------ lifecycle

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout=60, until="Starting workers"):
        """Start it and wait until its log says ``until`` (a standby replica never starts its workers:
        ``until="attempting to acquire leader lease"`` for it)."""
        missing = runtime_missing()
        if missing:
            raise OperatorError(missing)
        if self.netns and not shutil.which("unshare"):
            raise OperatorError("a second replica needs unshare (util-linux) for its own network namespace")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._started = True
        try:
            if not self.netns:
                self._acquire_lock()
                deadline = time.monotonic() + 60  # an operator that has just been stopped may still be exiting
                while [p for p in FIXED_PORTS if port_in_use(p)] and time.monotonic() < deadline:
                    time.sleep(1)
                busy = [p for p in FIXED_PORTS if port_in_use(p)]
                if busy:
                    raise OperatorError(f"ports {busy} are taken: another ansible-operator (not started by these "
                                        "tests) is running on this machine")
                shutil.rmtree(RUNNER_DIR, ignore_errors=True)
            if self.own_identity:
                self.identity.create()
            self._spawn()
            self._wait_started(timeout, until)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        if not self._started:
            return  # never started (or stopped already): nothing here is ours
        self._started = False
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):  # runners it left behind
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self._relay is not None:
            self._relay.close()
            self._relay = None
        if self.own_identity:
            self.identity.delete()
        if not self.netns:
            shutil.rmtree(RUNNER_DIR, ignore_errors=True)
        self._release_lock()

    def kill(self):
        """SIGKILL ansible-operator and every process under it at once, as a node that loses the pod would: its
        ansible-runner children and the ansible-playbook each runs in a session of its own (pexpect's pty), so
        not in its process group. Frozen first (SIGSTOP, from the top down), so that none acts or reaps while
        the others die. ``stop`` cleans up after it (lock, relay, runner directory)."""
        frozen = []
        pending = [self.proc.pid]
        while pending:
            pid = pending.pop()
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
                frozen.append(pid)
            pending.extend(p for p in _children(pid) if p not in frozen)
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait()
        return frozen

    def _acquire_lock(self, timeout=900):
        handle = open(LOCK, "a+")  # noqa: SIM115 - held until stop()
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    handle.close()
                    raise OperatorError(f"{LOCK} held by another ansible-operator test for {timeout} s") from None
                time.sleep(0.5)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock = handle

    def _release_lock(self):
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    # ------------------------------------------------------------ what it runs with

    def watches_file(self):
        """The project's watches.yaml (``${VAR}`` left for ansible-operator to expand), plus the
        in-cluster kubeconfig var when the role talks to the API server directly."""
        source = self.watches or (REPO / "watches.yaml").read_text()
        watches = yaml.safe_load(source)
        if self.api == "in-cluster":
            watches[0].setdefault("vars", {})["notebook_controller_in_cluster_kubeconfig"] = \
                self.identity.in_cluster_kubeconfig()
        text = yaml.safe_dump(watches, sort_keys=False)
        # a var quoted in the file ("${VAR}": a string even when VAR is empty) stays quoted
        for name, reference in re.findall(r'^\s+(\w+): "(\$\{\w+\})"', source, re.M):
            text = text.replace(f"{name}: {reference}\n", f'{name}: "{reference}"\n')
        path = self.workdir / "watches.yaml"
        path.write_text(text)
        return path

    def environment(self):
        container = self.identity.deployment()["spec"]["template"]["spec"]["containers"][0]
        env = {"PATH": f"{VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(self.workdir / "home"),
               "LANG": "C.UTF-8", "VIRTUAL_ENV": str(VENV),
               "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS)}
        env.update(dockerfile_env())
        env.update({e["name"]: e["value"] for e in container["env"]})
        env["WATCH_NAMESPACE"] = ",".join(self.namespaces)
        env["NOTEBOOK_CONTROLLER_API"] = "in-cluster" if self.api == "in-cluster" else "kubeconfig"
        env.update(self.env_overrides)
        env["KUBECONFIG"] = self.identity.kubeconfig
        Path(env["HOME"]).mkdir(parents=True, exist_ok=True)
        return env

    def command(self):
        container = self.identity.deployment()["spec"]["template"]["spec"]["containers"][0]
        self.metrics_port, self.probe_port = free_port(), free_port()
        args = [a for a in container["args"] if not a.startswith("--health-probe-bind-address")]
        self.command_line = [str(BINARY), "run", f"--watches-file={self.watches_file()}", *args,
                             f"--leader-election-namespace={self.identity.namespace}",
                             f"--metrics-bind-address=127.0.0.1:{self.metrics_port}",
                             f"--health-probe-bind-address=127.0.0.1:{self.probe_port}",
                             "--zap-time-encoding=epoch",  # sub-second timestamps, to order runs and writes
                             *self.extra_args]
        return self.command_line

    def _spawn(self):
        env, cmd = self.environment(), self.command()
        if self.netns:
            cmd = self._in_own_namespaces(cmd)
        (self.workdir / "command.json").write_text(json.dumps({"cmd": cmd, "env": env}, indent=1))
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives with the process
        self.proc = subprocess.Popen(cmd, cwd=env["HOME"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def _in_own_namespaces(self, cmd):
        """``cmd`` in a network and mount namespace of its own: loopback up, a private
        /tmp/ansible-operator, and the API server's address relayed to the host's over a unix socket."""
        server = urllib.parse.urlsplit(self.identity.server)
        if server.hostname not in ("127.0.0.1", "localhost"):
            raise OperatorError(f"a second replica relays a loopback API server only, not {self.identity.server}")
        socket_path = self.workdir / "apiserver.sock"
        self._relay = Relay(("unix", str(socket_path)), ("tcp", (server.hostname, server.port))).start()
        private = self.workdir / "runner-dir"
        private.mkdir(parents=True, exist_ok=True)
        script = " && ".join([
            f"{shutil.which('ip')} link set lo up",
            f"mkdir -p {RUNNER_DIR}",
            f"mount --bind {private} {RUNNER_DIR}",
            f"{sys.executable} {Path(__file__).resolve()} relay --listen tcp:{server.hostname}:{server.port} "
            f"--connect unix:{socket_path}",
            'exec "$@"',
        ])
        unshare = [shutil.which("unshare"), "--net", "--mount", "--fork"]
        if os.geteuid() != 0:
            unshare.insert(1, "--map-root-user")
        return [*unshare, "sh", "-c", script, "replica", *cmd]

    def _wait_started(self, timeout, until="Starting workers"):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise OperatorError(f"ansible-operator exited with {self.proc.returncode}:\n{self.log_tail()}")
            if until in self.log_text():
                return
            if time.monotonic() > deadline:
                raise OperatorError(f"ansible-operator did not log {until!r} in {timeout} s:\n{self.log_tail()}")
            time.sleep(0.2)

    # ------------------------------------------------------------ what it did

    def log_text(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines=40):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def records(self):
        """The operator's JSON log records (non-JSON lines, such as printed task output, are skipped)."""
        out = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    out.append(json.loads(line))
        return out

    def runs(self, name=None, namespace=None):
        """The ansible-runner runs (one ``job`` id each) the operator started, for one job or all."""
        jobs = []
        for record in self.records():
            if "job" not in record:
                continue
            if name is not None and (record.get("name"), record.get("namespace")) != (name, namespace):
                continue
            if record["job"] not in jobs:
                jobs.append(record["job"])
        return jobs

    def requeues(self, name=None, namespace=None):
        """Each 'Set the reconciliation to occur after X' the operator logged: the X."""
        out = []
        for record in self.records():
            match = re.match(r"Set the reconciliation to occur after (\S+)", record.get("msg") or "")
            if match and (name is None or (record.get("name"), record.get("namespace")) == (name, namespace)):
                out.append(match.group(1))
        return out

    def errors(self):
        return [r for r in self.records() if r.get("level") == "error"]

    def metrics(self):
        """The operator's /metrics: HTTPS with a token allowed to read it when the Deployment asks for
        --metrics-secure/--metrics-require-rbac (its certificate is self-signed), else plain HTTP."""
        secure = "--metrics-secure" in self.command_line
        request = urllib.request.Request(f"{'https' if secure else 'http'}://127.0.0.1:{self.metrics_port}/metrics")
        if self.identity.scraper_token:
            request.add_header("Authorization", "Bearer " + self.identity.scraper_token)
        context = ssl._create_unverified_context() if secure else None  # noqa: S323 - self-signed, loopback
        with urllib.request.urlopen(request, timeout=5, context=context) as reply:
            return parse_metrics(reply.read().decode())

    def metric(self, name, **labels):
        """Sum of the series ``name`` whose labels include ``labels``."""
        want = set(labels.items())
        return sum(v for (n, ls), v in self.metrics().items() if n == name and want <= set(ls))

    def cpu_seconds(self):
        """CPU time of the operator and of the runners it has reaped (utime, stime, cutime, cstime)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        own = (int(fields[11]) + int(fields[12])) / ticks
        children = (int(fields[13]) + int(fields[14])) / ticks
        return own, children

    def wait_for(self, predicate, timeout=60, interval=0.25, what="condition"):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if self.proc.poll() is not None:
                raise OperatorError(f"ansible-operator exited with {self.proc.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not met in {timeout} s; operator log:\n{self.log_tail()}")
            time.sleep(interval)

    def run_table(self, name=None, namespace=None):
        """One row per ansible-runner run (a ``job`` id), in start order: ``start`` (its first log record),
        ``end`` (ansible-runner exited, None while it runs), ``ok``, ``requeue`` (the period it asked for) and
        ``returned`` (when ansible-operator read that request and ended the reconcile, before the runner exits)."""
        rows = {}
        for record in self.records():
            if "job" not in record or "ts" not in record:
                continue
            if name is not None and record.get("name") != name:
                continue
            if namespace is not None and record.get("namespace") != namespace:
                continue
            row = rows.setdefault(record["job"], {"job": record["job"], "start": record["ts"], "end": None,
                                                  "ok": None, "requeue": None, "returned": None})
            msg = record.get("msg") or ""
            requeue = re.match(r"Set the reconciliation to occur after (\S+)", msg)
            if requeue:  # the reconcile returns here; ansible-runner exits a few seconds later
                row["requeue"], row["returned"] = requeue.group(1), record["ts"]
            elif msg == "Ansible-runner exited successfully":
                row["end"], row["ok"] = record["ts"], True
            elif record.get("level") == "error" and record.get("logger") == "runner":
                row["end"], row["ok"] = record["ts"], False
        return sorted(rows.values(), key=lambda r: r["start"])

    def busy(self):
        """Reconciles queued or in progress, from ansible-operator's own metrics (controller-runtime's
        ``workqueue_depth`` and ``controller_runtime_active_workers``). A run's first log record comes seconds
        after its reconcile starts on a loaded machine; these count it from the moment it is queued."""
        counted = ("workqueue_depth", "controller_runtime_active_workers")
        return sum(v for (n, _ls), v in self.metrics().items() if n in counted)

    def wait_idle(self, name, namespace, quiet=3.0, timeout=180):
        """Wait until every run of the job has ended, nothing is queued or reconciling (``busy``), and neither
        changed for ``quiet`` seconds. A reconcile our own writes cause (an annotation change) is queued at once,
        so it is waited for, however late its runner starts."""
        deadline = time.monotonic() + timeout
        calm_since = None
        while True:
            table = self.run_table(name, namespace)
            last = max([r["start"] for r in table] + [r["end"] for r in table if r["end"]] + [0])
            calm = all(r["end"] for r in table) and not self.busy()
            calm_since = (calm_since or time.time()) if calm else None
            if calm and time.time() - max(last, calm_since) >= quiet:
                return table
            if time.monotonic() > deadline:
                raise TimeoutError(f"{namespace}/{name} not idle in {timeout} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def artifacts(self, name, namespace, job):
        """ansible-runner's artifacts of one run (kept for the last maxRunnerArtifacts runs)."""
        return RUNNER_DIR.joinpath("runner", *GVK, namespace, name, "artifacts", job)

    def run_result(self, name, namespace, job):
        """One run as ansible-operator read it from the runner's events: ``{"job", "rc", "failures",
        "requeue", "result", "stdout"}`` (``result``: what mlops.gitops.notebook_reconcile returned)."""
        artifacts = self.artifacts(name, namespace, job)
        rc = artifacts / "rc"
        stdout = artifacts / "stdout"
        out = {"job": job, "rc": int(rc.read_text()) if rc.exists() else None, "failures": [], "requeue": None,
               "result": None, "stdout": stdout.read_text(errors="replace")[-4000:] if stdout.exists() else ""}
        paths = sorted(artifacts.glob("job_events/*.json"), key=lambda p: int(p.name.split("-")[0]))
        for path in paths:
            event = json.loads(path.read_text())
            data = event.get("event_data") or {}
            action = data.get("task_action")
            if action in ("operator_sdk.util.requeue_after", "requeue_after") and event["event"] == "runner_on_ok":
                out["requeue"] = (data.get("res") or {}).get("period")
            if event["event"] == "runner_on_failed" and not data.get("ignore_errors"):
                out["failures"].append((data.get("res") or {}).get("msg"))
            if action == "mlops.gitops.notebook_reconcile" and event["event"] in ("runner_on_ok", "runner_on_failed"):
                out["result"] = data.get("res")
        return out

    def next_run(self, name, namespace, timeout=60, after=None, since=None):
        """Wait for the next run of the job that starts from now on (or from ``since``, a time.time(); or, with
        ``after``, a run's job id: the first run that started after that one, however soon), until it has ended;
        its ``run_result``, or None when no run started within ``timeout`` (a quiet controller)."""
        since = time.time() if since is None else since
        if after is not None:
            since = next(r["start"] for r in self.run_table(name, namespace) if r["job"] == after)
        deadline = time.monotonic() + timeout
        while True:
            later = [r for r in self.run_table(name, namespace)
                     if r["start"] >= since and (after is None or r["job"] != after)]
            if later and later[0]["end"]:
                time.sleep(0.3)  # the runner writes rc and the last events as it exits
                return self.run_result(name, namespace, later[0]["job"])
            if not later and time.monotonic() > deadline:
                return None
            if time.monotonic() > deadline + 120:
                raise TimeoutError(f"run {later[0]['job']} of {namespace}/{name} did not end:\n{self.log_tail()}")
            if self.proc.poll() is not None:
                raise OperatorError(f"ansible-operator exited with {self.proc.returncode}:\n{self.log_tail()}")
            time.sleep(0.2)


def _children(pid):
    """The pids whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
    return out


class Relay:
    """Copies bytes between connections accepted on ``listen`` and new ones to ``connect``; each is
    ``("tcp", (host, port))`` or ``("unix", path)``. Threads, in this process; ``close`` stops it."""

    def __init__(self, listen, connect):
        self.listen, self.connect = listen, connect
        self.server = None

    @staticmethod
    def _socket(kind):
        return socket.socket(socket.AF_UNIX if kind == "unix" else socket.AF_INET, socket.SOCK_STREAM)

    def start(self):
        return self.bind().serve()

    def bind(self):
        kind, address = self.listen
        self.server = self._socket(kind)
        if kind == "unix":
            with contextlib.suppress(FileNotFoundError):
                os.unlink(address)
        else:
            self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(address)
        self.server.listen(64)
        return self

    def serve(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return  # closed
            upstream = self._socket(self.connect[0])
            try:
                upstream.connect(self.connect[1])
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

    def close(self):
        with contextlib.suppress(OSError):
            self.server.close()


def _address(text):
    kind, rest = text.split(":", 1)
    if kind == "unix":
        return ("unix", rest)
    host, port = rest.rsplit(":", 1)
    return ("tcp", (host, int(port)))


def _relay(args):
    """Bind, then go to the background (the caller goes on once the address accepts connections)."""
    relay = Relay(_address(args.listen), _address(args.connect)).bind()
    if os.fork():
        os._exit(0)
    relay.serve()  # threads do not survive a fork: start them in the child
    threading.Event().wait()  # serve until killed with the operator's process group (it stays in it)
    relay.close()


# ---------------------------------------------------------------- command line (molecule/operator, make run)
#   python harness/real_operator.py up --kubeconfig K --dir D --namespace NS [--env K=V ...]
#   python harness/real_operator.py down --dir D
#   python harness/real_operator.py run [--kubeconfig K] [--namespace NS ...] [--env K=V ...]   (make run)


def _serve(args, follow=False):
    """Foreground: start the operator, write D/ready.json, run until SIGTERM (or Ctrl-C), then stop everything.
    ``follow``: copy its log to standard output as it grows."""
    env = dict(item.split("=", 1) for item in args.env)
    operator = AnsibleOperator(args.kubeconfig, args.dir, args.namespace, env=env)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    shown = 0
    if follow:
        print(f"ansible-operator starting (watching {', '.join(args.namespace) or 'all namespaces'}); "
              "Ctrl-C stops it", flush=True)
    operator.start(timeout=args.timeout)
    try:
        token_file = Path(args.dir) / "metrics-token"
        token_file.write_text(operator.identity.scraper_token or "")
        token_file.chmod(0o600)
        secure = "--metrics-secure" in operator.command_line
        (Path(args.dir) / "ready.json").write_text(json.dumps({
            "pid": operator.proc.pid, "log": str(operator.log_path), "metrics_port": operator.metrics_port,
            "metrics_url": f"{'https' if secure else 'http'}://127.0.0.1:{operator.metrics_port}/metrics",
            "metrics_token_file": str(token_file),
            "service_account": f"{operator.identity.namespace}/{operator.identity.name}"}))
        while not stopping and operator.proc.poll() is None:
            if follow:
                text = operator.log_text()
                sys.stdout.write(text[shown:])
                sys.stdout.flush()
                shown = len(text)
            time.sleep(0.5)
    finally:
        operator.stop()
    if follow and stopping:
        print("ansible-operator stopped; its ServiceAccount and RBAC deleted", flush=True)
    elif follow:
        print(f"ansible-operator exited with {operator.proc.returncode}:\n{operator.log_tail()}", file=sys.stderr)
    return 0 if stopping else 1


def _run(args):
    """``make run``: the controller in the foreground, as the image runs it, against $KUBECONFIG or the local
    control plane of ``make cluster-up`` (started here when it is not up; it stays up after Ctrl-C)."""
    if not args.kubeconfig:
        cluster_dir = REPO / ".build" / "cluster"
        if not (cluster_dir / "ready").exists():
            print("no $KUBECONFIG: starting the local control plane (make cluster-up; make cluster-down stops it)",
                  flush=True)
            subprocess.run([sys.executable, str(REPO / "tools" / "cluster.py"), "up", "--dir", str(cluster_dir),
                            "--crds", str(REPO / "tests" / "data" / "crds")], check=True)
        args.kubeconfig = str(cluster_dir / "kubeconfig")
    args.namespace = [n for item in args.namespace for n in item.split(",") if n.strip()]
    return _serve(args, follow=True)


def _up(args):
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ready.json").unlink(missing_ok=True)
    argv = [sys.executable, __file__, "serve", "--kubeconfig", args.kubeconfig, "--dir", str(directory)]
    for namespace in args.namespace:
        argv += ["--namespace", namespace]
    for item in args.env:
        argv += ["--env", item]
    with open(directory / "supervisor.log", "ab") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    (directory / "supervisor.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + args.timeout
    while not (directory / "ready.json").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            print((directory / "supervisor.log").read_text(errors="replace")[-4000:], file=sys.stderr)
            return 1
        time.sleep(0.3)
    print(f"ansible-operator running: {(directory / 'ready.json').read_text()}")
    return 0


def _down(args):
    pidfile = Path(args.dir) / "supervisor.pid"
    if not pidfile.exists():
        return 0
    pid = int(pidfile.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.3)
    pidfile.unlink()
    return 0


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description="The real ansible-operator for the controller role")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "serve"):
        one = sub.add_parser(name)
        one.add_argument("--kubeconfig", required=True, help="an admin kubeconfig (creates the controller's RBAC)")
        one.add_argument("--dir", required=True)
        one.add_argument("--namespace", action="append", required=True, help="WATCH_NAMESPACE (repeatable)")
        one.add_argument("--env", action="append", default=[], help="KEY=VALUE over the Deployment's env")
        one.add_argument("--timeout", type=float, default=120)
    run = sub.add_parser("run", help="the controller in the foreground with its log (make run); Ctrl-C stops it")
    run.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"),
                     help="an admin kubeconfig (default: $KUBECONFIG, else the local control plane)")
    run.add_argument("--dir", default=str(BUILD / "run"))
    run.add_argument("--namespace", action="append", default=[],
                     help="WATCH_NAMESPACE (repeatable or comma-separated; default: all namespaces)")
    run.add_argument("--env", action="append", default=[], help="KEY=VALUE over the Deployment's env")
    run.add_argument("--timeout", type=float, default=120)
    down = sub.add_parser("down")
    down.add_argument("--dir", required=True)
    relay = sub.add_parser("relay", help="(inside a replica's namespaces) relay the API server's address")
    relay.add_argument("--listen", required=True, help="tcp:HOST:PORT or unix:PATH")
    relay.add_argument("--connect", required=True, help="tcp:HOST:PORT or unix:PATH")
    args = parser.parse_args(argv)
    return {"up": _up, "serve": _serve, "run": _run, "down": _down, "relay": _relay}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
