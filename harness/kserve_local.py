"""KServe's controller beside the local control plane, in RawDeployment mode.

The ``kserve-manager`` binary (github.com/kserve/kserve's cmd/manager, built by ``tools/gobuild/build.sh
kserve-manager``) runs as a local process against a cluster given by an admin kubeconfig, configured from the
release's own files (copied out of its Go module into ``.build/kserve-release`` at build time):

- KServe's CRDs (InferenceService, ServingRuntime, ClusterServingRuntime, TrainedModel, InferenceGraph, ...);
- namespace ``kserve`` with the ``inferenceservice-config`` ConfigMap of the release, its default deployment mode
  set to RawDeployment (no Knative or Istio runs here);
- the release's sklearn ClusterServingRuntime (its image placeholder filled in; nothing pulls it: kwok runs the
  pods, no container does).

The manager's webhook server gets a self-signed certificate (controller-runtime reads it from
``$TMPDIR/k8s-webhook-server/serving-certs``); no webhook is registered with the API server, so pods are not
mutated (no model volume is mounted) and InferenceServices are not defaulted. KServe creates an HPA for a
predictor unless ``serving.kserve.io/autoscalerClass: none``; no HPA controller runs here, so an InferenceService
that needs ``minReplicas`` pods sets that annotation.

    with LocalKServe(workdir, admin_kubeconfig) as kserve:
        kserve.ready_seconds, kserve.memory()
"""

import contextlib
import datetime
import os
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from harness.cluster import BIN, ClusterError, free_port, install_crds, rss_mib, spawn, stop_process

RELEASE = BIN.parent / "kserve-release"
NAMESPACE = "kserve"
SKLEARN_IMAGE = "kserve/sklearnserver:v0.16.0"
AUTOSCALER_NONE = {"serving.kserve.io/autoscalerClass": "none"}


def release_crds():
    return sorted((RELEASE / "crds").glob("*.yaml"))


def _self_signed(directory):
    """tls.crt and tls.key for 127.0.0.1/localhost, valid a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kserve-webhook")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "tls.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.TraditionalOpenSSL,
                                                          serialization.NoEncryption()))


class LocalKServe:
    """KServe's controller in ``workdir`` against the cluster of ``kubeconfig`` (admin); see the module doc."""

    def __init__(self, workdir, kubeconfig, log=sys.stderr):
        self.workdir = Path(workdir)
        self.kubeconfig = str(kubeconfig)
        self.log = log
        self.proc = None
        self.ready_seconds = None

    def start(self, timeout=60):
        if not (BIN / "kserve-manager").is_file() or not RELEASE.is_dir():
            raise ClusterError("KServe is not built: run `make control-plane` (tools/gobuild/build.sh kserve-manager)")
        started = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._configure()
            self._start(timeout)
        except BaseException:
            self.stop()
            raise
        self.ready_seconds = time.monotonic() - started
        if self.log is not None:
            print(f"kserve: controller ready in {self.ready_seconds:.1f} s (RawDeployment)", file=self.log, flush=True)
        return self

    def stop(self):
        stop_process(self.proc)
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def memory(self):
        """Resident memory of the controller, MiB."""
        return rss_mib(self.proc)

    def check_alive(self):
        if self.proc is not None and self.proc.poll() is not None:
            raise ClusterError(f"kserve-manager exited with code {self.proc.returncode}:\n" + self.log_tail())

    def log_tail(self, lines=25):
        path = self.workdir / "kserve-manager.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def _configure(self):
        from kubernetes import config, dynamic
        from kubernetes.dynamic.exceptions import ConflictError

        install_crds(self.kubeconfig, release_crds())
        client = dynamic.DynamicClient(config.new_client_from_config(config_file=self.kubeconfig))
        cm = yaml.safe_load((RELEASE / "inferenceservice.yaml").read_text(encoding="utf-8"))
        cm["metadata"]["namespace"] = NAMESPACE
        cm["data"]["deploy"] = '{"defaultDeploymentMode": "RawDeployment"}'
        runtime = yaml.safe_load((RELEASE / "kserve-sklearnserver.yaml").read_text(encoding="utf-8"))
        runtime["spec"]["containers"][0]["image"] = SKLEARN_IMAGE
        for obj in ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}, cm, runtime):
            resource = client.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            with contextlib.suppress(ConflictError):
                resource.create(body=obj, namespace=obj["metadata"].get("namespace"))

    def _start(self, timeout):
        tmp = self.workdir / "tmp"
        _self_signed(tmp / "k8s-webhook-server" / "serving-certs")
        probe = free_port()
        env = dict(os.environ, KUBECONFIG=self.kubeconfig, POD_NAMESPACE=NAMESPACE, TMPDIR=str(tmp))
        self.proc = spawn([BIN / "kserve-manager", "--metrics-addr", f"127.0.0.1:{free_port()}",
                           "--health-probe-addr", f"127.0.0.1:{probe}", "--webhook-port", str(free_port())],
                          self.workdir / "kserve-manager.log", self.workdir / "kserve-manager.pid", env=env,
                          cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"http://127.0.0.1:{probe}/readyz", timeout=2) as reply:
                    if reply.status == 200:
                        return
            if time.monotonic() > deadline:
                raise ClusterError(f"kserve-manager not ready within {timeout} s:\n" + self.log_tail())
            time.sleep(0.2)
