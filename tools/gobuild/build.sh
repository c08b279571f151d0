#!/usr/bin/env bash
# Builds the real systems the tests run against from their Go modules, into $BUILD/bin.
#   tools/gobuild/build.sh kube-apiserver kube-controller-manager etcd ansible-operator ...
# Each binary is rebuilt only when its wrapper module (go.mod, go.sum, main.go) or this script
# changes: a stamp beside the binary records the hash it was built from.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BUILD="${BUILD:-$(cd "$here/../.." && pwd)/.build}"
bin="$BUILD/bin"
mkdir -p "$bin"

module_of() {  # binary -> wrapper module folder and the package to build
  case "$1" in
    kube-apiserver|kube-controller-manager) echo "kube k8s.io/kubernetes/cmd/$1" ;;
    etcd) echo "etcd ." ;;
    ansible-operator) echo "operator github.com/operator-framework/ansible-operator-plugins/cmd/ansible-operator" ;;
    kube-state-metrics) echo "ksm k8s.io/kube-state-metrics/v2" ;;
    *) echo "unknown binary '$1'" >&2; exit 2 ;;
  esac
}

ldflags_of() {  # version stamps so /version and --version report the pinned release
  local dir="$1" name="$2"
  case "$name" in
    kube-apiserver|kube-controller-manager)
      local v; v="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "$dir/go.mod")"
      local major="${v#v}"; major="${major%%.*}"
      local minor="${v#v*.}"; minor="${minor%%.*}"
      local x
      for x in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        printf -- '-X %s.gitVersion=%s -X %s.gitMajor=%s -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
          "$x" "$v" "$x" "$major" "$x" "$minor" "$x"
      done ;;
  esac
}

for name in "$@"; do
  read -r sub pkg < <(module_of "$name")
  dir="$here/$sub"
  stamp="$(cat "$dir"/go.mod "$dir"/go.sum $(compgen -G "$dir/*.go" || true) "$0" | sha256sum | cut -c1-16)"
  if [[ -x "$bin/$name" && "$(cat "$bin/$name.stamp" 2>/dev/null)" == "$stamp" ]]; then
    echo "gobuild: $name is up to date ($bin/$name)"
    continue
  fi
  echo "gobuild: building $name from $(grep -m1 -E '^require|^\s+(k8s.io/kubernetes|go.etcd.io/etcd/server/v3|github.com/operator-framework/ansible-operator-plugins|k8s.io/kube-state-metrics/v2) v' "$dir/go.mod" | tr -s ' \t' ' ') (a cold build of Kubernetes takes 15-30 min on 2 cores)"
  start=$SECONDS
  ( cd "$dir" && go build -trimpath -ldflags "-s -w $(ldflags_of "$dir" "$name")" -o "$bin/$name.tmp" "$pkg" ) &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    (( (SECONDS - start) % 60 < 5 )) || continue
    kill -0 "$pid" 2>/dev/null && echo "gobuild: $name still building, $((SECONDS - start)) s"
  done
  wait "$pid"
  mv "$bin/$name.tmp" "$bin/$name"
  echo "$stamp" > "$bin/$name.stamp"
  echo "gobuild: built $name in $((SECONDS - start)) s"
done
