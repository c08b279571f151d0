"""A recording, fault-injecting HTTPS proxy in front of a real kube-apiserver, for tests.

Every answer comes from the real server; the proxy only
- records each request (verb, resource, namespace, name, subresource, query, user, code) so tests can
  assert what a reconcile sent ("a repeated reconcile writes nothing");
- fails or delays chosen requests (``inject_fault``) to test what the collection does on API errors;
- holds one chosen request (``hold``) until the test lets it through or drops it, so that a test can stop the
  client's process at that very request (before it reaches the server, or after the server applied it);
- streams watches through as they arrive.

Clients authenticate to the real server with a bearer token, which the proxy passes on untouched (it
holds no credentials of its own, so every request is authorised as the client who sent it). It serves
TLS with a certificate of the cluster's CA, so clients verify it as they would the API server.
"""

import base64
import http.client
import itertools
import json
import re
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

LOG_LIMIT = 100_000
UPSTREAM_IDLE = 20  # seconds; kube-apiserver may close a kept-alive connection idle for longer
ALLOWED_CODES = {0, 403, 404, 409, 429, 500, 503}
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"}
_TRUE = ("1", "true", "True")


def describe(method, path, params):
    """What a request names, read from its path as kube-apiserver's RequestInfo reads it (no discovery
    needed). ``namespace`` is the path's namespace: None for a Namespace object itself."""
    entry = {"verb": None, "group": None, "version": None, "resource": None, "subresource": None,
             "namespace": None, "name": None}
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in ("api", "apis"):
        entry["verb"] = "nonresource"
        return entry
    if parts[0] == "api":
        group, rest = "", parts[1:]
    else:
        group, rest = (parts[1] if len(parts) > 1 else ""), parts[2:]
    if not rest or len(rest) == 1:
        entry["verb"] = "discovery"
        return entry
    version, rest = rest[0], rest[1:]
    watch_path = rest[0] == "watch"
    if watch_path:
        rest = rest[1:]
    if rest and rest[0] == "namespaces" and len(rest) >= 3 and not (
            group == "" and len(rest) == 3 and rest[2] in ("status", "finalize")):
        entry["namespace"], rest = rest[1], rest[2:]
    if not rest:
        entry["verb"] = "discovery"
        return entry
    entry.update(group=group, version=version, resource=rest[0],
                 name=rest[1] if len(rest) > 1 else None, subresource=rest[2] if len(rest) > 2 else None)
    watching = watch_path or params.get("watch") in _TRUE
    entry["verb"] = {
        "GET": "watch" if watching else ("get" if entry["name"] else "list"),
        "POST": "create", "PUT": "update", "PATCH": "patch",
        "DELETE": "delete" if entry["name"] else "deletecollection",
    }.get(method, method.lower())
    return entry


def _criteria(**given):
    return {k: v for k, v in given.items() if v is not None}


class _Match:
    """Which requests a fault or a hold applies to: ``criteria`` over the request log's fields (``path`` and
    ``body`` are regular expressions searched in the path and in the request body, ``method`` any case)."""

    def __init__(self, ident, criteria):
        self.id, self.criteria = ident, criteria

    def matches(self, entry, body=b""):
        for key, wanted in self.criteria.items():
            if key == "body":
                if not re.search(wanted, (body or b"").decode("utf-8", "replace")):
                    return False
            elif key == "path":
                if not re.search(wanted, entry.get("path") or ""):
                    return False
            elif key == "method":
                if (entry.get("method") or "").upper() != wanted.upper():
                    return False
            elif entry.get(key) != wanted:
                return False
        return True


class Fault(_Match):
    """Fail (``code``) and/or delay the ``nth`` to ``nth + count - 1`` requests that match ``criteria``."""

    def __init__(self, ident, criteria, nth, count, code, delay, message):
        super().__init__(ident, criteria)
        self.nth, self.count, self.code, self.delay, self.message = nth, count, code, delay, message
        self.seen = 0

    def status(self, entry):
        """The Status body and headers the real server sends for this code."""
        resource, name = entry.get("resource"), entry.get("name")
        group = entry.get("group")
        qualified = f"{resource}.{group}" if group else resource
        details, headers = {}, {}
        if self.code == 404 and name:
            reason, message = "NotFound", f'{qualified} "{name}" not found'
            details = {"name": name, "group": group or "", "kind": resource}
        elif self.code == 409 and name:
            reason = "Conflict"
            message = (f'Operation cannot be fulfilled on {qualified} "{name}": the object has been modified; '
                       "please apply your changes to the latest version and try again")
            details = {"name": name, "group": group or "", "kind": resource}
        elif self.code == 429:
            reason, message = "TooManyRequests", "Too many requests, please try again later."
            details, headers = {"retryAfterSeconds": 1}, {"Retry-After": "1"}
        elif self.code == 503:
            reason, message = "ServiceUnavailable", "the server is currently unable to handle the request"
        elif self.code == 403:
            reason, message = "Forbidden", "forbidden: injected fault"
        else:
            reason, message = "InternalError", "Internal error occurred: injected fault"
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message or message, "reason": reason, "details": details, "code": self.code}
        return body, headers


class Hold(_Match):
    """The ``nth`` request that matches ``criteria``, held before it reaches the server. ``wait()`` returns its
    log entry once it is held; ``release(forward=True)`` sends it on and returns once the server has answered
    (the answer goes to the client, if it is still there); ``release(forward=False)`` drops it: the connection
    is closed and the server never sees it."""

    def __init__(self, ident, criteria, nth):
        super().__init__(ident, criteria)
        self.nth, self.seen = nth, 0
        self.entry = None
        self.forward = None
        self._held, self._released, self._answered = threading.Event(), threading.Event(), threading.Event()

    def wait(self, timeout):
        if not self._held.wait(timeout):
            raise TimeoutError("no request matching {0} in {1} s".format(self.criteria, timeout))
        return self.entry

    def release(self, forward, timeout=120):
        self.forward = bool(forward)
        self._released.set()
        if self.forward and not self._answered.wait(timeout):
            raise TimeoutError("the held request {0} got no answer in {1} s".format(self.entry, timeout))
        return self.entry

    def held(self, entry):
        """In the request's thread: hold it until released; whether to send it on."""
        self.entry = entry
        self._held.set()
        self._released.wait()
        return self.forward

    def answered(self):
        self._answered.set()


class RecordingProxy:
    """``proxy = RecordingProxy(upstream, ca_file, cert_file, key_file).start()``; ``proxy.url``."""

    def __init__(self, upstream, ca_file, cert_file, key_file):
        split = urlsplit(upstream)
        self.upstream_host, self.upstream_port = split.hostname, split.port or 443
        self.upstream_context = ssl.create_default_context(cafile=str(ca_file))
        self.server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_context.load_cert_chain(str(cert_file), str(key_file))
        self.request_log = []
        self._log_lock = threading.Lock()
        self._faults = []
        self._holds = []
        self._fault_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = None
        self._thread = None
        self.url = None
        self.users = {}  # bearer token -> user name, for the log

    # ------------------------------------------------------------ lifecycle

    def start(self, host="127.0.0.1", port=0):
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = _Server((host, port), Handler)
        self._server.socket = self.server_context.wrap_socket(self._server.socket, server_side=True,
                                                              do_handshake_on_connect=False)
        bound_host, bound_port = self._server.server_address[:2]
        self.url = f"https://{bound_host}:{bound_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="kube-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join(timeout=5)
        self._server = self._thread = None

    # ------------------------------------------------------------ request log

    def record(self, entry):
        with self._log_lock:
            self.request_log.append(entry)
            if len(self.request_log) > LOG_LIMIT:
                del self.request_log[: len(self.request_log) - LOG_LIMIT]

    def clear_log(self):
        with self._log_lock:
            self.request_log.clear()

    # ------------------------------------------------------------ faults

    def inject_fault(self, verb=None, resource=None, namespace=None, name=None, subresource=None, path=None,
                     method=None, nth=1, count=1, code=500, delay=0.0, message=None, body=None):
        """Make the ``nth`` .. ``nth+count-1`` matching requests fail with ``code`` (0: only ``delay``)."""
        if code not in ALLOWED_CODES:
            raise ValueError(f"fault code must be one of {sorted(ALLOWED_CODES)}, not {code}")
        if nth < 1 or count < 1:
            raise ValueError("nth and count must be >= 1")
        criteria = _criteria(verb=verb, resource=resource, namespace=namespace, name=name, subresource=subresource,
                             path=path, method=method, body=body)
        fault = Fault(next(self._ids), criteria, int(nth), int(count), int(code), float(delay), message)
        with self._fault_lock:
            self._faults.append(fault)
        return fault.id

    def hold(self, verb=None, resource=None, namespace=None, name=None, subresource=None, path=None, method=None,
             body=None, user=None, nth=1):
        """Hold the ``nth`` matching request (see ``Hold``); returns the ``Hold``, which the test must release.
        ``clear_faults`` drops the holds that have not taken a request yet."""
        if nth < 1:
            raise ValueError("nth must be >= 1")
        hold = Hold(next(self._ids), _criteria(verb=verb, resource=resource, namespace=namespace, name=name,
                                               subresource=subresource, path=path, method=method, body=body,
                                               user=user), int(nth))
        with self._fault_lock:
            self._holds.append(hold)
        return hold

    def clear_faults(self):
        with self._fault_lock:
            self._faults.clear()
            self._holds.clear()

    def active_faults(self):
        with self._fault_lock:
            return [dict(id=f.id, **f.criteria, nth=f.nth, count=f.count, code=f.code, delay=f.delay, seen=f.seen)
                    for f in self._faults]

    def take_hold(self, entry, body):
        """The hold that takes this request, if any (each takes one request)."""
        with self._fault_lock:
            for hold in list(self._holds):
                if hold.matches(entry, body):
                    hold.seen += 1
                    if hold.seen == hold.nth:
                        self._holds.remove(hold)
                        return hold
        return None

    def take_fault(self, entry, body=b""):
        fired = None
        with self._fault_lock:
            for fault in list(self._faults):
                if not fault.matches(entry, body):
                    continue
                fault.seen += 1
                if fault.seen >= fault.nth + fault.count - 1:
                    self._faults.remove(fault)
                if fired is None and fault.nth <= fault.seen < fault.nth + fault.count:
                    fired = fault
        return fired


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._open = set()
        self._open_lock = threading.Lock()

    def process_request_thread(self, request, client_address):
        with self._open_lock:
            self._open.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.discard(request)

    def close_connections(self):
        with self._open_lock:
            for sock in list(self._open):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        pass  # a client that hung up mid-watch is not an error of the proxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner = None  # the RecordingProxy, set by a subclass per proxy

    def setup(self):
        self.request.do_handshake()
        super().setup()
        self.upstream = None
        self.upstream_used = 0.0

    def log_message(self, *args):
        pass

    def _user(self):
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
            return self.owner.users.get(token) or _token_subject(token)
        return None

    def _connection(self, fresh=False):
        """The upstream connection of this client connection; a new one after an error or when it has been
        idle long enough that kube-apiserver may have closed it."""
        now = time.monotonic()
        if fresh or self.upstream is None or now - self.upstream_used > UPSTREAM_IDLE:
            if self.upstream is not None:
                self.upstream.close()
            self.upstream = http.client.HTTPSConnection(self.owner.upstream_host, self.owner.upstream_port,
                                                        context=self.owner.upstream_context, timeout=600)
        self.upstream_used = now
        return self.upstream

    def _handle(self):
        started = time.time()
        split = urlsplit(self.path)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        entry = describe(self.command, split.path, params)
        entry.update(method=self.command, path=split.path, query=params, code=None, user=self._user(),
                     time=started)
        if self.command == "PATCH":
            entry["patch_type"] = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        hold = self.owner.take_hold(entry, body)
        if hold is not None and not hold.held(entry):
            entry["dropped"] = True  # the server never sees it; the client sees its connection close
            self.owner.record(entry)
            self.close_connection = True
            return
        try:
            self._answer(entry, body)
        finally:
            if hold is not None:
                hold.answered()

    def _answer(self, entry, body):
        fault = self.owner.take_fault(entry, body)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.code:
                status, headers = fault.status(entry)
                entry["injected"] = True
                self._send_status(entry, fault.code, status["reason"], status["message"], status, headers)
                return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP and k.lower() != "host"}
        headers["Host"] = f"{self.owner.upstream_host}:{self.owner.upstream_port}"
        reply = None
        for attempt in (0, 1):
            conn = self._connection(fresh=attempt == 1)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                reply = conn.getresponse()
                break
            except (OSError, http.client.HTTPException) as exc:  # a kept-alive connection the server closed
                error = exc
        if reply is None:
            self._send_status(entry, 502, "BadGateway",
                              "the test proxy could not reach kube-apiserver: {0!r}".format(error))
            return
        entry["code"] = reply.status
        self.owner.record(entry)  # before the reply goes out: a client that got it also sees the entry
        self.send_response_only(reply.status, reply.reason)
        chunked = reply.getheader("Content-Length") is None and self.command != "HEAD"
        for key, value in reply.getheaders():
            if key.lower() not in _HOP_BY_HOP:
                self.send_header(key, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if not chunked:
            self.wfile.write(reply.read())
            return
        while True:
            data = reply.read1(65536)
            if not data:
                break
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        if reply.getheader("Content-Type", "").startswith("application/json") and entry["verb"] == "watch":
            self.close_connection = True

    def _send_status(self, entry, code, reason, message, body=None, headers=None):
        """Answer with a Kubernetes Status (an injected fault, or the upstream unreachable) and log it."""
        body = body or {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": message, "reason": reason, "code": code}
        payload = json.dumps(body).encode()
        entry["code"] = code
        self.owner.record(entry)
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):  # noqa: N802 - http.server's names
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET


def _token_subject(token):
    """The ``sub`` of a service-account JWT (system:serviceaccount:ns:name), for the request log."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return claims.get("sub")
    except (IndexError, ValueError):
        return None
