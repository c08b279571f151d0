"""HTTP/1.1 front end: content negotiation, authorization, fault injection, the request log, dispatch."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import yaml

from . import discovery, errors
from .api import PATCH_TYPES
from .control import CONTROL_PREFIX, ControlMixin
from .errors import ApiError
from .routing import kube_verb, route
from .selectors import FieldSelector, LabelSelector
from .watch import WatchMixin

_DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_TRUE = ("1", "true", "True")


def _encode_bytes(obj):
    return _DUMPS(obj).encode()


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address, emulator):
        self.emulator = emulator
        self.connections = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, Handler)

    def handle_error(self, request, client_address):
        """Clients that hang up (timeouts, stop()) are normal here; anything else is printed as usual."""
        import sys

        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def close_connections(self):
        """Drop open keep-alive connections, so that a stopped emulator really stops answering."""
        with self.connections_lock:
            connections = list(self.connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Headers(dict):
    """Case-insensitive request headers (the stdlib's email-based parser is a third of the request time)."""

    def get(self, key, default=None):
        return dict.get(self, key.lower(), default)

    def __getitem__(self, key):
        return dict.get(self, key.lower())


class Handler(WatchMixin, ControlMixin, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-emulator"
    sys_version = ""

    def parse_request(self):
        """A lean HTTP/1.x request parser: request line, then headers up to the blank line."""
        line = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.requestline = line
        words = line.split()
        if len(words) != 3 or not words[2].startswith("HTTP/1."):
            self.request_version = "HTTP/0.9"
            self.close_connection = True
            self.send_error(400, "Bad request syntax")
            return False
        self.command, self.path, self.request_version = words
        headers = Headers()
        for _ in range(200):
            raw = self.rfile.readline(65537)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = str(raw, "iso-8859-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        self.headers = headers
        connection = headers.get("connection", "").lower()
        self.close_connection = connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive")
        if headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return True

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self):
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = lambda self: self._handle()  # noqa: E731

    # ------------------------------------------------------------ plumbing

    @property
    def emu(self):
        return self.server.emulator

    def _read_body(self):
        length = self.headers.get("Content-Length")
        if length:
            return self.rfile.read(int(length))
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def _encode(self, obj, rtype=None):
        """JSON bytes of a document; stored objects (and the items of lists) come from the store's cache."""
        if rtype is None or not isinstance(obj, dict):
            return _DUMPS(obj).encode()
        store = self.emu.store
        items = obj.get("items") if obj.get("kind", "").endswith("List") else None
        if isinstance(items, list):
            head = _DUMPS({k: v for k, v in obj.items() if k != "items"}).encode()
            encoded = [store.encoded(rtype.key, item, _encode_bytes) for item in items]
            return head[:-1] + b',"items":[' + b",".join(encoded) + b"]}"
        return store.encoded(rtype.key, obj, _encode_bytes)

    def _send(self, code, payload, content_type="application/json", headers=None, rtype=None):
        if isinstance(payload, (dict, list)):
            if self._wants_yaml():
                payload, content_type = yaml.safe_dump(payload, sort_keys=False).encode(), "application/yaml"
            else:
                payload = self._encode(payload, rtype)
        elif isinstance(payload, str):
            payload = payload.encode()
        lines = [f"HTTP/1.1 {code} {self.responses.get(code, ('',))[0]}",
                 f"Content-Type: {content_type}", f"Content-Length: {len(payload)}",
                 "Cache-Control: no-cache, private"]
        if self.close_connection:
            lines.append("Connection: close")
        for key, value in (headers or {}).items():
            lines.append(f"{key}: {value}")
        self._code = code
        self._record()
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)

    def _record(self):
        """Log the request before its reply goes out, so a client that got the reply also sees the entry."""
        entry = getattr(self, "_entry", None)
        if entry is not None:
            entry["code"] = self._code
            self.emu.record(entry)
            self._entry = None

    def _wants_yaml(self):
        accept = self.headers.get("Accept") or ""
        return "yaml" in accept and "json" not in accept

    def _send_error(self, err):
        self._send(err.code, err.status(), headers=err.headers)

    def _token(self):
        auth = self.headers.get("Authorization") or ""
        return auth[7:].strip() if auth.lower().startswith("bearer ") else None

    # ------------------------------------------------------------ dispatch

    def _handle(self):
        self._code = 0
        self._entry = None
        started = time.time()
        split = urlsplit(self.path)
        path = split.path
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        if path.startswith(CONTROL_PREFIX):
            self._control(path, body)
            return
        emu = self.emu
        route_ = route(emu.registry, path)
        verb = kube_verb(self.command, route_, params)
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        user, rules = emu.authorizer.identify(self._token())
        entry = {"verb": verb, "method": self.command, "path": path, "query": params, "code": None,
                 "group": route_.group if route_.kind == "resource" else None,
                 "version": route_.version if route_.kind == "resource" else None,
                 "resource": route_.plural, "subresource": route_.subresource, "namespace": route_.namespace,
                 "name": route_.name, "user": user, "time": started}
        if verb == "patch":
            entry["patch_type"] = PATCH_TYPES.get(content_type)
        self._entry = entry
        try:
            fault = emu.faults.take(entry)
            if fault is not None:
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.code:
                    raise errors.injected(fault.code, fault.message, route_.rtype, route_.name)
            if route_.kind == "discovery":
                self._discovery(route_, path)
            elif route_.kind == "notfound":
                raise errors.not_found_path()
            else:
                auth_ns = route_.namespace if route_.rtype.namespaced else None
                if route_.group == "" and route_.plural == "namespaces":
                    auth_ns = route_.name  # the apiserver's RequestInfo treats a namespace as its own namespace
                if not emu.authorizer.allowed(rules, verb, route_.group, route_.plural, route_.subresource,
                                              auth_ns, route_.name):
                    raise errors.forbidden(route_.plural, route_.group, route_.name, user, verb, auth_ns,
                                           route_.subresource)
                self._resource(route_, verb, params, body, content_type)
        except ApiError as err:
            self._send_error(err)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - any bug becomes a 500 Status, like a panic in a real handler
            import traceback
            traceback.print_exc()
            try:
                self._send_error(ApiError(500, f"Internal error occurred: {exc!r}"))
            except OSError:
                self.close_connection = True
        self._record()

    # ------------------------------------------------------------ discovery

    def _discovery(self, route_, path):
        if self.command != "GET":
            raise errors.method_not_allowed()
        registry = self.emu.registry
        if path.rstrip("/") == "/version":
            doc = discovery.VERSION_INFO
        elif path.rstrip("/") == "/api":
            doc = discovery.api_versions(self.headers.get("Host", "127.0.0.1"))
        elif path.rstrip("/") == "/apis":
            doc = discovery.api_group_list(registry)
        elif not route_.version:
            doc = discovery.api_group(registry, route_.group)
        else:
            doc = discovery.resource_list(registry, route_.group, route_.version)
        if doc is None:
            raise errors.not_found_path()
        self._send(200, doc)

    # ------------------------------------------------------------ resources

    def _parse_body(self, body, content_type):
        if not body:
            return None
        try:
            try:
                return json.loads(body)
            except ValueError:
                if not content_type.endswith("yaml"):
                    raise
                return yaml.safe_load(body)
        except (ValueError, yaml.YAMLError) as exc:
            raise errors.bad_request(f"error decoding request body: {exc}") from None

    def _selectors(self, rtype, params):
        label = LabelSelector(params.get("labelSelector", ""))
        field = FieldSelector(params.get("fieldSelector", ""), rtype)
        return label, field

    def _resource(self, route_, verb, params, body, content_type):
        api, rtype = self.emu.api, route_.rtype
        namespace = route_.namespace if rtype.namespaced else ""
        dry_run = params.get("dryRun") == "All"
        if params.get("dryRun") not in (None, "", "All"):
            raise errors.bad_request(f'Invalid dryRun value: "{params["dryRun"]}"; valid values are: "All"')
        sub = route_.subresource
        if rtype.namespaced and route_.namespace is None and verb not in ("list", "watch"):
            raise errors.not_found_path() if verb != "create" else errors.method_not_allowed()
        if verb == "get":
            if sub not in (None, "status"):
                raise errors.method_not_allowed()
            self._send(200, api.get(rtype, namespace, route_.name), rtype=rtype)
        elif verb == "list":
            label, field = self._selectors(rtype, params)
            try:
                limit = max(0, int(params.get("limit") or 0))
            except ValueError:
                raise errors.bad_request(f'invalid limit: "{params["limit"]}"') from None
            result = api.list(rtype, route_.namespace, label, field, limit, params.get("continue"))
            self._send(200, result, rtype=rtype)
        elif verb == "watch":
            label, field = self._selectors(rtype, params)
            if route_.name:
                field = FieldSelector(f"metadata.name={route_.name}", rtype)
            self._watch(rtype, route_.namespace, label, field, params)
        elif verb == "create":
            data = self._parse_body(body, content_type)
            if sub == "eviction" and rtype.plural == "pods":
                self._send(201, api.evict(rtype, namespace, route_.name, data, dry_run))
            elif route_.name:
                raise errors.method_not_allowed()
            else:
                self._send(201, api.create(rtype, namespace, data or {}, dry_run))
        elif verb == "update":
            if not route_.name or sub not in (None, "status"):
                raise errors.method_not_allowed()
            data = self._parse_body(body, content_type)
            self._send(200, api.update(rtype, namespace, route_.name, data or {}, sub, dry_run))
        elif verb == "patch":
            if not route_.name or sub not in (None, "status"):
                raise errors.method_not_allowed()
            patch_type = PATCH_TYPES.get(content_type)
            if patch_type is None:
                raise errors.unsupported_media_type(content_type, list(PATCH_TYPES))
            data = self._parse_body(body, content_type)
            result, created = api.patch(rtype, namespace, route_.name, patch_type, data, sub, dry_run,
                                        params.get("force") in _TRUE)
            self._send(201 if created else 200, result)
        elif verb == "delete":
            if sub is not None:
                raise errors.method_not_allowed()
            options = self._parse_body(body, content_type) or {}
            if params.get("propagationPolicy") not in (None, "", "Orphan", "Background", "Foreground"):
                raise errors.bad_request(f'Unsupported value: "{params["propagationPolicy"]}": supported values: '
                                         f'"Foreground", "Background", "Orphan"')
            dry_run = dry_run or "All" in (options.get("dryRun") or [])
            result, code = api.delete(rtype, namespace, route_.name, options, dry_run)
            self._send(code, result)
        elif verb == "deletecollection":
            if "deletecollection" not in rtype.verbs:
                raise errors.method_not_allowed()
            label, field = self._selectors(rtype, params)
            options = self._parse_body(body, content_type) or {}
            self._send(200, api.delete_collection(rtype, route_.namespace, label, field, options, dry_run))
        else:
            raise errors.method_not_allowed()

    # ------------------------------------------------------------ watch
