#!/usr/bin/env bash
# Builds the real systems the tests run against from their Go modules, into .build/bin:
#   tools/gobuild/build.sh etcd kube-apiserver kube-controller-manager ansible-operator ...
# Each wrapper module in tools/gobuild/<folder> pins one upstream release. A binary is rebuilt only when
# its pins change: the stamp beside it records a hash of the module's go.mod, go.sum and *.go files
# and of the build flags. Go's own caches (GOMODCACHE, GOCACHE) make a rebuild after a pin change cheap.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${MLOPS_GO_BIN:-$(cd "$here/../.." && pwd)/.build/bin}"
mkdir -p "$bin"

# binary -> wrapper module folder, the package to build, the module whose version it reports
module_of() {
  case "$1" in
    kube-apiserver|kube-controller-manager|kube-scheduler) echo "kube k8s.io/kubernetes/cmd/$1 k8s.io/kubernetes" ;;
    kwok) echo "kwok sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok" ;;
    etcd) echo "etcd . go.etcd.io/etcd/server/v3" ;;
    ansible-operator) echo "operator github.com/operator-framework/ansible-operator-plugins/cmd/ansible-operator github.com/operator-framework/ansible-operator-plugins" ;;
    kustomize) echo "kustomize sigs.k8s.io/kustomize/kustomize/v5 sigs.k8s.io/kustomize/kustomize/v5" ;;
    kube-state-metrics) echo "ksm k8s.io/kube-state-metrics/v2 k8s.io/kube-state-metrics/v2" ;;
    argocd) echo "argocd github.com/argoproj/argo-cd/v3/cmd github.com/argoproj/argo-cd/v3" ;;
    argocd-redis) echo "redis . github.com/alicebob/miniredis/v2" ;;
    kserve-manager) echo "kserve github.com/kserve/kserve/cmd/manager github.com/kserve/kserve" ;;
    *) echo "gobuild: unknown binary '$1' (known: etcd kube-apiserver kube-controller-manager kube-scheduler kwok ansible-operator kustomize kube-state-metrics argocd argocd-redis kserve-manager)" >&2
       return 2 ;;
  esac
}

# Version stamps, so /version and --version report the pinned release rather than v0.0.0-master.
ldflags_of() {
  local name="$1" version="$2"
  case "$name" in
    kube-apiserver|kube-controller-manager|kube-scheduler)
      local major minor x
      major="${version#v}"; major="${major%%.*}"
      minor="${version#v*.}"; minor="${minor%%.*}"
      for x in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        printf -- '-X %s.gitVersion=%s -X %s.gitMajor=%s -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
          "$x" "$version" "$x" "$major" "$x" "$minor" "$x"
      done ;;
    ansible-operator)
      local x=github.com/operator-framework/ansible-operator-plugins/internal/version
      printf -- '-X %s.Version=%s -X %s.GitVersion=%s ' "$x" "$version" "$x" "$version" ;;
    argocd)  # as Argo CD's Makefile stamps it: the release without its v
      printf -- '-X github.com/argoproj/argo-cd/v3/common.version=%s -X github.com/argoproj/argo-cd/v3/common.gitTreeState=clean ' \
        "${version#v}" ;;
    kube-state-metrics)
      # what ksm's own Makefile stamps: the release, and the client-go it was built with
      printf -- '-X github.com/prometheus/common/version.Version=%s -X k8s.io/kube-state-metrics/v2/pkg/app.ClientGoVersion=%s ' \
        "$version" "$(cd "$here/ksm" && go list -m -f '{{.Version}}' k8s.io/client-go)" ;;
  esac
}

# Files of the release a binary needs beside it, from the module (never copied into this repository): Argo CD's
# own manifests (CRDs and the config objects of core-install.yaml) and the git wrapper its repo server runs.
release_files() {
  local name="$1" dir="$2" upstream="$3" src dest
  [ "$name" = argocd ] || [ "$name" = kwok ] || [ "$name" = kserve-manager ] || return 0
  src="$(cd "$dir" && go list -m -f '{{.Dir}}' "$upstream")"
  if [ "$name" = kserve-manager ]; then  # its CRDs, its configuration ConfigMap and the sklearn serving runtime
    dest="$bin/../kserve-release"
    rm -rf "$dest" && mkdir -p "$dest/crds"
    cp "$src"/config/crd/full/serving.kserve.io_*.yaml "$dest/crds/"
    cp "$src/config/configmap/inferenceservice.yaml" "$src/config/runtimes/kserve-sklearnserver.yaml" "$dest/"
    chmod -R u+w "$dest"
    return 0
  fi
  if [ "$name" = kwok ]; then  # its stages: nodes become Ready and keep a heartbeat; pods run, and go when deleted
    dest="$bin/../kwok-release"
    rm -rf "$dest" && mkdir -p "$dest"
    for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml pod/fast/pod-ready.yaml \
             pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      { echo "---"; cat "$src/kustomize/stage/$f"; } >> "$dest/stages.yaml"
    done
    return 0
  fi
  dest="$bin/../argocd-release"
  rm -rf "$dest" && mkdir -p "$dest"
  cp "$src/manifests/core-install.yaml" "$src/manifests/crds/application-crd.yaml" \
     "$src/manifests/crds/appproject-crd.yaml" "$src/hack/git-verify-wrapper.sh" "$dest/"
  cp "$src/notifications_catalog/install.yaml" "$dest/notifications-catalog.yaml"  # Argo CD's own triggers
  chmod u+w,+x "$dest/git-verify-wrapper.sh"
  chmod u+w "$dest"/*.yaml
}

# The Go toolchain of each wrapper module: this machine's own (local), or NEWER_TOOLCHAIN for a module whose
# go.mod asks for a newer Go than that (Argo CD v3.6 asks for go 1.27.0). The go command fetches that toolchain
# from the Go module proxy the first time (about 76 MB). Per module, not for every build: etcd v3.6's grpc does
# not compile with Go 1.27 ("undefined: http2.TrailerPrefix": golang.org/x/net's http2 changes there).
NEWER_TOOLCHAIN=go1.27.3
toolchain_for() {
  local wanted have
  wanted="$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$1/go.mod")"
  have="$(GOTOOLCHAIN=local go env GOVERSION)"; have="${have#go}"
  if [ "$(printf '%s\n%s\n' "$wanted" "$have" | sort -V | tail -1)" != "$have" ]; then
    echo "$NEWER_TOOLCHAIN"
  else
    echo local
  fi
}

for name in "$@"; do
  read -r sub pkg upstream < <(module_of "$name")
  dir="$here/$sub"
  GOTOOLCHAIN="$(toolchain_for "$dir")"
  export GOTOOLCHAIN
  version="$(cd "$dir" && go list -m -f '{{.Version}}' "$upstream")"
  flags="-s -w $(ldflags_of "$name" "$version")"
  stamp="$( { cat "$dir/go.mod" "$dir/go.sum"; find "$dir" -maxdepth 1 -name '*.go' -exec cat {} +; echo "$flags"; } \
            | sha256sum | cut -c1-16)"
  if [[ -x "$bin/$name" && "$(cat "$bin/$name.stamp" 2>/dev/null)" == "$stamp" ]]; then
    echo "gobuild: $name $version is up to date ($bin/$name)"
    release_files "$name" "$dir" "$upstream"
    continue
  fi
  echo "gobuild: building $name from $upstream $version (cold, on 2 cores: Kubernetes 20-40 min, the others 1-10 min)"
  start=$SECONDS
  ( cd "$dir" && exec go build -trimpath -ldflags "$flags" -o "$bin/$name.tmp" "$pkg" ) &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if (( SECONDS - start > 0 && (SECONDS - start) % 60 < 2 )) && kill -0 "$pid" 2>/dev/null; then
      echo "gobuild: $name still building, $(( (SECONDS - start) / 60 )) min"
      sleep 1
    fi
  done
  if ! wait "$pid"; then
    echo "gobuild: building $name failed (see the Go errors above)" >&2
    exit 1
  fi
  mv "$bin/$name.tmp" "$bin/$name"
  release_files "$name" "$dir" "$upstream"
  echo "$stamp" > "$bin/$name.stamp"
  echo "gobuild: built $name $version in $((SECONDS - start)) s"
done
