"""The real Argo CD in the tests: the session's (harness/argocd_local.py, started on the local control plane the
first time a test asks for it) or, with ``KUBECONFIG`` set, the Argo CD that cluster already runs (namespace
``$ARGOCD_NAMESPACE``, default ``argocd``). Nothing here plays Argo CD: these helpers only wait for what its
controller writes on an Application and read it back.
"""

import http.server
import json
import os
import threading
import time
import urllib.parse

from harness import world

APP_VERSION, APP_KIND = world.APP


class ArgoCD:
    """A running Argo CD: ``namespace``, and ``local`` (the LocalArgoCD) when this session started it."""

    def __init__(self, namespace, local=None):
        self.namespace = namespace
        self.local = local

    @classmethod
    def of_cluster(cls, cluster, workdir):
        if cluster.local is None:  # a user's cluster: its own Argo CD
            return cls(os.environ.get("ARGOCD_NAMESPACE", "argocd"))
        from harness.argocd_local import LocalArgoCD

        return cls("argocd", LocalArgoCD(workdir, cluster.local.kubeconfig).start())

    def stop(self):
        if self.local is not None:
            self.local.stop()

    def application(self, api, name):
        return api.get(APP_VERSION, APP_KIND, name, self.namespace)

    def wait(self, api, name, what, predicate, timeout=90):
        """Poll the Application until ``predicate(app)`` holds; its last state and the controller's log on
        timeout. Returns the Application."""
        deadline = time.monotonic() + timeout
        app = None
        while time.monotonic() < deadline:
            app = self.application(api, name)
            if app is not None and predicate(app):
                return app
            if self.local is not None:
                self.local.check_alive()
            time.sleep(0.2)
        status = (app or {}).get("status") or {}
        log = self.local.log_tail("argocd-application-controller", 30) if self.local else ""
        raise AssertionError(f"Application {self.namespace}/{name}: {what} not seen in {timeout} s; operationState "
                             f"{status.get('operationState')}, sync {status.get('sync')}, health "
                             f"{status.get('health')}\n{log}")

    def sync(self, api, name, revision="main"):
        """Start a sync as `argocd app sync` does through Argo CD's API server (no API server runs here): the
        Application's ``operation``, initiated by a user."""
        api.patch(APP_VERSION, APP_KIND, name, {"operation": {
            "initiatedBy": {"username": "mlops-tests"}, "sync": {"revision": revision}}}, namespace=self.namespace)


def operation_phase(app):
    return (((app or {}).get("status") or {}).get("operationState") or {}).get("phase")


def history(app):
    return ((app or {}).get("status") or {}).get("history") or []


class SlackReceiver:
    """Slack's Web API as Argo CD's Slack service calls it (``apiURL`` points it here): each
    ``chat.postMessage`` is recorded as its form fields and answered as Slack answers."""

    def __init__(self):
        received = self.messages = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                json_body = "json" in (self.headers.get("Content-Type") or "")
                fields = json.loads(body) if json_body else dict(urllib.parse.parse_qsl(body))
                received.append(dict(fields, path=self.path))
                reply = b'{"ok": true, "channel": "C0MLOPS", "ts": "%d.000100"}' % len(received)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/" % self.server.server_address[1]

    def posts(self, channel=None):
        """The messages posted (to ``channel``, when given), oldest first."""
        return [m for m in self.messages if m["path"].endswith("chat.postMessage")
                and (channel is None or m.get("channel") == channel)]

    def close(self):
        self.server.shutdown()
