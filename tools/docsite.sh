#!/usr/bin/env bash
# `make docsite`: the collection's docsite the Ansible way, into $BUILD/docsite/build/html.
# antsibull-docs sphinx-init sets it up for the installed collection ($ANSIBLE_COLLECTIONS_PATH, which
# `make collection` filled): plugin and role pages from their own docs, the guides from
# docs/docsite/extra-docs.yml. Sphinx runs with -W: any warning fails the build.
#
# Offline: Sphinx may fetch no intersphinx inventory, so the few labels of the Ansible docsite that the
# pages point at (ansible-core's and kubernetes.core's doc fragments) come from a small inventory written
# here; a new one fails the build with "undefined label" until it is added to LABELS below.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD:-$repo/.build}"
site="$build/docsite"
bin="$repo/.venv/bin"
export PATH="$bin:$PATH"
# antsibull-docs copies a collection with `git ls-files` when its path is inside a git work tree: this
# checkout (where .build and .venv are ignored) must not count as one.
export GIT_CEILING_DIRECTORIES="$repo"
rm -rf "$site"
mkdir -m 700 -p "$site"
antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir "$site" \
  --project mlops.gitops --title "mlops.gitops" --html-short-title "mlops.gitops" \
  --copyright "mlops.gitops developers" mlops.gitops >/dev/null
"$bin/python" - "$site" <<'PY'
import sys, zlib
site = sys.argv[1]
# label -> (page, title) on https://docs.ansible.com/projects/ansible/devel/
LABELS = {
    "action_plugins": ("plugins/action.html#action-plugins", "Action plugins"),
    "ansible_configuration_settings": ("reference_appendices/config.html#ansible-configuration-settings",
                                       "Ansible Configuration Settings"),
    "common_return_values": ("reference_appendices/common_return_values.html#common-return-values", "Return Values"),
    "ansible_collections.community.okd.k8s_auth_module": (
        "collections/community/okd/k8s_auth_module.html#ansible-collections-community-okd-k8s-auth-module",
        "community.okd.k8s_auth module"),
}
body = "".join("{0} std:label -1 {1} {2}\n".format(k, *v) for k, v in sorted(LABELS.items()))
with open(site + "/ansible_devel.inv", "wb") as handle:
    handle.write(b"# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
                 b"# The remainder of this file is compressed using zlib.\n" + zlib.compress(body.encode()))
with open(site + "/conf.py", "a") as handle:
    handle.write("\n# make docsite: offline, with the labels tools/docsite.sh lists.\nintersphinx_mapping = {\n"
                 "    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '../ansible_devel.inv'),\n}\n")
PY
"$site/build.sh" 2>&1 | tee "$site/build.log" | grep -Ev '^(reading sources|writing output|copying|done|loading|building|updating|looking|preparing|generating|dumping|highlighting|pickling|checking|writing additional|Running Sphinx|/.*docsite$|$)' || true
if grep -Eq 'WARNING|ERROR|build finished with problems' "$site/build.log" || [ ! -f "$site/build/html/index.html" ]; then
  echo "docsite: FAILED, see $site/build.log" >&2
  exit 1
fi
echo "docsite: $site/build/html/index.html"
