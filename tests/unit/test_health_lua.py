"""Runs the NotebookValidationJob health check's ``health_test.yaml`` in a real Lua 5.1 VM, sandboxed
the way Argo CD runs an ``argocd-cm`` override without ``useOpenLibs`` (tools/argocd_lua.py), and checks
that sandbox against what Argo CD opens.
"""

import os

import lupa.lua51
import pytest
import yaml
from argocd_lua import run, sandboxed_runtime, to_lua  # tools/, on sys.path via tests/conftest.py

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "argocd_health_check")
CHECK_DIR = os.path.join(ROLE, "files", "resource_customizations", "mlops.mlops.dev", "NotebookValidationJob")
HEALTH_LUA = os.path.join(CHECK_DIR, "health.lua")
VALID_STATUSES = ("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown")


class _KeepTimestampsAsText(yaml.SafeLoader):
    """Kubernetes objects arrive as JSON: RFC 3339 times are strings, never datetimes."""


_KeepTimestampsAsText.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path):
    with open(path) as handle:
        return yaml.load(handle, Loader=_KeepTimestampsAsText)  # noqa: S506 - a SafeLoader subclass


def run_health(script, obj):
    """The ``(status, message)`` the script returns for ``obj``; a Lua error raises LuaError."""
    result = run(script, obj)
    assert lupa.lua51.lua_type(result) == "table", "the script must return a table, got {!r}".format(result)
    keys = set(result.keys())
    assert keys <= {"status", "message"}, keys
    return result["status"], result["message"]


def read_script():
    with open(HEALTH_LUA, encoding="utf-8") as handle:
        return handle.read()


def health_cases():
    tests = load_yaml(os.path.join(CHECK_DIR, "health_test.yaml"))["tests"]
    return [pytest.param(case, id=os.path.basename(case["inputPath"])[: -len(".yaml")]) for case in tests]


@pytest.mark.parametrize("case", health_cases())
def test_health_test_yaml_case(case):
    obj = load_yaml(os.path.join(CHECK_DIR, case["inputPath"]))
    status, message = run_health(read_script(), obj)
    assert status in VALID_STATUSES
    assert (status, message) == (case["healthStatus"]["status"], case["healthStatus"]["message"])


def test_every_testdata_file_has_a_case_and_every_phase_is_covered():
    tests = load_yaml(os.path.join(CHECK_DIR, "health_test.yaml"))["tests"]
    listed = sorted(case["inputPath"] for case in tests)
    on_disk = sorted("testdata/" + name for name in os.listdir(os.path.join(CHECK_DIR, "testdata")))
    assert listed == on_disk
    phases = set()
    for path in listed:
        status = load_yaml(os.path.join(CHECK_DIR, path)).get("status") or {}
        phases.add(repr(status.get("phase")))
    legacy = ("Pending", "Running")
    expected = ("Initializing", "Building", "BuildComplete", "ValidationRunning", "Succeeded", "Failed") + legacy
    assert {repr(phase) for phase in expected + (None, "Cancelled", 42)} <= phases


def test_sandbox_has_only_what_argo_cd_opens():
    lua = sandboxed_runtime()
    g = lua.globals()
    for name in ("string", "math", "io", "debug", "coroutine", "python"):
        assert g[name] is None, name
    assert sorted(g.os.keys()) == ["date", "time"]
    assert lua.eval("tostring(3) .. '/' .. table.concat({1, 'b'}, ',')") == "3/1,b"
    assert lua.eval("require('os').time ~= nil")
    with pytest.raises(lupa.lua51.LuaError):
        lua.execute("return require('string')")


def test_string_library_use_fails_in_the_sandbox():
    """Negative control: a script that passes with open libraries must fail here, as in Argo CD."""
    script = 'local hs = {status = "Healthy"}\nhs.message = string.format("phase %s", obj.status.phase)\nreturn hs\n'
    obj = {"status": {"phase": "Succeeded"}}
    with pytest.raises(lupa.lua51.LuaError, match="string"):
        run_health(script, obj)
    with pytest.raises(lupa.lua51.LuaError):
        run_health('return {status = "Healthy", message = obj.status.phase:lower()}', obj)
    open_libs = lupa.lua51.LuaRuntime()
    open_libs.globals().obj = to_lua(open_libs, obj)
    assert open_libs.execute(script)["message"] == "phase Succeeded"


def test_nil_concatenation_is_an_error_in_the_sandbox():
    """The ADR's pattern ``msg .. obj.status.retryCount`` is the failure this check avoids."""
    with pytest.raises(lupa.lua51.LuaError, match="concatenate"):
        run_health('return {status = "Degraded", message = "retry " .. obj.status.retryCount}', {"status": {}})


def test_script_uses_no_library_argo_cd_leaves_out():
    script = read_script()
    for library in ("string.", "math.", "io.", ":format(", ":sub(", ":find(", ":match(", ":gsub("):
        assert library not in script, library
