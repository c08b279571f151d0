"""argocd_health_check refuses a Lua script Argo CD could not compile or run (a library it does not open), before
writing anything, on both targets and in check mode; the message names the line and the error."""

import pytest

from tests.integration.playbook import assert_alias_deprecated
from harness import world

ARGOCD = world.ARGOCD[0]
KEY = world.HEALTH_KEY
OLD = "return {status = 'Healthy'}\n"
# A missing `then`: Argo CD (gopher-lua) fails with "line:3 ... near 'hs': syntax error".
BAD = "local hs = {}\nif obj.status\n  hs.status = 'Healthy'\nend\nreturn hs\n"


def task(namespace, check, **extra):
    args = dict({"argocd_namespace": namespace, "check": check}, **extra)
    return {"name": "install", "mlops.gitops.argocd_health_check": args, "ignore_errors": True}


@pytest.mark.parametrize("check_mode", [False, True])
def test_bad_script_is_refused_and_argocd_cm_is_untouched(api, playbook, namespace, check_mode):
    world.create(api, world.argocd_cm(namespace, {KEY: OLD}))
    before = api.get("v1", "ConfigMap", "argocd-cm", namespace)
    run = playbook.run([task(namespace, BAD)], check=check_mode, diff=True)
    result = run.result("install")
    assert result.get("failed") is True, result
    assert result.get("changed") is False
    assert "Lua syntax error on line 3" in result["msg"], result["msg"]
    assert "'then' expected near 'hs'" in result["msg"]
    assert "nothing was written" in result["msg"]
    after = api.get("v1", "ConfigMap", "argocd-cm", namespace)
    assert after["data"] == {KEY: OLD}
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_bad_script_is_refused_on_the_argocd_cr(api, playbook, namespace):
    ours = {"group": "mlops.mlops.dev", "kind": "NotebookValidationJob", "check": OLD}
    spec = world.create(api, world.argocd(namespace, health_checks=[ours]))["spec"]
    run = playbook.run([task(namespace, "return {status = 'Healthy'\n", target="cr")])
    result = run.result("install")
    assert result.get("failed") is True and result.get("changed") is False, result
    assert "Lua syntax error at the end of the script: '}' expected (to close '{' at line 1)" in result["msg"]
    assert api.get(ARGOCD, "ArgoCD", "argocd", namespace)["spec"] == spec


def test_good_script_and_removal_are_not_blocked(api, playbook, namespace):
    world.create(api, world.argocd_cm(namespace, {}))
    with open(world.HEALTH_LUA) as handle:
        script = handle.read()
    run = playbook.run([task(namespace, script)])
    assert run.result("install").get("changed") is True, run.result("install")
    assert api.get("v1", "ConfigMap", "argocd-cm", namespace)["data"] == {KEY: script}
    # the former option name still works, with a deprecation warning
    removed = playbook.run([{"name": "remove", "mlops.gitops.argocd_health_check": {"namespace": namespace,
                                                                                      "state": "absent"}}])
    assert removed.result("remove").get("changed") is True
    assert_alias_deprecated(removed.result("remove"), "namespace")
    assert KEY not in (api.get("v1", "ConfigMap", "argocd-cm", namespace).get("data") or {})


def test_script_using_a_library_argo_cd_leaves_out_is_refused(api, playbook, namespace):
    """Issue 22, finding 8: string.format compiles, but Argo CD opens no string library for health checks
    (tests/argocd_engines runs the same script there and it fails on line 2)."""
    world.create(api, world.argocd_cm(namespace, {KEY: OLD}))
    script = "local hs = {status = 'Healthy'}\nhs.message = string.format('%d jobs', 2)\nreturn hs\n"
    result = playbook.run([task(namespace, script)]).result("install")
    assert result.get("failed") is True and result.get("changed") is False, result
    assert "line 2 uses the string library, which Argo CD does not open for health checks" in result["msg"]
    assert "nothing was written" in result["msg"]
    assert api.get("v1", "ConfigMap", "argocd-cm", namespace)["data"] == {KEY: OLD}
