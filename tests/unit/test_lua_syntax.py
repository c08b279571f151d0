"""The NotebookValidationJob health check, seen from Python.

Running ``health.lua`` is the Go harness's job (tests/argocd_engines, ``make argocd-engines``): it runs
every case of ``health_test.yaml`` in gopher-lua with Argo CD's sandbox. Here: the shape of the check's
test data, the libraries the script must not use, and the pure-Python syntax check the
``argocd_health_check`` module runs before writing (plugins/module_utils/lua_syntax.py), held to the same
corpus the harness checks gopher-lua against.
"""

import os
import pathlib

import pytest
import yaml

from ansible_collections.mlops.gitops.plugins.module_utils import lua_syntax

REPO = pathlib.Path(__file__).resolve().parents[2]
CHECK_DIR = (REPO / "roles" / "argocd_health_check" / "files" / "resource_customizations" / "mlops.mlops.dev"
             / "NotebookValidationJob")
HEALTH_LUA = CHECK_DIR / "health.lua"
CORPUS = REPO / "tests" / "argocd_engines" / "testdata" / "lua_syntax_cases.yaml"


class _KeepTimestampsAsText(yaml.SafeLoader):
    """Kubernetes objects arrive as JSON: RFC 3339 times are strings, never datetimes."""


_KeepTimestampsAsText.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path):
    with open(path) as handle:
        return yaml.load(handle, Loader=_KeepTimestampsAsText)  # noqa: S506 - a SafeLoader subclass


def test_every_testdata_file_has_a_case_and_every_phase_is_covered():
    tests = load_yaml(CHECK_DIR / "health_test.yaml")["tests"]
    listed = sorted(case["inputPath"] for case in tests)
    on_disk = sorted("testdata/" + name for name in os.listdir(CHECK_DIR / "testdata"))
    assert listed == on_disk
    phases = set()
    for path in listed:
        status = load_yaml(CHECK_DIR / path).get("status") or {}
        phases.add(repr(status.get("phase")))
    legacy = ("Pending", "Running")
    expected = ("Initializing", "Building", "BuildComplete", "ValidationRunning", "Succeeded", "Failed") + legacy
    assert {repr(phase) for phase in expected + (None, "Cancelled", 42)} <= phases
    for case in tests:
        assert case["healthStatus"]["status"] in ("Healthy", "Progressing", "Degraded")
        assert set(case["healthStatus"]) == {"status", "message"}


def test_script_uses_no_library_argo_cd_leaves_out():
    script = HEALTH_LUA.read_text()
    for library in ("string.", "math.", "io.", "os.", ":format(", ":sub(", ":find(", ":match(", ":gsub(", ":upper(",
                    ":lower(", ":len("):
        assert library not in script, library


def corpus():
    cases = yaml.safe_load(CORPUS.read_text())["cases"]
    return [pytest.param(case, id=case["name"]) for case in cases]


@pytest.mark.parametrize("case", corpus())
def test_syntax_check_agrees_with_gopher_lua(case):
    """Same verdict as gopher-lua on every corpus script, and the same line (or the line named
    in ``checker_line`` where the check deliberately points at a more useful one)."""
    problem = lua_syntax.check(case["script"])
    want = case.get("checker_line", case["line"])
    if case["line"] is None:
        assert problem is None, problem
    else:
        assert problem is not None, "accepted a script gopher-lua refuses"
        assert problem[0] == want, problem


@pytest.mark.parametrize("case", corpus())
def test_closed_library_check_agrees_with_argo_cds_lua_state(case):
    """Issue 22, finding 8: a script using string.format (or math, io, a global os) compiles, but fails in Argo CD,
    which opens only the base, table and package libraries; health/syntax_test.go runs the same cases there."""
    closed = lua_syntax.closed_libraries(case["script"])
    if case.get("closed_line") is not None:
        assert closed and closed[0][0] == case["closed_line"], closed
    else:
        assert closed == [], closed


def test_closed_library_message_names_the_line_and_what_argo_cd_opens():
    message = lua_syntax.describe("local hs = {}\nhs.message = string.format('%d', 1)\nreturn hs")
    assert message.startswith("line 2 uses the string library, which Argo CD does not open for health checks"), message
    assert "base, table and package" in message and 'local os = require("os")' in message


def test_shipped_check_compiles():
    assert lua_syntax.describe(HEALTH_LUA.read_text()) is None


@pytest.mark.parametrize(
    "script, message",
    [
        ("local hs = {}\nif obj.status\n  hs.status = 'Healthy'\nend",
         "Lua syntax error on line 3: 'then' expected near 'hs'"),
        ("if x then\n", "Lua syntax error at the end of the script: 'end' expected (to close 'if' at line 1)"),
        ("x = 'abc\n", "Lua syntax error on line 1: unfinished string"),
        ("return {}\nx = 1",
         "Lua syntax error on line 2: return and break must be the last statement of a block near 'x'"),
        ("local a = 7 // 2", "Lua syntax error on line 1: unexpected symbol near '/'"),
    ],
)
def test_messages_name_the_line_and_the_error(script, message):
    assert lua_syntax.describe(script) == message


def test_nesting_too_deep_to_check_is_not_refused():
    """gopher-lua's parser has no depth limit: a script too deep for this check is let through, not refused."""
    assert lua_syntax.check("return " + "(" * 5000 + "1" + ")" * 5000) is None
    assert lua_syntax.check("return " + "(" * 50 + "1" + ")" * 50) is None
