// kubelet-standin: a kubelet without containers for the local control plane (docs/local-cluster.md,
// docs/device-plugin.md). It runs the kubelet's own device manager with its registration socket at
// <root-dir>/device-plugins/kubelet.sock, keeps Node <node-name> registered and Ready with the
// device plugins' capacity, admits the pods bound to the node through the device manager (Allocate
// per init and app container, then the run options), writes what the plugins returned to
// <root-dir>/pods/<namespace>_<name>.json and reports the pod Running (or Failed with
// UnexpectedAdmissionError when Allocate fails). It serves the kubelet's pod-resources API (v1 and
// v1alpha1) at <root-dir>/pod-resources/kubelet.sock. It starts nothing. SIGTERM/SIGINT: clean stop.
//
//	kubelet-standin --kubeconfig PATH --node-name NAME --root-dir DIR [--labels k=v,...]
//	                [--cpu 32] [--memory 256Gi] [--max-pods 110] [--heartbeat 10s]
//	                [--kube-api-qps 50] [--kube-api-burst 100]
//	                [--feature-gates KubeletPodResourcesGet=true,...] [-v N]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"local/hami-k8s-tools/internal/standin"
)

// version is the kubelet version the node reports (set with -ldflags by hack/build-tools.sh).
var version = "v0.0.0-standin"

func main() {
	klog.InitFlags(nil)
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the API server (default $KUBECONFIG)")
	nodeName := flag.String("node-name", os.Getenv("NODE_NAME"), "Node to register and serve (default $NODE_NAME)")
	rootDir := flag.String("root-dir", "", "state directory: device-plugins/ (kubelet.sock, checkpoint), pod-resources/ (kubelet.sock), pods/ (records)")
	labelFlag := flag.String("labels", "", "extra node labels k=v,k2=v2")
	cpu := flag.String("cpu", "32", "node cpu capacity")
	memory := flag.String("memory", "256Gi", "node memory capacity")
	maxPods := flag.Int("max-pods", 110, "node pods capacity")
	heartbeat := flag.Duration("heartbeat", 10*time.Second, "node status refresh interval")
	nodeIP := flag.String("node-ip", "127.0.0.1", "the node's InternalIP and its pods' hostIP (sim nodes: one loopback address each)")
	// The kubelet's own client limits and defaults (KubeletConfiguration kubeAPIQPS/kubeAPIBurst):
	// client-go's 5/10 would make this node admit pods far slower than a kubelet does.
	qps := flag.Float64("kube-api-qps", 50, "API requests per second (the kubelet's kubeAPIQPS)")
	burst := flag.Int("kube-api-burst", 100, "API request burst (the kubelet's kubeAPIBurst)")
	flag.Func("feature-gates", "kubelet feature gates A=true,B=false (e.g. KubeletPodResourcesGet, alpha and off in v1.32: the pod-resources Get method)",
		utilfeature.DefaultMutableFeatureGate.Set)
	flag.Parse()
	limits := apiLimits{qps: float32(*qps), burst: *burst}
	if ip := net.ParseIP(*nodeIP); ip == nil {
		fmt.Fprintf(os.Stderr, "kubelet-standin: --node-ip %q is not an IP address\n", *nodeIP)
		os.Exit(1)
	}
	if err := run(*kubeconfig, *nodeName, *rootDir, *labelFlag, *cpu, *memory, *maxPods, *heartbeat, *nodeIP, limits); err != nil {
		fmt.Fprintln(os.Stderr, "kubelet-standin:", err)
		os.Exit(1)
	}
}

// apiLimits: the client's rate limits toward the API server.
type apiLimits struct {
	qps   float32
	burst int
}

func run(kubeconfig, nodeName, rootDir, labelFlag, cpu, memory string, maxPods int, heartbeat time.Duration, nodeIP string, limits apiLimits) error {
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if nodeName == "" || rootDir == "" || kubeconfig == "" {
		return fmt.Errorf("--node-name, --root-dir and --kubeconfig (or $KUBECONFIG) are required")
	}
	labels, err := standin.ParseLabels(labelFlag)
	if err != nil {
		return err
	}
	base, err := standin.BaseResources(cpu, memory, maxPods)
	if err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.UserAgent = "kubelet-standin/" + nodeName
	cfg.QPS, cfg.Burst = limits.qps, limits.burst
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(rootDir, 0o750); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	k := &standin.Kubelet{Client: cs, RootDir: rootDir, Heartbeat: heartbeat,
		Node: standin.NodeConfig{Name: nodeName, Labels: labels, Base: base, Version: version, Hostname: nodeName, InternalIP: nodeIP}}
	return k.Run(ctx)
}
