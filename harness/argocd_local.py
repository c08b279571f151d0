"""The real Argo CD beside the local control plane: application controller, repo server, notifications controller.

One ``argocd`` binary (built from github.com/argoproj/argo-cd/v3 by ``tools/gobuild/build.sh argocd``; it
dispatches on ``ARGOCD_BINARY_NAME``) runs as three processes, with Redis from miniredis (``argocd-redis``),
against a cluster given by an admin kubeconfig, in namespace ``argocd``:

- the release's own objects from ``manifests/core-install.yaml`` (copied out of the module into
  ``.build/argocd-release`` at build time): the application controller's ServiceAccount and RBAC, argocd-cm,
  argocd-cmd-params-cm, argocd-rbac-cm, argocd-secret and the other ConfigMaps; the Application and AppProject
  CRDs of the release; the ``default`` AppProject that Argo CD's API server would create (no API server runs);
- ``argocd-secret`` gets ``server.secretkey``, which the API server would set: without it the controller cannot
  reload its settings ("server.secretkey is missing"), and a job's status write stops waking it;
- ``argocd-notifications-cm`` and ``argocd-notifications-secret`` empty, as the release's full install.yaml
  ships them (core-install has no notifications controller);
- the application controller talks to the API server as its own ServiceAccount (a TokenRequest token, the
  ClusterRole core-install grants), with ``ARGOCD_FAKE_IN_CLUSTER=true``: the in-cluster destination
  ``https://kubernetes.default.svc`` is then the kubeconfig's server. The notifications controller runs as
  admin (install.yaml's Role for it covers only its namespace and Applications; ours are spread over test
  namespaces);
- git repositories are local ``file://`` paths (Argo CD's own end-to-end tests do the same); the repo server
  runs the release's ``hack/git-verify-wrapper.sh``, as the official image has it on PATH.

    with LocalArgoCD(workdir, admin_kubeconfig) as argocd:
        argocd.namespace                   # "argocd"
        argocd.memory()                    # RSS of each process, in MiB

``python harness/argocd_local.py run --kubeconfig K --dir D`` runs it in the foreground (``make cluster-up``
starts it this way with the control plane).
"""

import argparse
import base64
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml


if __package__ in (None, ""):  # run as a script: the harness package is imported from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.cluster import BIN, ClusterError, free_port, install_crds, rss_mib, spawn, stop_process, write_kubeconfig

REPO = Path(__file__).resolve().parent.parent
RELEASE = BIN.parent / "argocd-release"
NAMESPACE = "argocd"
# The objects of core-install.yaml that configure the controller; its Deployments, Services and
# NetworkPolicies are what this launcher replaces with local processes.
CONFIG_KINDS = ("ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret")
CONTROLLER_SA = "argocd-application-controller"
# The paths the image has under /app/config, here in the workdir (GnuPG commit verification is off: it needs a
# keyring the image builds, and the tests' commits are not signed).
CONFIG_PATHS = {"ARGOCD_GNUPGHOME": "gpg", "ARGOCD_TLS_DATA_PATH": "tls", "ARGOCD_SSH_DATA_PATH": "ssh",
                "ARGOCD_PLUGINSOCKFILEPATH": "plugins"}


def release_documents():
    """The objects of the release's core-install.yaml, as dicts."""
    path = RELEASE / "core-install.yaml"
    if not path.is_file():
        raise ClusterError(f"Argo CD is not built: no {path}; run `tools/gobuild/build.sh argocd` (make control-plane)")
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def notifications_catalog():
    """Argo CD's own notification triggers and templates (the release's notifications_catalog/install.yaml): the
    ``data`` of the argocd-notifications-cm a user installs them with."""
    return yaml.safe_load((RELEASE / "notifications-catalog.yaml").read_text(encoding="utf-8"))["data"]


def release_crds():
    """The release's Application and AppProject CRD files."""
    return [RELEASE / "application-crd.yaml", RELEASE / "appproject-crd.yaml"]


def release_version():
    """The release the ``argocd`` binary was built from (``argocd version --client --short``)."""
    out = subprocess.run([str(BIN / "argocd"), "version", "--client", "--short"], capture_output=True, text=True,
                         env=dict(os.environ, ARGOCD_BINARY_NAME="argocd"), timeout=30)
    return out.stdout.strip().split(":")[-1].strip().split("+")[0]


class LocalArgoCD:
    """Argo CD's controllers in ``workdir`` against the cluster of ``kubeconfig`` (admin); see the module doc."""

    def __init__(self, workdir, kubeconfig, namespace=NAMESPACE, log=sys.stderr, notifications=True,
                 app_resync=None):
        self.workdir = Path(workdir)
        self.kubeconfig = str(kubeconfig)
        self.namespace = namespace
        self.log = log
        self.notifications = notifications
        self.app_resync = app_resync  # seconds; None: the release's default (120 s)
        self.processes = {}
        self.ports = {}
        self.ready_seconds = None

    # -------------------------------------------------------------- lifecycle

    def start(self, timeout=60):
        missing = [name for name in ("argocd", "argocd-redis") if not (BIN / name).is_file()]
        if missing or not RELEASE.is_dir():
            raise ClusterError(f"not built: {', '.join(missing) or RELEASE}; run `make control-plane` "
                               "(tools/gobuild/build.sh argocd argocd-redis)")
        started = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        for folder in ("logs", "home", *CONFIG_PATHS.values()):
            (self.workdir / folder).mkdir(exist_ok=True)
        try:
            self._configure()
            self._start_processes()
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        self.ready_seconds = time.monotonic() - started
        self._say(f"Argo CD {self.version()} ready in namespace {self.namespace} in {self.ready_seconds:.1f} s "
                  f"(application controller, repo server{', notifications controller' if self.notifications else ''})")
        return self

    def stop(self):
        for name in reversed(list(self.processes)):
            stop_process(self.processes.pop(name))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @staticmethod
    def version():
        return release_version()

    def memory(self):
        """Resident memory of each running process, MiB (from /proc)."""
        sizes = {name: rss_mib(proc) for name, proc in self.processes.items()}
        return {name: size for name, size in sizes.items() if size is not None}

    def check_alive(self):
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise ClusterError(f"{name} exited with code {proc.returncode}; last lines of its log:\n"
                                   + self.log_tail(name))

    def log_tail(self, name, lines=25):
        path = self.workdir / "logs" / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    # -------------------------------------------------------------- configuration in the cluster

    def _client(self):
        from kubernetes import config, dynamic

        return dynamic.DynamicClient(config.new_client_from_config(config_file=self.kubeconfig))

    def _configure(self):
        from kubernetes.dynamic.exceptions import ConflictError

        client = self._client()
        install_crds(self.kubeconfig, release_crds())
        client = self._client()  # discovery again: the CRDs are new
        ns = client.resources.get(api_version="v1", kind="Namespace")
        with contextlib.suppress(ConflictError):
            ns.create(body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}})
        objects = [d for d in release_documents() if d["kind"] in CONFIG_KINDS]
        objects += [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-notifications-cm"}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "argocd-notifications-secret"},
             "type": "Opaque"},
            {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "default"},
             "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}],
                      "clusterResourceWhitelist": [{"group": "*", "kind": "*"}]}},
        ]
        for obj in objects:
            obj = dict(obj, metadata=dict(obj["metadata"]))
            resource = client.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            if resource.namespaced:
                obj["metadata"]["namespace"] = self.namespace
            for subject in obj.get("subjects") or []:
                if subject.get("kind") == "ServiceAccount":
                    subject["namespace"] = self.namespace
            if obj["kind"] == "Secret" and obj["metadata"]["name"] == "argocd-secret":
                obj["data"] = dict(obj.get("data") or {}, **{
                    "server.secretkey": base64.b64encode(secrets.token_bytes(32)).decode()})
            try:
                resource.create(body=obj, namespace=obj["metadata"].get("namespace"))
            except ConflictError:  # a cluster that ran it before: keep what is there (the health check, say)
                pass
        # the application controller as its own ServiceAccount, with the rights core-install gives it
        token = self._token(CONTROLLER_SA)
        admin = yaml.safe_load(Path(self.kubeconfig).read_text(encoding="utf-8"))
        context = next(c["context"] for c in admin["contexts"] if c["name"] == admin["current-context"])
        entry = next(c["cluster"] for c in admin["clusters"] if c["name"] == context["cluster"])
        self.controller_kubeconfig = write_kubeconfig(self.workdir / "controller.kubeconfig", None, None,
                                                      {"token": token}, namespace=self.namespace, cluster=entry)

    def _token(self, service_account, seconds=24 * 3600):
        from kubernetes import client, config

        core = client.CoreV1Api(config.new_client_from_config(config_file=self.kubeconfig))
        deadline = time.monotonic() + 30
        while True:
            try:
                request = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(
                    audiences=["https://kubernetes.default.svc"], expiration_seconds=seconds))
                return core.create_namespaced_service_account_token(service_account, self.namespace,
                                                                    request).status.token
            except client.ApiException as exc:
                if exc.status != 404 or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    # -------------------------------------------------------------- processes

    def _say(self, text):
        if self.log is not None:
            print(f"argocd: {text}", file=self.log, flush=True)

    def _spawn(self, name, binary, args, env=None):
        environment = dict(os.environ, HOME=str(self.workdir / "home"), ARGOCD_BINARY_NAME=name,
                           PATH=f"{RELEASE}:{os.environ.get('PATH', '')}", ARGOCD_GPG_ENABLED="false",
                           **{key: str(self.workdir / folder) for key, folder in CONFIG_PATHS.items()})
        for key in ("KUBECONFIG", "K8S_AUTH_KUBECONFIG"):
            environment.pop(key, None)
        environment.update(env or {})
        proc = spawn([BIN / binary, *args], self.workdir / "logs" / f"{name}.log", self.workdir / f"{name}.pid",
                     env=environment, cwd=self.workdir)
        self.processes[name] = proc
        return proc

    def _start_processes(self):
        redis = f"127.0.0.1:{free_port()}"
        self.ports = {"repo-server": free_port(), "repo-server-metrics": free_port(), "controller-metrics": free_port(),
                      "notifications-metrics": free_port()}
        repo = f"127.0.0.1:{self.ports['repo-server']}"
        self.redis = redis
        self._spawn("argocd-redis", "argocd-redis", [redis])
        common = ["--loglevel", "info", "--logformat", "text"]
        self._spawn("argocd-repo-server", "argocd", [
            *common, "--address", "127.0.0.1", "--port", str(self.ports["repo-server"]),
            "--metrics-address", "127.0.0.1", "--metrics-port", str(self.ports["repo-server-metrics"]),
            "--redis", redis, "--disable-tls", "--client-ca-path", ""])
        controller = [*common, "--namespace", self.namespace, "--repo-server", repo, "--repo-server-plaintext",
                      "--redis", redis, "--metrics-port", str(self.ports["controller-metrics"]),
                      "--status-processors", "2", "--operation-processors", "2"]
        if self.app_resync is not None:
            controller += ["--app-resync", str(self.app_resync)]
        self._spawn("argocd-application-controller", "argocd", controller,
                    env={"KUBECONFIG": str(self.controller_kubeconfig), "ARGOCD_FAKE_IN_CLUSTER": "true"})
        if self.notifications:
            self._spawn("argocd-notifications", "argocd", [
                *common, "--namespace", self.namespace, "--argocd-repo-server", repo,
                "--argocd-repo-server-plaintext", "--metrics-port", str(self.ports["notifications-metrics"])],
                env={"KUBECONFIG": self.kubeconfig, "ARGOCD_FAKE_IN_CLUSTER": "true"})

    def _wait_ready(self, timeout):
        """The repo server accepts connections and each controller's metrics server answers (they start it
        once their caches are synced)."""
        deadline = time.monotonic() + timeout
        checks = {"argocd-redis": ("tcp", self.redis),
                  "argocd-repo-server": ("tcp", f"127.0.0.1:{self.ports['repo-server']}"),
                  "argocd-application-controller": ("http", f"127.0.0.1:{self.ports['controller-metrics']}")}
        if self.notifications:
            checks["argocd-notifications"] = ("http", f"127.0.0.1:{self.ports['notifications-metrics']}")
        pending = dict(checks)
        while pending:
            self.check_alive()
            for name, (kind, address) in list(pending.items()):
                if _answers(kind, address):
                    del pending[name]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"Argo CD not ready within {timeout} s: {', '.join(pending)} not serving; "
                                   + "\n".join(self.log_tail(n, 10) for n in pending))
            time.sleep(0.2)


def _answers(kind, address):
    host, port = address.rsplit(":", 1)
    if kind == "tcp":
        with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=1):
            return True
        return False
    with contextlib.suppress(OSError):
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=2) as response:
            return response.status == 200
    return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("run",))
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args(argv)
    argocd = LocalArgoCD(args.dir, args.kubeconfig)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        argocd.start()
        while True:
            argocd.check_alive()
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        argocd.stop()
        shutil.rmtree(Path(args.dir) / "home", ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
