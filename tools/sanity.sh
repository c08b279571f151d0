#!/usr/bin/env bash
# ansible-test sanity checks the collection as it ships: the tarball `make collection` built
# (tests, tools and molecule are not in it; ruff and pytest cover those). ansible-test needs it at
# .../ansible_collections/<namespace>/<name> with its dependencies beside it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD:-$repo/.build}"
tarball="$(ls "$build"/dist/mlops-gitops-*.tar.gz)"
# Outside this checkout: inside it, ansible-test would take its file list from this repo's git,
# where .build is ignored, and silently check nothing. The copy is a git repo of its own instead.
root="$(mktemp -d "${TMPDIR:-/tmp}/mlops-gitops-sanity.XXXXXX")"
trap 'rm -rf "$root"' EXIT
dest="$root/ansible_collections/mlops/gitops"
mkdir -p "$dest" "$root/ansible_collections/kubernetes"
tar -xzf "$tarball" -C "$dest"
git -C "$dest" init -q
git -C "$dest" add -A
core="$("$repo/.venv/bin/python" -c 'import ansible_collections.kubernetes.core as c, os; print(os.path.dirname(c.__file__))' 2>/dev/null \
  || "$repo/.venv/bin/python" -c 'import importlib.util as u; print(u.find_spec("ansible_collections.kubernetes.core").submodule_search_locations[0])')"
ln -sfn "$core" "$root/ansible_collections/kubernetes/core"
# ansible-test --venv downloads get-pip.py from a host outside the package registries; give it ours.
pip_version="$(grep -ho "pip='[0-9.]*'" "$repo"/.venv/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -1 | tr -dc '0-9.')"
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
mkdir -p "$(dirname "$cache")"
cp "$repo/tools/get_pip_bootstrap.py" "$cache"
"$repo/.venv/bin/python" "$repo/tools/pip_site_conf.py" > "$(dirname "$cache")/pip-site.conf"
[ -n "$(ls "$(dirname "$cache")"/pip-"$pip_version"-*.whl 2>/dev/null)" ] ||
  "$repo/.venv/bin/python" -m pip download --quiet --no-deps -d "$(dirname "$cache")" "pip==$pip_version"
cd "$dest"
# A venv of its own: --requirements installs each sanity test's pinned tools into it.
sv="${BUILD:-$repo/.build}/venv-sanity"
stamp="$sv/.installed-$(sha256sum "$repo/tools/sanity-requirements.lock" | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  rm -rf "$sv"
  python3 -m venv "$sv"
  "$sv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
    -r "$repo/tools/sanity-requirements.lock"
  touch "$stamp"
fi
log="$root/sanity.log"
status=0
"$sv/bin/ansible-test" sanity --requirements --python 3.11 --color no "$@" 2>&1 | tee "$log" || status=$?
if grep -q "All targets skipped" "$log"; then
  echo "tools/sanity.sh: ansible-test found nothing to check in $dest" >&2
  exit 1
fi
exit "$status"
