package standin

// WIRE: the per-pod record kubelet-standin writes to <root-dir>/pods/<namespace>_<name>.json
// (docs/device-plugin.md, "Kubelet stand-in"). Tests and the demo read it; fields only get added.
//
//	{"namespace": "default", "name": "p", "uid": "…", "node": "n1",
//	 "containers": [{"name": "c", "init": false,
//	                 "devices": {"nvidia.com/gpu": ["GPU-…-3"]},
//	                 "env": {"NVIDIA_VISIBLE_DEVICES": "GPU-…", "CUDA_DEVICE_MEMORY_LIMIT_0": "3000m"},
//	                 "mounts": [{"containerPath": "/usr/local/vgpu/libvgpu.so", "hostPath": "…", "readOnly": true}],
//	                 "hostDevices": [{"pathOnHost": "/dev/nvidia0", "pathInContainer": "/dev/nvidia0", "permissions": "rw"}],
//	                 "annotations": {…}, "cdiDevices": ["…"]}]}

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"k8s.io/kubernetes/pkg/kubelet/cm/devicemanager"
)

// MountRecord is one mount the device plugin asked for.
type MountRecord struct {
	ContainerPath string `json:"containerPath"`
	HostPath      string `json:"hostPath"`
	ReadOnly      bool   `json:"readOnly"`
}

// DeviceRecord is one host device node the device plugin asked for.
type DeviceRecord struct {
	PathOnHost      string `json:"pathOnHost"`
	PathInContainer string `json:"pathInContainer"`
	Permissions     string `json:"permissions"`
}

// ContainerRecord is what the kubelet would hand the runtime for one container.
type ContainerRecord struct {
	Name        string              `json:"name"`
	Init        bool                `json:"init"`
	Devices     map[string][]string `json:"devices,omitempty"`
	Env         map[string]string   `json:"env"`
	Mounts      []MountRecord       `json:"mounts"`
	HostDevices []DeviceRecord      `json:"hostDevices,omitempty"`
	Annotations map[string]string   `json:"annotations,omitempty"`
	CDIDevices  []string            `json:"cdiDevices,omitempty"`
}

// PodRecord is the file written per admitted pod.
type PodRecord struct {
	Namespace  string            `json:"namespace"`
	Name       string            `json:"name"`
	UID        string            `json:"uid"`
	Node       string            `json:"node"`
	Containers []ContainerRecord `json:"containers"`
}

func recordContainer(name string, init bool, o *devicemanager.DeviceRunContainerOptions) ContainerRecord {
	r := ContainerRecord{Name: name, Init: init, Env: map[string]string{}, Mounts: []MountRecord{}}
	if o == nil {
		return r
	}
	for _, e := range o.Envs {
		r.Env[e.Name] = e.Value
	}
	for _, m := range o.Mounts {
		r.Mounts = append(r.Mounts, MountRecord{ContainerPath: m.ContainerPath, HostPath: m.HostPath, ReadOnly: m.ReadOnly})
	}
	for _, d := range o.Devices {
		r.HostDevices = append(r.HostDevices, DeviceRecord{d.PathOnHost, d.PathInContainer, d.Permissions})
	}
	if len(o.Annotations) > 0 {
		r.Annotations = map[string]string{}
		for _, a := range o.Annotations {
			r.Annotations[a.Name] = a.Value
		}
	}
	for _, c := range o.CDIDevices {
		r.CDIDevices = append(r.CDIDevices, c.Name)
	}
	return r
}

// RecordPath is the file of pod namespace/name under dir (namespaces are DNS labels and names DNS
// subdomains, neither holds '_' or '/', so the name is unambiguous).
func RecordPath(dir, namespace, name string) string {
	return filepath.Join(dir, namespace+"_"+name+".json")
}

// WriteRecord writes rec atomically (temp file + rename), mode 0600.
func WriteRecord(dir string, rec *PodRecord) error {
	for _, c := range rec.Containers {
		for _, ids := range c.Devices {
			sort.Strings(ids)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	path := RecordPath(dir, rec.Namespace, rec.Name)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ReadRecord reads the record of pod namespace/name from dir.
func ReadRecord(dir, namespace, name string) (*PodRecord, error) {
	data, err := os.ReadFile(RecordPath(dir, namespace, name))
	if err != nil {
		return nil, err
	}
	var rec PodRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", RecordPath(dir, namespace, name), err)
	}
	return &rec, nil
}

// RemoveRecord deletes the record of pod namespace/name (no error when absent).
func RemoveRecord(dir, namespace, name string) error {
	err := os.Remove(RecordPath(dir, namespace, name))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}
