"""Names are matched as whole strings everywhere (issue 14 item 6): a "$"-anchored pattern accepts a trailing
newline. The trigger, Application-name and sync-wave checks are covered in test_notebook_trigger, test_argo_app
and test_notebook_wave; these are the other two patterns of the collection."""

import pytest

from ansible_collections.mlops.gitops.plugins.module_utils import argocd_notifications
from ansible_collections.mlops.gitops.plugins.test.collection_installed import collection_installed


def test_a_notifications_key_with_a_trailing_newline_is_refused():
    with pytest.raises(argocd_notifications.ConfigError):
        argocd_notifications.check_entries({"trigger.on-notebook-failed\n": "- when: 'true'"}, {})
    argocd_notifications.check_entries({"trigger.on-notebook-failed": "- when: 'true'"}, {})


def test_a_collection_name_with_a_trailing_newline_is_refused():
    from ansible.errors import AnsibleFilterError

    with pytest.raises(AnsibleFilterError):
        collection_installed("operator_sdk.util\n")
