package devicemanager_test

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	pluginapi "k8s.io/kubelet/pkg/apis/deviceplugin/v1beta1"
	plugin "k8s.io/kubernetes/pkg/kubelet/cm/devicemanager/plugin/v1beta1"

	"local/hami-k8s-tools/internal/standin"
)

// activePods is the pod list the device manager sees (the kubelet's pod manager).
type activePods struct {
	mu   sync.Mutex
	pods []*v1.Pod
}

func (a *activePods) list() []*v1.Pod {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*v1.Pod(nil), a.pods...)
}

func (a *activePods) add(p *v1.Pod) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pods = append(a.pods, p)
}

// TestStubPlugin checks our wiring of the device manager with the kubelet's own sample plugin:
// registration on <dir>/kubelet.sock, capacity, admission (init-container device reuse, rejection
// when devices run out), run options, and re-registration plus checkpoint after a kubelet restart.
func TestStubPlugin(t *testing.T) {
	const res = "example.com/dev"
	dir := t.TempDir()
	dm, err := standin.NewDeviceManager(filepath.Join(dir, "device-plugins"))
	if err != nil {
		t.Fatal(err)
	}
	pods := &activePods{}
	if err := dm.Start(pods.list, nil); err != nil {
		t.Fatal(err)
	}
	defer func() { dm.Stop() }()

	var devs []*pluginapi.Device
	for i := 0; i < 4; i++ {
		devs = append(devs, &pluginapi.Device{ID: fmt.Sprintf("dev-%d", i), Health: pluginapi.Healthy})
	}
	stub := plugin.NewDevicePluginStub(devs, filepath.Join(dm.Dir(), "stub.sock"), res, false, false)
	stub.SetAllocFunc(func(r *pluginapi.AllocateRequest, _ map[string]pluginapi.Device) (*pluginapi.AllocateResponse, error) {
		resp := &pluginapi.AllocateResponse{}
		for _, c := range r.ContainerRequests {
			ids := append([]string(nil), c.DevicesIDs...)
			sort.Strings(ids)
			resp.ContainerResponses = append(resp.ContainerResponses, &pluginapi.ContainerAllocateResponse{
				Envs:   map[string]string{"STUB_DEVICES": strings.Join(ids, ",")},
				Mounts: []*pluginapi.Mount{{ContainerPath: "/stub", HostPath: "/tmp/stub/" + ids[0], ReadOnly: true}},
			})
		}
		return resp, nil
	})
	if err := stub.Start(); err != nil {
		t.Fatal(err)
	}
	// No stub.Stop(): it closes the stub's inotify watcher, on which Watch (which never returns)
	// would then spin; the process ends with the test binary and t.TempDir removes the socket.
	go stub.Watch(dm.SocketPath(), res, "")
	if err := stub.Register(dm.SocketPath(), res, ""); err != nil {
		t.Fatal(err)
	}
	waitCapacity(t, dm, res, 4, 10*time.Second)

	// An init container's devices are reused by the app container: 2 of 4 devices in use.
	p1 := podSpec{name: "p1", ns: "default", uid: "uid-1", inits: []int64{1}, apps: []int64{2}, res: res}.pod()
	pods.add(p1)
	if r := dm.Admit(p1); !r.Admit {
		t.Fatalf("p1 rejected: %s: %s", r.Reason, r.Message)
	}
	recs, err := dm.RunOptions(p1)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || !recs[0].Init || recs[1].Init {
		t.Fatalf("want records for init0 and app0, got %+v", recs)
	}
	appDevs := dm.Devices("uid-1", "app0")[res]
	if got := strings.Split(recs[1].Env["STUB_DEVICES"], ","); len(got) != 2 || len(appDevs) != 2 {
		t.Fatalf("app0: env %q, devices %v; want 2 devices", recs[1].Env["STUB_DEVICES"], appDevs)
	}
	if len(recs[1].Mounts) != 1 || recs[1].Mounts[0].ContainerPath != "/stub" || !recs[1].Mounts[0].ReadOnly {
		t.Fatalf("app0 mounts %+v", recs[1].Mounts)
	}
	initDev := recs[0].Env["STUB_DEVICES"]
	if !strings.Contains(recs[1].Env["STUB_DEVICES"], initDev) {
		t.Fatalf("init0 got %s, app0 %s: the init container's device was not reused", initDev, recs[1].Env["STUB_DEVICES"])
	}

	// 2 left: a pod asking for 3 is rejected as the kubelet rejects it.
	p2 := podSpec{name: "p2", ns: "default", uid: "uid-2", apps: []int64{3}, res: res}.pod()
	pods.add(p2)
	r := dm.Admit(p2)
	if r.Admit || r.Reason != "UnexpectedAdmissionError" || !strings.Contains(strings.ToLower(r.Message), "requested: 3, available: 2") {
		t.Fatalf("p2: want UnexpectedAdmissionError (requested 3, available 2), got %+v", r)
	}

	// Kubelet restart: a new manager on the same directory removes the plugin's socket; the stub
	// notices kubelet.sock being re-created and registers again; the checkpoint keeps p1's devices.
	if err := dm.Stop(); err != nil {
		t.Fatal(err)
	}
	dm, err = standin.NewDeviceManager(filepath.Join(dir, "device-plugins"))
	if err != nil {
		t.Fatal(err)
	}
	if err := dm.Start(pods.list, nil); err != nil {
		t.Fatal(err)
	}
	waitCapacity(t, dm, res, 4, 40*time.Second)
	if got := dm.Devices("uid-1", "app0")[res]; len(got) != 2 {
		t.Fatalf("after restart p1/app0 devices %v, want the 2 from the checkpoint", got)
	}
	p3 := podSpec{name: "p3", ns: "default", uid: "uid-3", apps: []int64{2}, res: res}.pod()
	pods.add(p3)
	if r := dm.Admit(p3); !r.Admit {
		t.Fatalf("p3 (2 of the 2 free devices) rejected: %+v", r)
	}
	got := append(dm.Devices("uid-3", "app0")[res], dm.Devices("uid-1", "app0")[res]...)
	sort.Strings(got)
	if strings.Join(got, ",") != "dev-0,dev-1,dev-2,dev-3" {
		t.Fatalf("p1+p3 devices %v, want each of the 4 exactly once", got)
	}
}
