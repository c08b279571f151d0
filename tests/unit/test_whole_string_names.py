"""Names are matched as whole strings everywhere (issue 14 item 6): a "$"-anchored pattern accepts a trailing
newline. The trigger, Application-name and sync-wave checks are covered in test_notebook_trigger, test_argo_app
and test_notebook_wave; these are the other patterns of the collection."""

import pytest

from ansible_collections.mlops.gitops.plugins.module_utils import argocd_notifications
from ansible_collections.mlops.gitops.plugins.test.collection_installed import collection_installed
from ansible_collections.mlops.gitops.plugins.test.namespace_name import namespace_name


def test_a_notifications_key_with_a_trailing_newline_is_refused():
    with pytest.raises(argocd_notifications.ConfigError):
        argocd_notifications.check_entries({"trigger.on-notebook-failed\n": "- when: 'true'"}, {})
    argocd_notifications.check_entries({"trigger.on-notebook-failed": "- when: 'true'"}, {})


def test_a_collection_name_with_a_trailing_newline_is_refused():
    from ansible.errors import AnsibleFilterError

    with pytest.raises(AnsibleFilterError):
        collection_installed("operator_sdk.util\n")


@pytest.mark.parametrize("value, expected", [
    ("openshift-gitops", True), ("argocd\n", False), ("Argo_CD", False), ("a" * 63, True), ("a" * 64, False),
    ("-argocd", False), (5, False), (None, False),
])
def test_the_playbooks_namespace_check_is_the_modules(value, expected):
    """Issue 24: the install and uninstall playbooks check argocd_namespace with mlops.gitops.namespace_name, which is
    names.is_namespace (a whole DNS label, at most 63 characters), not a pattern of their own."""
    assert namespace_name(value) is expected
