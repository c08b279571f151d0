"""A real local Kubernetes control plane: etcd, kube-apiserver and kube-controller-manager.

The binaries are built from their Go modules by ``tools/gobuild/build.sh`` into ``.build/bin``.
This launcher generates a CA, the serving certificate, the service-account signing key and an admin
credential, starts the three processes on free loopback ports, waits until the API server is ready
and writes a kubeconfig. Everything it started is stopped on ``stop()``, on exit, on Ctrl-C and when
this process dies (the children get SIGTERM from the kernel then), so no process and no fixed port
outlives it.

    python harness/cluster.py up [--dir .build/cluster] [--event-ttl 1h]   # starts it, waits, detaches
    python harness/cluster.py down [--dir .build/cluster]                   # stops it
    python harness/cluster.py run  [--dir DIR]                              # in the foreground until Ctrl-C

    with LocalCluster(workdir) as cluster:     # from Python (the test fixtures do this)
        cluster.kubeconfig                     # admin, client certificate, straight to kube-apiserver

What runs here: with ``pods=True`` (``make cluster-up``, the demo, the test sessions) also kube-scheduler
and kwok, a kubelet stand-in maintained by Kubernetes SIG Scheduling: one Node ``kwok-node-0`` that kwok keeps
Ready, so the ReplicaSet controller's pods are scheduled, reach Running and Ready, and go when deleted, and a
Deployment's roll-out finishes. No container runs: kwok writes the pods' status as a kubelet would. Without
``pods``, pods are created but never scheduled. ``cluster.py up`` also starts the real Argo CD in namespace
``argocd`` (harness/argocd_local.py) unless ``--no-argocd``, and KServe's controller (harness/kserve_local.py) unless
``--no-kserve``.
"""

import argparse
import atexit
import contextlib
import ctypes
import datetime
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the harness package is imported from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
REPO = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("MLOPS_KUBE_BIN", REPO / ".build" / "bin"))
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager")
POD_BINARIES = ("kube-scheduler", "kwok")
KWOK_STAGES = BIN.parent / "kwok-release" / "stages.yaml"
NODE = "kwok-node-0"
# The controllers kube-controller-manager runs: enough for namespaces to terminate, owned objects to be
# collected, Deployments to roll out through ReplicaSets, ServiceAccounts to exist in every namespace and a
# PersistentVolumeClaim to bind to its PersistentVolume (a predictor's model storage), so its pods schedule.
CONTROLLERS = ("namespace-controller", "garbage-collector-controller", "deployment-controller",
               "replicaset-controller", "serviceaccount-controller", "serviceaccount-token-controller",
               "persistentvolume-binder-controller")
ADMIN_USER = "mlops-admin"
SERVICE_CIDR = "10.96.0.0/16"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent():
    """Runs in the child before exec: the kernel sends SIGTERM when the launcher's thread exits."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    os.setpgrp()                   # Ctrl-C in a terminal reaches the launcher only; it stops the rest


# ---------------------------------------------------------------- certificates


def spawn(argv, log_path, pid_path, env=None, cwd=None):
    """Start ``argv`` with its output appended to ``log_path`` and its pid in ``pid_path``; it gets SIGTERM when this
    process dies. How every launcher here starts what it runs."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([str(a) for a in argv], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd, preexec_fn=_die_with_parent, close_fds=True)
    Path(pid_path).write_text(str(proc.pid))
    return proc


def rss_mib(proc):
    """Resident memory of a running process in MiB (from /proc), or None."""
    with contextlib.suppress(OSError, AttributeError):
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return None


def stop_process(proc, grace=15):
    """SIGTERM, then SIGKILL after ``grace`` seconds: how every launcher here stops what it started."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _pki(directory):
    """CA, kube-apiserver serving cert, admin client cert (system:masters), service-account key pair."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)

    def key_pem(key):
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    def write(name, data):
        path = directory / name
        path.write_bytes(data)
        path.chmod(0o600)
        return path

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mlops-gitops-local-ca")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))

    def issue(common_name, organization=None, server=False):
        key = ec.generate_private_key(ec.SECP256R1())
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        if organization:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
        builder = (x509.CertificateBuilder().subject_name(x509.Name(attrs)).issuer_name(ca_name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server
                                                         else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.DNSName("kubernetes"), x509.DNSName("kubernetes.default.svc"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.IPAddress(ipaddress.ip_address("10.96.0.1"))]), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM), key_pem(key)

    files = {"ca.crt": ca.public_bytes(serialization.Encoding.PEM), "ca.key": key_pem(ca_key)}
    files["apiserver.crt"], files["apiserver.key"] = issue("kube-apiserver", server=True)
    files["admin.crt"], files["admin.key"] = issue(ADMIN_USER, organization="system:masters")
    files["controller-manager.crt"], files["controller-manager.key"] = issue("system:kube-controller-manager")
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    files["sa.key"] = key_pem(sa_key)
    files["sa.pub"] = sa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    # A static bearer token for the admin as well: a client certificate cannot pass through the request
    # recording proxy the tests put in front of the API server, a token can.
    token = secrets.token_hex(24)
    files["tokens.csv"] = f'{token},{ADMIN_USER}-token,{ADMIN_USER}-token,"system:masters"\n'.encode()
    return {name: write(name, data) for name, data in files.items()}, token


def write_kubeconfig(path, server, ca_file, user, namespace="default", cluster_name="mlops-local", cluster=None):
    """A kubeconfig for ``server``; ``user`` is {"token": ...} or {"client-certificate": ..., "client-key": ...}.
    ``cluster``: a kubeconfig cluster entry to use as it is (e.g. one with certificate-authority-data) instead of
    ``server`` and ``ca_file``."""
    entry = cluster or {"server": server, "certificate-authority": str(ca_file)}
    config = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": entry}],
        "users": [{"name": cluster_name + "-user", "user": {k: str(v) for k, v in user.items()}}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "namespace": namespace,
                                                        "user": cluster_name + "-user"}}],
        "current-context": cluster_name, "preferences": {},
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return str(path)


# ---------------------------------------------------------------- the control plane


class ClusterError(RuntimeError):
    pass


class LocalCluster:
    """etcd + kube-apiserver + kube-controller-manager in ``workdir``; see the module docstring."""

    def __init__(self, workdir, event_ttl="1h", extra_apiserver_args=(), log=sys.stderr, pods=False):
        self.workdir = Path(workdir)
        self.pods = pods
        self.event_ttl = event_ttl
        self.extra_apiserver_args = list(extra_apiserver_args)
        self.log = log
        self.processes = {}
        self.commands = {}  # name: its arguments, to start it again the same way (``restart``)
        self.url = None
        self.kubeconfig = None
        self.token_kubeconfig = None
        self.token = None
        self.pki = None

    # -------------------------------------------------------------- lifecycle

    def start(self, timeout=120):
        missing = [name for name in self.binaries() if not (BIN / name).is_file()]
        if missing:
            raise ClusterError(f"not built: {', '.join(missing)} in {BIN}; run `make control-plane` "
                               f"(tools/gobuild/build.sh {' '.join(self.binaries())})")
        started = time.monotonic()
        if self.workdir.exists():
            shutil.rmtree(self.workdir / "etcd", ignore_errors=True)
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "logs").mkdir(exist_ok=True)
        self.pki, self.token = _pki(self.workdir / "pki")
        atexit.register(self.stop)
        try:
            self._start_etcd()
            self._start_apiserver()
            self._wait_ready(timeout)
            self._write_kubeconfigs()
            self._start_controller_manager()
            self._wait_for_default_service_account(timeout)
            if self.pods:
                self._start_pods(timeout)
        except BaseException:
            self.stop()
            raise
        self._say(f"control plane ready at {self.url} in {time.monotonic() - started:.1f} s "
                  f"({self.version()}); kubeconfig {self.kubeconfig}")
        return self

    def binaries(self):
        return BINARIES + (POD_BINARIES if self.pods else ())

    def stop(self):
        for name in reversed(list(self.processes)):
            stop_process(self.processes.pop(name))
        shutil.rmtree(self.workdir / "etcd", ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -------------------------------------------------------------- pieces

    def _say(self, text):
        if self.log is not None:
            print(f"cluster: {text}", file=self.log, flush=True)

    def restart(self, name, sig=signal.SIGKILL, timeout=120):
        """Stop ``name`` (etcd or kube-apiserver) with ``sig`` and start it again with the same arguments: the
        same ports, data directory and certificates, as a crashed static pod comes back. Returns once the API
        server is ready again."""
        if name not in ("etcd", "kube-apiserver"):
            raise ClusterError(f"restart is for etcd and kube-apiserver, not {name}")
        proc = self.processes[name]
        proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._spawn(name, self.commands[name])
        if name == "etcd":
            self._wait_etcd()
        self._wait_ready(timeout)
        self._say(f"{name} restarted (signal {signal.Signals(sig).name})")

    def _spawn(self, name, args):
        self.commands[name] = list(args)
        proc = spawn([BIN / name, *args], self.workdir / "logs" / f"{name}.log", self.workdir / f"{name}.pid")
        self.processes[name] = proc
        return proc

    def _check_alive(self, name):
        proc = self.processes.get(name)
        if proc is not None and proc.poll() is not None:
            tail = (self.workdir / "logs" / f"{name}.log").read_text(errors="replace").splitlines()[-25:]
            raise ClusterError(f"{name} exited with code {proc.returncode}; last lines of its log "
                               f"({self.workdir / 'logs' / (name + '.log')}):\n" + "\n".join(tail))

    def _start_etcd(self):
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        self._spawn("etcd", [
            "--name", "mlops-local", "--data-dir", str(self.workdir / "etcd"),
            "--listen-client-urls", self.etcd_url, "--advertise-client-urls", self.etcd_url,
            "--listen-peer-urls", f"http://127.0.0.1:{peer}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
            "--initial-cluster", f"mlops-local=http://127.0.0.1:{peer}",
            "--unsafe-no-fsync", "--log-level", "warn",
            "--listen-metrics-urls", f"http://127.0.0.1:{free_port()}",
        ])
        self._wait_etcd()

    def _wait_etcd(self):
        deadline = time.monotonic() + 30
        while True:
            self._check_alive("etcd")
            try:
                with urllib.request.urlopen(self.etcd_url + "/health", timeout=2) as reply:
                    if json.load(reply).get("health") == "true":
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ClusterError("etcd did not become healthy within 30 s")
            time.sleep(0.2)

    def _start_apiserver(self):
        port = free_port()
        self.url = f"https://127.0.0.1:{port}"
        pki = self.pki
        self._spawn("kube-apiserver", [
            "--etcd-servers", self.etcd_url,
            "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", str(port),
            "--cert-dir", str(self.workdir / "pki"),
            "--tls-cert-file", str(pki["apiserver.crt"]), "--tls-private-key-file", str(pki["apiserver.key"]),
            "--client-ca-file", str(pki["ca.crt"]), "--token-auth-file", str(pki["tokens.csv"]),
            "--authorization-mode", "Node,RBAC",
            "--service-account-issuer", "https://kubernetes.default.svc",
            "--service-account-key-file", str(pki["sa.pub"]),
            "--service-account-signing-key-file", str(pki["sa.key"]),
            "--api-audiences", "https://kubernetes.default.svc",
            "--service-cluster-ip-range", SERVICE_CIDR,
            "--allow-privileged=true",
            "--event-ttl", self.event_ttl,
            "--endpoint-reconciler-type", "none",
            "--profiling=false",
            *self.extra_apiserver_args,
        ])

    def _ssl_context(self):
        context = ssl.create_default_context(cafile=str(self.pki["ca.crt"]))
        context.load_cert_chain(str(self.pki["admin.crt"]), str(self.pki["admin.key"]))
        return context

    def get(self, path, timeout=5):
        with urllib.request.urlopen(self.url + path, context=self._ssl_context(), timeout=timeout) as reply:
            return reply.read().decode()

    def version(self):
        return json.loads(self.get("/version"))["gitVersion"]

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while True:
            self._check_alive("etcd")
            self._check_alive("kube-apiserver")
            try:
                if self.get("/readyz") == "ok":
                    return
            except OSError as exc:
                last = exc
            if time.monotonic() > deadline:
                raise ClusterError(f"kube-apiserver not ready within {timeout} s: {last}")
            time.sleep(0.3)

    def _write_kubeconfigs(self):
        pki = self.pki
        self.kubeconfig = write_kubeconfig(self.workdir / "kubeconfig", self.url, pki["ca.crt"],
                                           {"client-certificate": pki["admin.crt"], "client-key": pki["admin.key"]})
        self.token_kubeconfig = write_kubeconfig(self.workdir / "kubeconfig-token", self.url, pki["ca.crt"],
                                                 {"token": self.token})
        self.controller_manager_kubeconfig = write_kubeconfig(
            self.workdir / "controller-manager.kubeconfig", self.url, pki["ca.crt"],
            {"client-certificate": pki["controller-manager.crt"], "client-key": pki["controller-manager.key"]})

    def _start_controller_manager(self):
        pki = self.pki
        self._spawn("kube-controller-manager", [
            "--kubeconfig", self.controller_manager_kubeconfig,
            "--authentication-kubeconfig", self.controller_manager_kubeconfig,
            "--authorization-kubeconfig", self.controller_manager_kubeconfig,
            "--controllers", ",".join(CONTROLLERS),
            "--use-service-account-credentials=true",
            "--service-account-private-key-file", str(pki["sa.key"]),
            "--root-ca-file", str(pki["ca.crt"]),
            "--cluster-signing-cert-file", str(pki["ca.crt"]), "--cluster-signing-key-file", str(pki["ca.key"]),
            "--leader-elect=false",
            "--bind-address", "127.0.0.1", "--secure-port", str(free_port()),
            "--cert-dir", str(self.workdir / "pki" / "controller-manager"),
            # Namespaces are cleaned up as fast as this machine allows (a real cluster takes seconds too).
            "--concurrent-namespace-syncs", "5",
        ])

    def _start_pods(self, timeout):
        """kube-scheduler and kwok, and the one Node kwok runs (see the module docstring)."""
        self._spawn("kube-scheduler", [
            "--kubeconfig", self.token_kubeconfig, "--authentication-kubeconfig", self.token_kubeconfig,
            "--authorization-kubeconfig", self.token_kubeconfig, "--leader-elect=false",
            "--bind-address", "127.0.0.1", "--secure-port", str(free_port()),
        ])
        self._spawn("kwok", [
            "--kubeconfig", self.token_kubeconfig, "--config", str(KWOK_STAGES),
            "--manage-all-nodes=false", "--manage-nodes-with-annotation-selector", "kwok.x-k8s.io/node=fake",
            "--server-address", f"127.0.0.1:{free_port()}", "--node-port", str(free_port()),
            "--node-ip", "127.0.0.1",
        ])
        from kubernetes import client, config

        core = client.CoreV1Api(config.new_client_from_config(config_file=str(self.kubeconfig)))
        resources = {"cpu": "32", "memory": "256Gi", "pods": "250"}
        core.create_node({"metadata": {"name": NODE, "annotations": {"kwok.x-k8s.io/node": "fake"},
                                       "labels": {"kubernetes.io/hostname": NODE, "kubernetes.io/os": "linux",
                                                  "kubernetes.io/arch": "amd64", "type": "kwok"}},
                          "status": {"allocatable": resources, "capacity": resources}})
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive("kwok")
            self._check_alive("kube-scheduler")
            node = core.read_node(NODE)
            ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
            if ready:
                # Node admission taints a new Node not-ready; the node-lifecycle controller, which would lift
                # it once kwok reports Ready, is not run here (it would also evict pods whose node it doubts).
                if node.spec.taints:
                    core.patch_node(NODE, {"spec": {"taints": None}})
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"kwok did not make Node {NODE} Ready within {timeout} s")
            time.sleep(0.2)

    def _wait_for_default_service_account(self, timeout):
        """The serviceaccount controller has started when ``default`` exists in ``default``."""
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive("kube-controller-manager")
            try:
                self.get("/api/v1/namespaces/default/serviceaccounts/default")
                return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ClusterError(f"kube-controller-manager created no default ServiceAccount within {timeout} s")
            time.sleep(0.3)


# ---------------------------------------------------------------- CRDs


def install_crds(kubeconfig, paths, only_missing=False, timeout=60):
    """Create (or, unless ``only_missing``, replace) the CRDs in ``paths`` and wait until each is served."""
    import yaml
    from kubernetes import client, config

    ext = client.ApiextensionsV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    names = []
    for path in paths:
        for crd in yaml.safe_load_all(Path(path).read_text(encoding="utf-8")):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            name = crd["metadata"]["name"]
            names.append(name)
            try:
                current = ext.read_custom_resource_definition(name)
            except client.ApiException as exc:
                if exc.status != 404:
                    raise
                ext.create_custom_resource_definition(crd)
                continue
            if not only_missing:
                crd["metadata"]["resourceVersion"] = current.metadata.resource_version
                ext.replace_custom_resource_definition(name, crd)
    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            conditions = ext.read_custom_resource_definition(name).status.conditions or []
            if any(c.type == "Established" and c.status == "True" for c in conditions):
                break
            if time.monotonic() > deadline:
                raise ClusterError(f"CRD {name} not Established within {timeout} s")
            time.sleep(0.1)
    return names


# ---------------------------------------------------------------- command line


def _pids(directory):
    for name in BINARIES + POD_BINARIES:
        pidfile = Path(directory) / f"{name}.pid"
        if pidfile.exists():
            yield name, int(pidfile.read_text())
    for sub in ("argocd", "kserve"):  # harness/argocd_local.py's and harness/kserve_local.py's processes
        for pidfile in sorted((Path(directory) / sub).glob("*.pid")):
            yield pidfile.stem, int(pidfile.read_text())


def _down(directory):
    directory = Path(directory)
    launcher = directory / "launcher.pid"
    stopped = False
    if launcher.exists():
        pid = int(launcher.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
            stopped = True
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.2)
        except ProcessLookupError:
            pass
        launcher.unlink(missing_ok=True)
    for _name, pid in _pids(directory):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    print("cluster: stopped" if stopped else f"cluster: nothing was running from {directory}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("up", "down", "run"))
    parser.add_argument("--dir", default=str(REPO / ".build" / "cluster"))
    parser.add_argument("--event-ttl", default="1h", help="how long Events live (kube-apiserver --event-ttl)")
    parser.add_argument("--crds", nargs="*", default=[], metavar="PATH",
                        help="CRD files or folders of them to install once the cluster is ready")
    parser.add_argument("--no-argocd", action="store_true",
                        help="do not start Argo CD (application controller, repo server, notifications controller)")
    parser.add_argument("--no-kserve", action="store_true", help="do not start KServe's controller")
    args = parser.parse_args(argv)
    directory = Path(args.dir).resolve()
    if args.command == "down":
        _down(directory)
        return 0
    if args.command == "up":
        if (directory / "launcher.pid").exists():  # one control plane per folder: stop the old one
            _down(directory)
        directory.mkdir(parents=True, exist_ok=True)
        ready = directory / "ready"
        ready.unlink(missing_ok=True)
        log = open(directory / "launcher.log", "wb")  # noqa: SIM115 - handed to the detached launcher
        command = [sys.executable, __file__, "run", "--dir", str(directory), "--event-ttl", args.event_ttl,
                   *(["--no-argocd"] if args.no_argocd else []), *(["--no-kserve"] if args.no_kserve else []),
                   "--crds", *args.crds]
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        deadline = time.monotonic() + 180
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                print((directory / "launcher.log").read_text(errors="replace"), file=sys.stderr)
                return 1
            time.sleep(0.3)
        print(ready.read_text().strip())
        return 0
    cluster = LocalCluster(directory, event_ttl=args.event_ttl, pods=True)
    argocd = kserve = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        cluster.start()
        crds = [p for path in args.crds for p in (sorted(Path(path).glob("*.yaml")) if Path(path).is_dir()
                                                  else [Path(path)])]
        if crds:
            cluster._say(f"installed CRDs: {', '.join(install_crds(cluster.kubeconfig, crds))}")
        said = f"cluster: {cluster.version()} at {cluster.url}, pods run on Node {NODE} (kwok)\n"
        if not args.no_argocd:
            from harness.argocd_local import LocalArgoCD

            argocd = LocalArgoCD(directory / "argocd", cluster.kubeconfig).start()
            said += (f"argocd: {argocd.version()} in namespace {argocd.namespace}, "
                     f"ready in {argocd.ready_seconds:.1f} s\n")
        if not args.no_kserve:
            from harness.kserve_local import LocalKServe

            kserve = LocalKServe(directory / "kserve", cluster.kubeconfig).start()
            said += f"kserve: controller in namespace kserve (RawDeployment), ready in {kserve.ready_seconds:.1f} s\n"
        (directory / "launcher.pid").write_text(str(os.getpid()))
        (directory / "ready").write_text(said + f"export KUBECONFIG={cluster.kubeconfig}\n")
        while True:
            for name in cluster.binaries():
                cluster._check_alive(name)
            for running in (argocd, kserve):
                if running is not None:
                    running.check_alive()
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        for running in (kserve, argocd):
            if running is not None:
                running.stop()
        cluster.stop()
        (directory / "ready").unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
