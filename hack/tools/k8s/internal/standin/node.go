package standin

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// NodeConfig describes the Node object the stand-in keeps up to date.
type NodeConfig struct {
	Name     string
	Labels   map[string]string // added to kubernetes.io/hostname, os, arch and gpu=on
	Base     v1.ResourceList   // cpu, memory, pods (capacity = allocatable)
	Version  string            // reported kubelet version
	Hostname string            // the HostName address
	// InternalIP: the node's InternalIP address and its pods' hostIP; empty means 127.0.0.1.
	// Simulated nodes get one loopback address each (127.0.0.2, ...), so a per-node service
	// (hami-monitor on :9394) is found at <InternalIP>:<port> as in a real cluster.
	InternalIP string
}

// NodeIP is the InternalIP the node reports.
func (c *NodeConfig) NodeIP() string {
	if c.InternalIP == "" {
		return "127.0.0.1"
	}
	return c.InternalIP
}

// ParseLabels parses "k=v,k2=v2" (empty = none).
func ParseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("label %q is not k=v", kv)
		}
		out[k] = v
	}
	return out, nil
}

// BaseResources builds the non-device capacity; quantities are Kubernetes quantities ("32", "256Gi").
func BaseResources(cpu, memory string, pods int) (v1.ResourceList, error) {
	c, err := resource.ParseQuantity(cpu)
	if err != nil {
		return nil, fmt.Errorf("--cpu %q: %w", cpu, err)
	}
	m, err := resource.ParseQuantity(memory)
	if err != nil {
		return nil, fmt.Errorf("--memory %q: %w", memory, err)
	}
	if pods <= 0 {
		return nil, fmt.Errorf("--max-pods must be positive, got %d", pods)
	}
	return v1.ResourceList{v1.ResourceCPU: c, v1.ResourceMemory: m,
		v1.ResourcePods: *resource.NewQuantity(int64(pods), resource.DecimalSI)}, nil
}

func (c *NodeConfig) labels() map[string]string {
	l := map[string]string{
		"kubernetes.io/hostname": c.Name, "kubernetes.io/os": runtime.GOOS,
		"kubernetes.io/arch": runtime.GOARCH, "gpu": "on",
	}
	for k, v := range c.Labels {
		l[k] = v
	}
	return l
}

// status builds the node status: base resources plus the device manager's capacity/allocatable;
// resources the device manager reported gone get 0 (as the kubelet does), Ready=True heartbeat now.
func (c *NodeConfig) status(old *v1.NodeStatus, devCap, devAlloc v1.ResourceList, removed []string, now time.Time) v1.NodeStatus {
	st := v1.NodeStatus{Capacity: v1.ResourceList{}, Allocatable: v1.ResourceList{}}
	// Device-plugin resources of the previous status stay until the device manager says they are
	// gone (a kubelet keeps them across its own restart, before plugins re-register).
	if old != nil {
		for name, q := range old.Capacity {
			if strings.Contains(string(name), "/") {
				st.Capacity[name] = q
				st.Allocatable[name] = old.Allocatable[name]
			}
		}
	}
	for name, q := range c.Base {
		st.Capacity[name], st.Allocatable[name] = q, q
	}
	for name, q := range devCap {
		st.Capacity[name] = q
	}
	for name, q := range devAlloc {
		st.Allocatable[name] = q
	}
	for _, name := range removed {
		st.Capacity[v1.ResourceName(name)] = *resource.NewQuantity(0, resource.DecimalSI)
		st.Allocatable[v1.ResourceName(name)] = *resource.NewQuantity(0, resource.DecimalSI)
	}
	transition := metav1.NewTime(now)
	if old != nil {
		for _, cond := range old.Conditions {
			if cond.Type == v1.NodeReady && cond.Status == v1.ConditionTrue {
				transition = cond.LastTransitionTime
			}
		}
	}
	st.Conditions = []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue, Reason: "KubeletReady",
		Message: "kubelet-standin is posting ready status", LastHeartbeatTime: metav1.NewTime(now),
		LastTransitionTime: transition}}
	st.Addresses = []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: c.NodeIP()},
		{Type: v1.NodeHostName, Address: c.Hostname}}
	st.NodeInfo = v1.NodeSystemInfo{KubeletVersion: c.Version, KubeProxyVersion: c.Version,
		OperatingSystem: runtime.GOOS, Architecture: runtime.GOARCH, ContainerRuntimeVersion: "standin://0"}
	return st
}

// EnsureNode creates Node c.Name or brings its labels up to date (other labels and all annotations,
// e.g. the device plugin's, are left alone).
func EnsureNode(ctx context.Context, cs kubernetes.Interface, c *NodeConfig) error {
	node := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: c.Name, Labels: c.labels()}}
	_, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err == nil || !apierrors.IsAlreadyExists(err) {
		return err
	}
	patch, err := jsonMerge(map[string]any{"metadata": map[string]any{"labels": c.labels()}})
	if err != nil {
		return err
	}
	_, err = cs.CoreV1().Nodes().Patch(ctx, c.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

// UpdateNodeStatus writes the node status (heartbeat + capacity), retrying on conflicts.
func UpdateNodeStatus(ctx context.Context, cs kubernetes.Interface, c *NodeConfig,
	devCap, devAlloc v1.ResourceList, removed []string) error {
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		n, err := cs.CoreV1().Nodes().Get(ctx, c.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		n.Status = c.status(&n.Status, devCap, devAlloc, removed, time.Now())
		_, err = cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
		return err
	})
}
