"""The CLI runs in the foreground and stops cleanly; the server is fast enough for large lists."""

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from kube_emulator import Emulator

REPO = Path(__file__).resolve().parents[2]


def test_cli_serves_samples_and_stops_on_sigterm(tmp_path):
    kubeconfig = tmp_path / "emu.kubeconfig"
    env = dict(os.environ, PYTHONPATH=str(REPO / "tools"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kube_emulator", "--host", "127.0.0.1", "--port", "0",
         "--crds", str(REPO / "tests/data/crds"), "--load", str(REPO / "tests/data/samples"),
         "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert proc.stdout.readline().strip() == str(kubeconfig)
        assert yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"] == url
        host, port = url[len("http://"):].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("GET", "/apis/mlops.mlops.dev/v1alpha1/namespaces/self-healing-platform/notebookvalidationjobs")
        listing = json.loads(conn.getresponse().read())
        phases = {i["status"]["phase"] for i in listing["items"]}
        assert phases == {"Initializing", "Building", "BuildComplete", "ValidationRunning", "Succeeded", "Failed",
                          "Pending", "Running"}
        conn.request("GET", "/api/v1/namespaces/self-healing-platform/pods?labelSelector="
                            "serving.kserve.io%2Finferenceservice%3Dpredictive-analytics")
        assert len(json.loads(conn.getresponse().read())["items"]) == 2
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def test_keep_alive_and_request_rate(emulator, namespace):
    """One persistent connection: Content-Length on every reply, thousands of requests per second."""
    host, port = emulator.url[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "speed"}})
    conn.request("POST", f"/api/v1/namespaces/{namespace}/configmaps", body,
                 {"Content-Type": "application/json"})
    assert conn.getresponse().read() and True
    n, started = 1000, time.perf_counter()
    for _ in range(n):
        conn.request("GET", f"/api/v1/namespaces/{namespace}/configmaps/speed")
        response = response_ = conn.getresponse()
        assert response.getheader("Content-Length") and response_.status == 200
        response.read()
    rate = n / (time.perf_counter() - started)
    conn.close()
    assert rate > 500, f"{rate:.0f} requests/s"  # typically thousands; the bound leaves room for a busy CI box


@pytest.mark.slow
@pytest.mark.parametrize("count,size", [(10_000, 20_000)])
def test_large_list_pages(emulator, namespace, count, size):
    """10,000 objects of 20 KB each page through limit/continue without trouble."""
    blob = "x" * size
    emulator.load([{"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": f"big-{i:05d}", "namespace": namespace}, "data": {"blob": blob}}
                   for i in range(count)])
    host, port = emulator.url[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    seen, token, started = 0, "", time.perf_counter()
    while True:
        conn.request("GET", f"/api/v1/namespaces/{namespace}/configmaps?limit=500" +
                     (f"&continue={token}" if token else ""))
        page = json.loads(conn.getresponse().read())
        seen += len(page["items"])
        token = page["metadata"].get("continue")
        if not token:
            break
    conn.close()
    assert seen == count
    assert time.perf_counter() - started < 30


def test_stop_closes_keep_alive_connections_and_start_again_works():
    emu = Emulator()
    host, port = emu.start()[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", "/version")
    assert conn.getresponse().read()
    emu.stop()
    with pytest.raises((http.client.HTTPException, OSError)):
        conn.request("GET", "/version")
        conn.getresponse()
    url = emu.start()
    conn = http.client.HTTPConnection(*url[len("http://"):].split(":"), timeout=5)
    conn.request("GET", "/api")
    assert conn.getresponse().status == 200
    emu.stop()
