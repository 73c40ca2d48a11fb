package standin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/grpc"
	v1 "k8s.io/api/core/v1"
	criutil "k8s.io/cri-client/pkg/util"
	"k8s.io/klog/v2"
	podresourcesv1 "k8s.io/kubelet/pkg/apis/podresources/v1"
	podresourcesv1alpha1 "k8s.io/kubelet/pkg/apis/podresources/v1alpha1"
	apisgrpc "k8s.io/kubernetes/pkg/kubelet/apis/grpc"
	"k8s.io/kubernetes/pkg/kubelet/apis/podresources"
	"k8s.io/kubernetes/pkg/kubelet/cm/devicemanager"
)

// PodResourcesDirName and PodResourcesSocketName: the kubelet serves the pod-resources API at
// <root-dir>/pod-resources/kubelet.sock (config.DefaultKubeletPodResourcesDirName and
// podresources.Socket + ".sock", i.e. /var/lib/kubelet/pod-resources/kubelet.sock by default).
const (
	PodResourcesDirName    = "pod-resources"
	PodResourcesSocketName = podresources.Socket + ".sock"
)

// PodResourcesServer is the kubelet's pod-resources gRPC service (v1 and the deprecated v1alpha1,
// both registered as the kubelet registers them) on a unix socket.
type PodResourcesServer struct {
	grpc   *grpc.Server
	socket string
	done   chan struct{}
}

// StartPodResources serves the pod-resources API on <dir>/kubelet.sock with the kubelet's own
// server implementation (k8s.io/kubernetes/pkg/kubelet/apis/podresources) and rate limit, as
// pkg/kubelet/server.ListenAndServePodResources does (that function cannot be stopped and exits
// the process on errors, so its few lines are repeated here). The directory is created 0750 and a
// previous socket is removed first (criutil.CreateListener, which the kubelet uses).
func StartPodResources(dir string, providers podresources.PodResourcesProviders) (*PodResourcesServer, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o750); err != nil { // kubelet setupDataDirs: MkdirAll(podResourcesDir, 0750)
		return nil, fmt.Errorf("pod-resources dir %s: %w", abs, err)
	}
	socket := filepath.Join(abs, PodResourcesSocketName)
	srv := grpc.NewServer(apisgrpc.WithRateLimiter("podresources", podresources.DefaultQPS, podresources.DefaultBurstTokens))
	podresourcesv1alpha1.RegisterPodResourcesListerServer(srv, podresources.NewV1alpha1PodResourcesServer(providers))
	podresourcesv1.RegisterPodResourcesListerServer(srv, podresources.NewV1PodResourcesServer(providers))
	l, err := criutil.CreateListener("unix://" + socket)
	if err != nil {
		return nil, fmt.Errorf("pod-resources listener %s: %w", socket, err)
	}
	s := &PodResourcesServer{grpc: srv, socket: socket, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			klog.ErrorS(err, "pod-resources server")
		}
	}()
	return s, nil
}

// SocketPath is the socket clients dial.
func (s *PodResourcesServer) SocketPath() string { return s.socket }

// Stop closes the listener and the open connections (calls in flight are cut off) and removes
// the socket, so that clients see the kubelet gone.
func (s *PodResourcesServer) Stop() {
	s.grpc.Stop()
	<-s.done
	if err := os.Remove(s.socket); err != nil && !os.IsNotExist(err) {
		klog.ErrorS(err, "removing the pod-resources socket", "socket", s.socket)
	}
}

// devicesProvider is what the kubelet's container manager gives the pod-resources server
// (pkg/kubelet/cm/container_manager_linux.go GetDevices, GetAllocatableDevices,
// UpdateAllocatedDevices): the device manager's state converted to the API's ContainerDevices.
type devicesProvider struct{ dm *devicemanager.ManagerImpl }

var _ podresources.DevicesProvider = devicesProvider{}

func (d devicesProvider) UpdateAllocatedDevices() { d.dm.UpdateAllocatedDevices() }

func (d devicesProvider) GetDevices(podUID, containerName string) []*podresourcesv1.ContainerDevices {
	return containerDevicesFromResourceDeviceInstances(d.dm.GetDevices(podUID, containerName))
}

func (d devicesProvider) GetAllocatableDevices() []*podresourcesv1.ContainerDevices {
	return containerDevicesFromResourceDeviceInstances(d.dm.GetAllocatableDevices())
}

// containerDevicesFromResourceDeviceInstances is pkg/kubelet/cm/container_manager.go's (v1.32.2,
// unexported there): one entry per device, and per NUMA node when the plugin reported topology.
func containerDevicesFromResourceDeviceInstances(devs devicemanager.ResourceDeviceInstances) []*podresourcesv1.ContainerDevices {
	var respDevs []*podresourcesv1.ContainerDevices
	for resourceName, resourceDevs := range devs {
		for devID, dev := range resourceDevs {
			topo := dev.GetTopology()
			if topo == nil {
				respDevs = append(respDevs, &podresourcesv1.ContainerDevices{
					ResourceName: resourceName,
					DeviceIds:    []string{devID},
				})
				continue
			}
			for _, node := range topo.GetNodes() {
				respDevs = append(respDevs, &podresourcesv1.ContainerDevices{
					ResourceName: resourceName,
					DeviceIds:    []string{devID},
					Topology:     &podresourcesv1.TopologyInfo{Nodes: []*podresourcesv1.NUMANode{{ID: node.GetID()}}},
				})
			}
		}
	}
	return respDevs
}

// noExclusiveResources is the kubelet's CPU manager (policy none), memory manager (policy None)
// and DRA manager without claims: no exclusive CPUs or memory, no dynamic resources.
type noExclusiveResources struct{}

func (noExclusiveResources) GetCPUs(string, string) []int64 { return nil }
func (noExclusiveResources) GetAllocatableCPUs() []int64    { return nil }
func (noExclusiveResources) GetMemory(string, string) []*podresourcesv1.ContainerMemory {
	return nil
}
func (noExclusiveResources) GetAllocatableMemory() []*podresourcesv1.ContainerMemory { return nil }
func (noExclusiveResources) GetDynamicResources(*v1.Pod, *v1.Container) []*podresourcesv1.DynamicResource {
	return nil
}

var (
	_ podresources.CPUsProvider             = noExclusiveResources{}
	_ podresources.MemoryProvider           = noExclusiveResources{}
	_ podresources.DynamicResourcesProvider = noExclusiveResources{}
)

// PodResourcesProviders returns the providers of a kubelet whose pod manager is pods: devices
// from this device manager, no exclusive CPUs/memory, no dynamic resources.
func (d *DeviceManager) PodResourcesProviders(pods podresources.PodsProvider) podresources.PodResourcesProviders {
	return podresources.PodResourcesProviders{Pods: pods, Devices: devicesProvider{d.dm},
		Cpus: noExclusiveResources{}, Memory: noExclusiveResources{}, DynamicResources: noExclusiveResources{}}
}
