// etcd for deploy/helm/k8s_check.py's loopback kube-apiserver, built from the module proxy as
// the tool of its own module so its dependency versions never meet Kubernetes'.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
