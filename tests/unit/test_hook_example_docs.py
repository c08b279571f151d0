"""Issue 14 item 22: the docs must not tell users to `kubectl apply` the hook folder. kubectl ignores Argo CD's
hook annotations, so the wait Job would run at once, outside any sync; only its ServiceAccount, Role and
RoleBinding may be applied by hand, the Job belongs in the Application's source."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "docs").rglob("*.yaml"))]
FOLDER = "wait-for-wave-hook"


def kubectl_applies(text):
    """Every `kubectl apply ...` command (joined over backslash continuations and line breaks inside backticks)."""
    flat = re.sub(r"\\\n\s*", " ", text)
    flat = re.sub(r"`([^`]*)`", lambda m: "`" + " ".join(m.group(1).split()) + "`", flat, flags=re.S)
    return re.findall(r"kubectl apply[^`\n]*", flat)


def test_no_doc_applies_the_hook_folder_or_its_job_with_kubectl():
    for path in DOCS:
        for command in kubectl_applies(path.read_text()):
            assert not re.search(FOLDER + r"/?(\s|$)", command), (path, command)
            assert "job.yaml" not in command, (path, command)


def test_sync_waves_doc_puts_the_job_in_the_applications_source():
    text = " ".join((ROOT / "docs" / "sync-waves.md").read_text().split())
    assert "Put the **Job in the Application's source**" in text
    assert "`kubectl apply` ignores the hook annotations" in text
    assert "-f serviceaccount.yaml -f role.yaml -f rolebinding.yaml" in text
