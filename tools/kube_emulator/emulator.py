"""The ``Emulator`` facade: one in-process Kubernetes API server for tests, demos and molecule."""

import copy
import os
import threading
from pathlib import Path

import yaml

from .api import Api
from .authz import ADMIN_USER, Authorizer
from .faults import Faults
from .resources import Registry
from .server import EmulatorHTTPServer
from .store import Store

ADMIN_TOKEN = "kube-emulator-admin-token"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
BASE_NAMESPACES = ("default", "kube-system", "kube-public")
LOG_LIMIT = 100_000


def _yaml_files(path):
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file())
    return [path]


def _documents(path):
    with open(path, encoding="utf-8") as handle:
        for doc in yaml.load_all(handle, Loader=_LOADER):
            if not doc:
                continue
            if doc.get("kind", "").endswith("List") and isinstance(doc.get("items"), list):
                yield from doc["items"]
            else:
                yield doc


class Emulator:
    """A stateful Kubernetes API emulator that speaks real HTTP on a local port.

    >>> emu = Emulator(crd_dirs=["tests/data/crds"]); url = emu.start(); ...; emu.stop()
    """

    def __init__(self, crd_dirs=(), history_limit=10000, bookmark_interval=2.0):
        self.registry = Registry()
        self.store = Store(history_limit=history_limit)
        self.api = Api(self.registry, self.store)
        self.authorizer = Authorizer()
        self.faults = Faults()
        self.bookmark_interval = bookmark_interval
        self.request_log = []
        self._log_lock = threading.Lock()
        self._server = None
        self._thread = None
        self.url = None
        self._crds = []
        for directory in crd_dirs or ():
            for path in _yaml_files(directory):
                for doc in _documents(path):
                    if doc.get("kind") == "CustomResourceDefinition":
                        self._crds.append(doc)
        self._base_objects()

    # ------------------------------------------------------------ lifecycle

    def _base_objects(self):
        for name in BASE_NAMESPACES:
            self.api.ensure_namespace(name)
        crd_type = self.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        for crd in self._crds:
            self.api.create(crd_type, "", copy.deepcopy(crd))

    def start(self, host="127.0.0.1", port=0):
        if self._server is not None:
            return self.url
        self.store.closed = False
        self._server = EmulatorHTTPServer((host, port), self)
        bound_host, bound_port = self._server.server_address[:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="kube-emulator", daemon=True)
        self._thread.start()
        return self.url

    def stop(self):
        if self._server is None:
            return
        self.store.close()
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def reset(self):
        """Drop every object; keep the loaded CRDs; recreate the base namespaces; clear log and faults."""
        crd_type = self.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        loaded = {crd["metadata"]["name"] for crd in self._crds}
        extra = [{k: v for k, v in obj.items() if k != "status"}
                 for _, obj in self.api.iter_matching(crd_type, None, None, None)
                 if obj["metadata"]["name"] not in loaded]
        self.store.drop_all()
        for name in self.registry.crd_names():
            self.registry.unregister_crd(name)
        self._base_objects()
        for crd in extra:
            crd = dict(crd, metadata={k: v for k, v in crd["metadata"].items()
                                      if k in ("name", "labels", "annotations")})
            self.api.create(crd_type, "", crd)
        self.clear_log()
        self.clear_faults()

    # ------------------------------------------------------------ objects

    def load(self, objs_or_paths):
        """Create objects (dicts, YAML/JSON files or directories of them) as given, ``.status`` included."""
        if isinstance(objs_or_paths, (dict, str, os.PathLike)):
            objs_or_paths = [objs_or_paths]
        docs = []
        for item in objs_or_paths:
            if isinstance(item, dict):
                docs.append(item)
            else:
                for path in _yaml_files(item):
                    docs.extend(_documents(path))
        # Namespaces and CRDs first, so that the objects that need them can follow.
        order = {"Namespace": 0, "CustomResourceDefinition": 1}
        docs.sort(key=lambda d: order.get(d.get("kind"), 2))
        return [self.api.load(doc) for doc in docs]

    def get(self, api_version, kind, name, namespace=None):
        """The stored object (a copy) or None, for assertions without an HTTP round trip."""
        rtype = self.registry.by_kind(api_version, kind)
        if rtype is None:
            raise ValueError(f"unknown kind {api_version} {kind}")
        obj = self.store.get(rtype.key, namespace if rtype.namespaced else "", name)
        return yaml.safe_load(yaml.safe_dump(obj)) if obj is not None else None

    # ------------------------------------------------------------ request log

    def record(self, entry):
        with self._log_lock:
            self.request_log.append(entry)
            if len(self.request_log) > LOG_LIMIT:
                del self.request_log[: len(self.request_log) - LOG_LIMIT]

    def clear_log(self):
        with self._log_lock:
            self.request_log.clear()

    # ------------------------------------------------------------ faults and users

    def inject_fault(self, verb=None, resource=None, namespace=None, name=None, subresource=None, path=None,
                     method=None, nth=1, count=1, code=500, delay=0.0, message=None):
        return self.faults.inject(verb=verb, resource=resource, namespace=namespace, name=name,
                                  subresource=subresource, path=path, method=method, nth=nth, count=count,
                                  code=code, delay=delay, message=message)

    def clear_faults(self):
        self.faults.clear()

    def add_user(self, token, rules, user=None):
        """Requests with ``Authorization: Bearer <token>`` are checked against RBAC-style ``rules``."""
        self.authorizer.add_user(token, rules, user=user)

    def remove_user(self, token):
        """Forget ``token``: its requests are the unrestricted admin again."""
        self.authorizer.remove_user(token)

    # ------------------------------------------------------------ kubeconfig

    def write_kubeconfig(self, path, namespace="default", token=ADMIN_TOKEN):
        if self.url is None:
            raise RuntimeError("start() the emulator before writing a kubeconfig")
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "kube-emulator", "cluster": {"server": self.url}}],
            "users": [{"name": "kube-emulator-admin" if token == ADMIN_TOKEN else f"user-{token}",
                       "user": {"token": token}}],
            "contexts": [{"name": "kube-emulator", "context": {
                "cluster": "kube-emulator", "namespace": namespace,
                "user": "kube-emulator-admin" if token == ADMIN_TOKEN else f"user-{token}"}}],
            "current-context": "kube-emulator",
            "preferences": {},
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return str(path)


__all__ = ["Emulator", "ADMIN_TOKEN", "ADMIN_USER"]
