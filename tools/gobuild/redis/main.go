// argocd-redis: the Redis Argo CD's controller, repo server and notifications controller share, served by
// miniredis (the in-memory Redis Argo CD itself uses in its headless mode and its tests) on a loopback port,
// until SIGTERM or SIGINT. Usage: argocd-redis 127.0.0.1:PORT
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/alicebob/miniredis/v2"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: argocd-redis HOST:PORT")
		os.Exit(2)
	}
	server := miniredis.NewMiniRedis()
	if err := server.StartAddr(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "argocd-redis: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("argocd-redis: serving on %s\n", server.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	server.Close()
}
