"""Evaluate a resource health check the way Argo CD evaluates an ``argocd-cm`` override.

Runs the check in gopher-lua, the VM Argo CD uses, through the ``argocd-health`` command of the Go
harness in tests/argocd_engines (its ``health`` package builds the sandbox as Argo CD's util/lua does:
no open libraries, package/base/table and the safe os through ``require``, a 1-second limit, JSON null
dropped, the result checked against the six statuses, "Pending deletion" for an object being deleted).
The command is built with ``go build`` into ``$BUILD/bin`` (Go's cache makes later builds instant).
Used by the demo (what Argo CD shows); the tests run the harness with ``go test`` directly.
"""

import functools
import json
import os
import pathlib
import subprocess

REPO = pathlib.Path(__file__).resolve().parents[1]
ENGINES = REPO / "tests" / "argocd_engines"


class ArgoCDLuaError(Exception):
    """Argo CD would show an error for this resource instead of a health status."""


@functools.cache
def binary():
    """Path of the ``argocd-health`` command, built (or brought up to date) on first use."""
    out = pathlib.Path(os.environ.get("BUILD") or REPO / ".build") / "bin" / "argocd-health"
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["go", "build", "-o", str(out), "./cmd/argocd-health"], cwd=ENGINES,
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError("building argocd-health failed:\n" + proc.stderr[-3000:])
    return str(out)


def evaluate(script, obj, open_libs=False):
    """``{"status": ..., "message": ...}`` or ``{"error": ...}`` for ``obj`` (a Kubernetes object as a dict)."""
    proc = subprocess.run([binary()], input=json.dumps({"script": script, "object": obj, "openLibs": open_libs}),
                          capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise RuntimeError("argocd-health failed: " + proc.stderr[-2000:])
    return json.loads(proc.stdout)


def health(script, obj):
    """The ``(status, message)`` Argo CD would show; raises ArgoCDLuaError where Argo CD shows an error."""
    result = evaluate(script, obj)
    if "error" in result:
        raise ArgoCDLuaError(result["error"])
    return result.get("status", ""), result.get("message", "")
