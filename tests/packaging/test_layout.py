"""The layout the next person relies on (issue 24): the test harness is one package, ``harness/``, that the tests,
the demo and the benchmarks import; ``tools/`` is what a user or maintainer runs, never imported by the tests or by
the harness; the harness never imports a test module."""

import ast
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def imported(folder):
    """``{path: {top-level module names it imports}}`` for every Python file under ``folder``."""
    out = {}
    for root, _dirs, files in os.walk(os.path.join(REPO, folder)):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as handle:
                    tree = ast.parse(handle.read(), path)
                names = set()
                for node in ast.walk(tree):
                    if isinstance(node, ast.Import):
                        names |= {alias.name.split(".")[0] for alias in node.names}
                    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                        names.add(node.module.split(".")[0])
                out[os.path.relpath(path, REPO)] = names
    return out


def tool_modules():
    base = os.path.join(REPO, "tools")
    return {n[:-3] for n in os.listdir(base) if n.endswith(".py")} | {
        n for n in os.listdir(base) if os.path.isfile(os.path.join(base, n, "__init__.py"))}


def test_no_test_and_no_harness_module_imports_a_tool():
    tools = tool_modules() | {"tools"}
    wrong = {path: sorted(names & tools) for folder in ("tests", "harness")
             for path, names in imported(folder).items() if names & tools}
    assert not wrong, wrong


def test_the_harness_and_the_tools_never_import_a_test_module():
    wrong = {path: "tests" for folder in ("harness", "tools") for path, names in imported(folder).items()
             if "tests" in names}
    assert not wrong, wrong
