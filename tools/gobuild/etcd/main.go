// Command etcd runs the etcd server from go.etcd.io/etcd/server/v3. Its own main lives in a
// module with replace lines, which a dependent cannot use, so this wrapper calls etcdmain.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
