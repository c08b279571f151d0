"""The guides reach the docsite as extra docs with the same text Galaxy shows (tools/guides_rst.py).

Galaxy and Automation Hub render docs/*.md; antsibull-docs takes docs/docsite/rst/*.rst listed in
docs/docsite/extra-docs.yml. The RST is generated from the Markdown and must not drift; every guide is listed.
The full checks (`antsibull-docs lint-collection-docs --plugin-docs`, the Sphinx build) are `make docs-lint`
and `make docsite`.
"""

import glob
import os
import re
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUIDES_RST = os.path.join(REPO, "tools", "guides_rst.py")  # run as a maintainer runs it, never imported


def test_guide_rst_is_current():
    proc = subprocess.run([sys.executable, GUIDES_RST, "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_extra_docs_lists_every_guide_once():
    with open(os.path.join(REPO, "docs", "docsite", "extra-docs.yml"), encoding="utf-8") as handle:
        index = yaml.safe_load(handle)
    listed = [entry for section in index["sections"] for entry in section["toctree"]]
    pages = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(REPO, "docs", "docsite", "rst", "*.rst")))
    guides = glob.glob(os.path.join(REPO, "docs", "*.md"))
    assert sorted(listed) == pages == sorted(os.path.basename(g)[:-3].replace("-", "_") for g in guides)


def render(markdown):
    proc = subprocess.run([sys.executable, GUIDES_RST, "--render"], input=markdown, capture_output=True, text=True,
                          check=True)
    return proc.stdout.split("\n\n", 2)[2]


def test_markdown_becomes_rst():
    assert render("# Title `x`\n") == "Title ``x``\n" + "=" * 11 + "\n"
    assert render("a `code`s and **bold** with_under*score\n") == \
        "a ``code``\\ s and **bold** with\\_under\\*score\n"
    assert render("see [the triggers](triggers.md#x) and [ci](../.ci/run)\n") == \
        "see :ref:`the triggers <ansible_collections.mlops.gitops.docsite.triggers>` and ci (``.ci/run``)\n"
    assert render("[role](../roles/argocd_health_check/README.md)\n") == \
        ":ref:`role <ansible_collections.mlops.gitops.argocd_health_check_role>`\n"
    table = render("| a | b |\n|---|---|\n| `x` | |\n")
    assert table == ".. list-table::\n   :header-rows: 1\n\n   * - a\n     - b\n   * - ``x``\n     - \\\n"
    assert render("- one\n  two\n- ```yaml\n  k: v\n  ```\n") == \
        "- one two\n- .. code-block:: yaml\n\n     k: v\n"


def test_pictures_are_embedded():
    text = render("![alt text](architecture.svg)\n")
    assert re.match(r"\.\. image:: data:image/svg\+xml;base64,[A-Za-z0-9+/=]+\n   :alt: alt text\n", text)
