// The Redis beside Argo CD in the tests and `make cluster-up`: miniredis, at the version Argo CD v3.6.2
// pins (tools/gobuild/argocd/go.mod), from a main of ours (main.go). Debian's redis-server would also do,
// but it is one more system package for every machine; miniredis is a Go module like everything else here.
module mlops.dev/gitops/tools/gobuild/redis

go 1.26.0

require github.com/alicebob/miniredis/v2 v2.39.0

require github.com/yuin/gopher-lua v1.1.1 // indirect
