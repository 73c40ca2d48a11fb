package devicemanager_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	featuregatetesting "k8s.io/component-base/featuregate/testing"
	pluginapi "k8s.io/kubelet/pkg/apis/deviceplugin/v1beta1"
	podresourcesv1 "k8s.io/kubelet/pkg/apis/podresources/v1"
	kubefeatures "k8s.io/kubernetes/pkg/features"
	"k8s.io/kubernetes/pkg/kubelet/apis/podresources"
	plugin "k8s.io/kubernetes/pkg/kubelet/cm/devicemanager/plugin/v1beta1"

	"local/hami-k8s-tools/internal/standin"
)

// listed is a pod-resources List answer: "namespace/name" -> container -> device IDs of one
// resource (sorted; an empty slice for a listed container without devices).
type listed map[string]map[string][]string

func toListed(pods []*podresourcesv1.PodResources, res string) listed {
	out := listed{}
	for _, p := range pods {
		ctrs := map[string][]string{}
		for _, c := range p.Containers {
			ids := []string{}
			for _, d := range c.Devices {
				if d.ResourceName == res {
					ids = append(ids, d.DeviceIds...)
				}
			}
			sort.Strings(ids)
			ctrs[c.Name] = ids
		}
		out[p.Namespace+"/"+p.Name] = ctrs
	}
	return out
}

func (l listed) String() string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%v ", k, l[k])
	}
	return strings.TrimSpace(b.String())
}

// allocCall is what the fake device plugin saw in one Allocate: the device IDs the kubelet asked
// for and the pod-resources List it made before answering.
type allocCall struct {
	devices []string
	seen    listed
	err     error
}

// runStandin runs a kubelet-standin (standin.Kubelet) against cs under root until the returned
// stop is called; it waits until both of its sockets exist. stop waits for Run to return.
func runStandin(t *testing.T, cs kubernetes.Interface, node, root string) (stop func()) {
	t.Helper()
	base, err := standin.BaseResources("8", "16Gi", 110)
	if err != nil {
		t.Fatal(err)
	}
	k := &standin.Kubelet{Client: cs, RootDir: root, Heartbeat: time.Hour,
		Node: standin.NodeConfig{Name: node, Base: base, Version: "v1.32.2", Hostname: node}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("kubelet-standin Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("kubelet-standin still running 20s after its context ended")
		}
	}
	t.Cleanup(stop)
	for _, sock := range []string{filepath.Join(k.PluginDir(), standin.KubeletSocketName),
		filepath.Join(k.PodResourcesDir(), standin.PodResourcesSocketName)} {
		waitFor(t, sock, 10*time.Second, func() string {
			select {
			case err := <-done:
				stopped = true
				t.Fatalf("kubelet-standin Run returned early: %v", err)
			default:
			}
			if _, err := os.Stat(sock); err != nil {
				return err.Error()
			}
			return ""
		})
	}
	return stop
}

func waitPhase(t *testing.T, cs kubernetes.Interface, name string, want v1.PodPhase) *v1.Pod {
	t.Helper()
	var pod *v1.Pod
	waitFor(t, name+" "+string(want), 20*time.Second, func() string {
		p, err := cs.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err.Error()
		}
		if pod = p; p.Status.Phase != want {
			return fmt.Sprintf("phase %q (%s)", p.Status.Phase, p.Status.Message)
		}
		return ""
	})
	return pod
}

func createPod(t *testing.T, cs kubernetes.Interface, node string, s podSpec) {
	t.Helper()
	p := s.pod()
	p.Spec.NodeName = node
	if _, err := cs.CoreV1().Pods(p.Namespace).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestPodResources: kubelet-standin's pod-resources API (<root-dir>/pod-resources/kubelet.sock,
// the kubelet's own v1 server) as a device plugin sees it from inside GetPreferredAllocation and
// Allocate. The pod being
// admitted is listed (its containers without devices yet), pods admitted before are listed with
// their devices, a pod bound meanwhile but not yet handled is not; a rejected pod stays listed, a
// deleted one goes and its devices are reclaimed; GetAllocatableResources; Get (off by default as
// in a v1.32 kubelet, then with KubeletPodResourcesGet); a restart keeps the checkpoint's devices.
func TestPodResources(t *testing.T) {
	const res, node = "example.com/dev", "podres-n1"
	ctx := context.Background()
	root := t.TempDir()
	cs := fake.NewSimpleClientset()
	stopStandin := runStandin(t, cs, node, root)

	sockDir := filepath.Join(root, "pod-resources")
	if st, err := os.Stat(sockDir); err != nil || st.Mode().Perm() != 0o750 {
		t.Errorf("pod-resources dir %s: %v, %v; want mode 0750", sockDir, st.Mode(), err)
	}
	sock := filepath.Join(sockDir, "kubelet.sock")
	client, conn, err := podresources.GetV1Client(sock, 10*time.Second, 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	// The fake device plugin: 4 devices; Allocate asks the pod-resources API what it knows.
	var (
		mu         sync.Mutex
		calls      []allocCall // Allocate
		prefs      []allocCall // GetPreferredAllocation (called when the kubelet has a choice)
		beforeList func()      // run inside the next Allocate, before its List
	)
	listNow := func(c *allocCall) {
		lctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if resp, err := client.List(lctx, &podresourcesv1.ListPodResourcesRequest{}); err != nil {
			c.err = err
		} else {
			c.seen = toListed(resp.PodResources, res)
		}
	}
	var devs []*pluginapi.Device
	for i := 0; i < 4; i++ {
		devs = append(devs, &pluginapi.Device{ID: fmt.Sprintf("dev-%d", i), Health: pluginapi.Healthy})
	}
	stub := plugin.NewDevicePluginStub(devs, filepath.Join(root, "device-plugins", "podres.sock"), res, false, true)
	stub.SetGetPreferredAllocFunc(func(r *pluginapi.PreferredAllocationRequest, _ map[string]pluginapi.Device) (*pluginapi.PreferredAllocationResponse, error) {
		call := allocCall{}
		listNow(&call)
		mu.Lock()
		prefs = append(prefs, call)
		mu.Unlock()
		return &pluginapi.PreferredAllocationResponse{}, nil // no preference
	})
	stub.SetAllocFunc(func(r *pluginapi.AllocateRequest, _ map[string]pluginapi.Device) (*pluginapi.AllocateResponse, error) {
		mu.Lock()
		hook := beforeList
		beforeList = nil
		mu.Unlock()
		if hook != nil {
			hook()
		}
		call := allocCall{}
		for _, c := range r.ContainerRequests {
			call.devices = append(call.devices, c.DevicesIDs...)
		}
		sort.Strings(call.devices)
		listNow(&call)
		mu.Lock()
		calls = append(calls, call)
		mu.Unlock()
		resp := &pluginapi.AllocateResponse{}
		for range r.ContainerRequests {
			resp.ContainerResponses = append(resp.ContainerResponses, &pluginapi.ContainerAllocateResponse{})
		}
		return resp, nil
	})
	if err := stub.Start(); err != nil {
		t.Fatal(err)
	}
	kubeletSock := filepath.Join(root, "device-plugins", standin.KubeletSocketName)
	go stub.Watch(kubeletSock, res, "") // no stub.Stop(): see TestStubPlugin
	if err := stub.Register(kubeletSock, res, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node allocatable "+res+"=4", 20*time.Second, func() string {
		n, err := cs.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			return err.Error()
		}
		if q, ok := n.Status.Allocatable[v1.ResourceName(res)]; !ok || q.Value() != 4 {
			return fmt.Sprintf("allocatable %v", n.Status.Allocatable)
		}
		return ""
	})
	// call returns the n-th Allocate (1-based); with exact, n must be the last one so far.
	call := func(t *testing.T, n int, exact bool) allocCall {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if len(calls) < n || (exact && len(calls) != n) {
			t.Fatalf("%d Allocate calls so far, want %d: %+v", len(calls), n, calls)
		}
		c := calls[n-1]
		if c.err != nil {
			t.Fatalf("List inside Allocate %d: %v", n, c.err)
		}
		return c
	}
	list := func(t *testing.T) listed {
		t.Helper()
		resp, err := client.List(ctx, &podresourcesv1.ListPodResourcesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return toListed(resp.PodResources, res)
	}
	check := func(t *testing.T, what string, got, want listed) {
		t.Helper()
		if got.String() != want.String() {
			t.Errorf("%s:\n got  %s\n want %s", what, got, want)
		}
	}

	// A: the first pod; during its Allocate it is the only pod known, without devices yet.
	createPod(t, cs, node, podSpec{name: "a", ns: "default", uid: "uid-a", apps: []int64{1, 0}, res: res})
	waitPhase(t, cs, "a", v1.PodRunning)
	callA := call(t, 1, true)
	check(t, "List during A's Allocate", callA.seen, listed{"default/a": {"app0": {}, "app1": {}}})
	devA := callA.devices

	// B; while B is being allocated, C gets bound (and reaches the stand-in's informer): C is not
	// known to the kubelet until its own turn, so B's List has A (with its device) and B only.
	mu.Lock()
	beforeList = func() { // on the plugin's gRPC goroutine: no t.Fatal
		c := podSpec{name: "c", ns: "default", uid: "uid-c", apps: []int64{1}, res: res}.pod()
		c.Spec.NodeName = node
		if _, err := cs.CoreV1().Pods("default").Create(ctx, c, metav1.CreateOptions{}); err != nil {
			t.Errorf("creating c: %v", err)
		}
		time.Sleep(500 * time.Millisecond) // the fake API delivers the watch event at once
	}
	mu.Unlock()
	createPod(t, cs, node, podSpec{name: "b", ns: "default", uid: "uid-b", apps: []int64{2}, res: res})
	waitPhase(t, cs, "b", v1.PodRunning)
	waitPhase(t, cs, "c", v1.PodRunning)
	callB := call(t, 2, false)
	check(t, "List during B's Allocate (C bound, not yet handled)", callB.seen,
		listed{"default/a": {"app0": devA, "app1": {}}, "default/b": {"app0": {}}})
	callC := call(t, 3, true)
	check(t, "List during C's Allocate", callC.seen,
		listed{"default/a": {"app0": devA, "app1": {}}, "default/b": {"app0": callB.devices}, "default/c": {"app0": {}}})
	devB, devC := callB.devices, callC.devices
	// GetPreferredAllocation, called right before each Allocate, sees what Allocate sees.
	mu.Lock()
	if len(prefs) != 3 {
		t.Errorf("GetPreferredAllocation calls %+v, want 3 (a, b, c)", prefs)
	} else {
		for i, c := range []allocCall{callA, callB, callC} {
			if prefs[i].err != nil {
				t.Errorf("List inside GetPreferredAllocation %d: %v", i+1, prefs[i].err)
			}
			check(t, fmt.Sprintf("List during GetPreferredAllocation %d", i+1), prefs[i].seen, c.seen)
		}
	}
	mu.Unlock()

	// D asks for a device when none is left: rejected (no Allocate), Failed, and still listed.
	createPod(t, cs, node, podSpec{name: "d", ns: "default", uid: "uid-d", apps: []int64{1}, res: res})
	if p := waitPhase(t, cs, "d", v1.PodFailed); p.Status.Reason != "UnexpectedAdmissionError" {
		t.Errorf("d: reason %q, want UnexpectedAdmissionError (%s)", p.Status.Reason, p.Status.Message)
	}
	call(t, 3, true) // no Allocate for d
	all := listed{"default/a": {"app0": devA, "app1": {}}, "default/b": {"app0": devB},
		"default/c": {"app0": devC}, "default/d": {"app0": {}}}
	check(t, "List after D's rejection", list(t), all)

	t.Run("GetAllocatableResources", func(t *testing.T) {
		resp, err := client.GetAllocatableResources(ctx, &podresourcesv1.AllocatableResourcesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range resp.Devices {
			if d.ResourceName == res {
				ids = append(ids, d.DeviceIds...)
			}
		}
		sort.Strings(ids)
		if strings.Join(ids, ",") != "dev-0,dev-1,dev-2,dev-3" || len(resp.CpuIds) != 0 || len(resp.Memory) != 0 {
			t.Errorf("allocatable %v, cpus %v, memory %v; want dev-0..3 and no cpus/memory", ids, resp.CpuIds, resp.Memory)
		}
	})

	t.Run("Get", func(t *testing.T) {
		req := &podresourcesv1.GetPodResourcesRequest{PodName: "b", PodNamespace: "default"}
		if _, err := client.Get(ctx, req); err == nil || !strings.Contains(err.Error(), "Get method disabled") {
			t.Errorf("Get with KubeletPodResourcesGet off (v1.32 default): %v, want 'Get method disabled'", err)
		}
		featuregatetesting.SetFeatureGateDuringTest(t, utilfeature.DefaultFeatureGate, kubefeatures.KubeletPodResourcesGet, true)
		resp, err := client.Get(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		check(t, "Get b", toListed([]*podresourcesv1.PodResources{resp.PodResources}, res), listed{"default/b": {"app0": devB}})
		_, err = client.Get(ctx, &podresourcesv1.GetPodResourcesRequest{PodName: "nope", PodNamespace: "default"})
		if err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("Get of an unknown pod: %v, want not found", err)
		}
	})

	// A deleted: gone from the API server -> gone from the list, its device reclaimed for E.
	if err := cs.CoreV1().Pods("default").Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a gone from List", 10*time.Second, func() string {
		if l := list(t); l["default/a"] != nil {
			return l.String()
		}
		return ""
	})
	createPod(t, cs, node, podSpec{name: "e", ns: "default", uid: "uid-e", apps: []int64{1}, res: res})
	waitPhase(t, cs, "e", v1.PodRunning)
	callE := call(t, 4, true)
	if strings.Join(callE.devices, ",") != strings.Join(devA, ",") {
		t.Errorf("e got %v, want a's freed device %v", callE.devices, devA)
	}
	delete(all, "default/a")
	all["default/e"] = map[string][]string{"app0": devA}
	check(t, "List after A's deletion and E", list(t), all)

	// Stop: the socket goes; a restarted stand-in lists the pods it had handled with the devices
	// of the device manager's checkpoint (no Allocate happens).
	stopStandin()
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pod-resources socket after stop: %v, want removed", err)
	}
	runStandin(t, cs, node, root)
	client2, conn2, err := podresources.GetV1Client(sock, 10*time.Second, 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	waitFor(t, "List after restart", 10*time.Second, func() string {
		resp, err := client2.List(ctx, &podresourcesv1.ListPodResourcesRequest{})
		if err != nil {
			return err.Error()
		}
		if got := toListed(resp.PodResources, res); got.String() != all.String() {
			return fmt.Sprintf("got %s, want %s", got, all)
		}
		return ""
	})
	call(t, 4, true) // no Allocate after the restart
}
