// Package standin is a kubelet stand-in built on the kubelet's own device manager
// (k8s.io/kubernetes/pkg/kubelet/cm/devicemanager) and topology manager (policy "none", as a
// kubelet without --topology-manager-policy runs). It is what hack/tools/k8s/cmd/kubelet-standin and
// the device-plugin harness (hack/tools/k8s/devicemanager_test) share.
//
// DeviceManager: thread-safety is the kubelet's: Admit and RunOptions are called from one goroutine
// (the kubelet's pod worker does the same); Capacity may be called concurrently.
package standin

import (
	"fmt"
	"os"
	"path/filepath"
	_ "unsafe" // go:linkname

	cadvisorapi "github.com/google/cadvisor/info/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/kubernetes/pkg/kubelet/cm/containermap"
	"k8s.io/kubernetes/pkg/kubelet/cm/devicemanager"
	"k8s.io/kubernetes/pkg/kubelet/cm/topologymanager"
	"k8s.io/kubernetes/pkg/kubelet/config"
	"k8s.io/kubernetes/pkg/kubelet/lifecycle"
)

// newManagerImpl is devicemanager's own constructor with the registration socket path as a
// parameter. The exported NewManagerImpl hard-codes /var/lib/kubelet/device-plugins/kubelet.sock
// (the kubelet never moves it, not even with --root-dir); the kubelet's unit tests use this one to
// put it in a temporary directory, and so do we. The signature must match manager.go of the pinned
// k8s.io/kubernetes exactly (checked by the build: a mismatch fails to link or misbehaves at once in
// the harness).
//
//go:linkname newManagerImpl k8s.io/kubernetes/pkg/kubelet/cm/devicemanager.newManagerImpl
func newManagerImpl(socketPath string, topology []cadvisorapi.Node,
	topologyAffinityStore topologymanager.Store) (*devicemanager.ManagerImpl, error)

// KubeletSocketName is the registration socket's name inside the device-plugin directory.
const KubeletSocketName = "kubelet.sock"

// DeviceManager is the kubelet's device manager plus the topology manager that drives its Allocate
// during pod admission, exactly as the kubelet's container manager wires them.
type DeviceManager struct {
	dm  *devicemanager.ManagerImpl
	tm  topologymanager.Manager
	dir string
}

// NewDeviceManager creates (does not start) a device manager whose registration socket is
// DIR/kubelet.sock; its checkpoint (kubelet_internal_checkpoint) lives in DIR too, as in the kubelet.
func NewDeviceManager(dir string) (*DeviceManager, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("device-plugin dir %s: %w", abs, err)
	}
	tm, err := topologymanager.NewManager(nil, topologymanager.PolicyNone, "container", nil)
	if err != nil {
		return nil, fmt.Errorf("topology manager: %w", err)
	}
	dm, err := newManagerImpl(filepath.Join(abs, KubeletSocketName), nil, tm)
	if err != nil {
		return nil, fmt.Errorf("device manager: %w", err)
	}
	tm.AddHintProvider(dm)
	return &DeviceManager{dm: dm, tm: tm, dir: abs}, nil
}

// Dir is the device-plugin directory (registration socket, plugin sockets, checkpoint).
func (d *DeviceManager) Dir() string { return d.dir }

// SocketPath is the registration socket plugins dial.
func (d *DeviceManager) SocketPath() string { return filepath.Join(d.dir, KubeletSocketName) }

// allReady is config.SourcesReady for a kubelet whose only pod source (the API server) is synced.
type allReady struct{ ready func() bool }

func (a allReady) AddSource(string) {}
func (a allReady) AllReady() bool   { return a.ready == nil || a.ready() }

var _ config.SourcesReady = allReady{}

// Start reads the checkpoint and starts the registration server (it first removes every other file
// in the directory, as the kubelet does: plugins must notice and re-register). activePods lists
// the pods the device manager may keep devices for; sourcesReady (nil = always) says whether that
// list is complete, so that devices of pods missing from it may be reclaimed.
func (d *DeviceManager) Start(activePods func() []*v1.Pod, sourcesReady func() bool) error {
	return d.dm.Start(devicemanager.ActivePodsFunc(activePods), allReady{sourcesReady},
		containermap.NewContainerMap(), sets.New[string]())
}

// Stop closes the registration server and disconnects plugins (as a kubelet that exits).
func (d *DeviceManager) Stop() error { return d.dm.Stop() }

// Capacity returns the device-plugin resources' capacity and allocatable (as the kubelet puts them
// in its node status) and the resources that went away since the last call.
func (d *DeviceManager) Capacity() (capacity, allocatable v1.ResourceList, removed []string) {
	return d.dm.GetCapacity()
}

// Admit runs the kubelet's pod admission for device resources: the topology manager's Admit, which
// calls the device manager's Allocate for each init container and then each app container. On
// failure Admit is false and Reason/Message are what the kubelet puts in the pod's status
// (Reason UnexpectedAdmissionError for an Allocate error).
func (d *DeviceManager) Admit(pod *v1.Pod) lifecycle.PodAdmitResult {
	return d.tm.Admit(&lifecycle.PodAdmitAttributes{Pod: pod})
}

// RunOptions returns what the kubelet would give the container runtime for each container (init
// first, then app containers), as returned by GetDeviceRunContainerOptions. The pod must be in the
// active pods list.
func (d *DeviceManager) RunOptions(pod *v1.Pod) ([]ContainerRecord, error) {
	var out []ContainerRecord
	add := func(c *v1.Container, init bool) error {
		opts, err := d.dm.GetDeviceRunContainerOptions(pod, c)
		if err != nil {
			return fmt.Errorf("container %s: %w", c.Name, err)
		}
		out = append(out, recordContainer(c.Name, init, opts))
		return nil
	}
	for i := range pod.Spec.InitContainers {
		if err := add(&pod.Spec.InitContainers[i], true); err != nil {
			return nil, err
		}
	}
	for i := range pod.Spec.Containers {
		if err := add(&pod.Spec.Containers[i], false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Devices returns the device IDs allocated to (pod, container) per resource name.
func (d *DeviceManager) Devices(podUID, container string) map[string][]string {
	out := map[string][]string{}
	for res, ids := range d.dm.GetDevices(podUID, container) {
		for id := range ids {
			out[res] = append(out[res], id)
		}
	}
	return out
}
