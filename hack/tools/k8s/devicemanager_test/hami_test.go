package devicemanager_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"local/hami-k8s-tools/internal/standin"
)

// WIRE: HAMi annotations (docs/wire/pod-annotations.md, node-lock-handshake.md, node-register.md).
const (
	annToAllocate = "hami.io/vgpu-devices-to-allocate"
	annAllocated  = "hami.io/vgpu-devices-allocated"
	annBindPhase  = "hami.io/bind-phase"
	annBindTime   = "hami.io/bind-time"
	annVGPUNode   = "hami.io/vgpu-node"
	annNodeLock   = "hami.io/mutex.lock"
	annRegister   = "hami.io/node-nvidia-register"
	gpuResource   = "nvidia.com/gpu"
	simGPUs       = "2xT4-16GB"
)

// harnessEnv is what TestHamiDevicePlugin needs; without HAMI_DP_BIN it is skipped (visibly), and
// with HAMI_HARNESS_REQUIRE=1 (ctest) a missing input fails it.
type harnessEnv struct{ dpBin, simLib, libvgpu, kubeconfig string }

func requireHarness(t *testing.T) harnessEnv {
	e := harnessEnv{os.Getenv("HAMI_DP_BIN"), os.Getenv("HAMI_SIM_LIBDIR"), os.Getenv("HAMI_LIBVGPU"), os.Getenv("KUBECONFIG")}
	missing := []string{}
	for name, v := range map[string]string{"HAMI_DP_BIN": e.dpBin, "HAMI_SIM_LIBDIR": e.simLib, "KUBECONFIG": e.kubeconfig} {
		if v == "" {
			missing = append(missing, name)
		} else if _, err := os.Stat(v); err != nil {
			missing = append(missing, name+" ("+err.Error()+")")
		}
	}
	if len(missing) > 0 {
		msg := "needs " + strings.Join(missing, ", ") + " (hami-device-plugin, <out>/lib/sim, a local plane's kubeconfig)"
		if os.Getenv("HAMI_HARNESS_REQUIRE") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return e
}

type registeredGPU struct {
	ID     string `json:"id"`
	Count  int    `json:"count"`
	Devmem int    `json:"devmem"`
	Type   string `json:"type"`
	Health bool   `json:"health"`
}

// startPlugin runs hami-device-plugin for node on the simulated driver; its log is printed when the
// test fails. Returns the process (stopped with SIGTERM by the caller or at cleanup).
func startPlugin(t *testing.T, e harnessEnv, node, pluginDir, dir string) *exec.Cmd {
	hook := filepath.Join(dir, "hook")
	if err := os.MkdirAll(filepath.Join(hook, "vgpu"), 0o755); err != nil {
		t.Fatal(err)
	}
	if e.libvgpu != "" {
		if err := os.Symlink(e.libvgpu, filepath.Join(hook, "vgpu", "libvgpu.so")); err != nil {
			t.Fatal(err)
		}
	}
	logPath := filepath.Join(dir, "plugin.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// The node-lock protocol (the compatibility mode): these cases hold the lock as /bind leaves it.
	// The default, lockless path needs the kubelet's pod-resources server beside the device manager,
	// which kubelet-standin runs (e2e_device_plugin, e2e_bind).
	cmd := exec.Command(e.dpBin, "--node-name", node, "--kubeconfig", e.kubeconfig,
		"--device-plugin-path", pluginDir, "--hook-path", hook,
		"--node-config-file", filepath.Join(dir, "no-node-config.json"), "--register-interval", "2s",
		"--node-lock=true")
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+e.simLib, "HAMI_SIM_GPUS="+simGPUs,
		"HAMI_SIM_STATE="+filepath.Join(dir, "sim.state"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		logf.Close()
		if t.Failed() {
			data, _ := os.ReadFile(logPath)
			t.Logf("---- hami-device-plugin log ----\n%s", data)
		}
	})
	return cmd
}

// hamiPod creates a pod bound to node as hami-scheduler's /bind leaves it: devices annotated,
// bind-phase allocating, bind-time, vgpu-node, and the node lock held by the pod.
func hamiPod(t *testing.T, cs kubernetes.Interface, node, name, devices string, gpus []int64) *v1.Pod {
	ctx := context.Background()
	p := podSpec{name: name, ns: "default", apps: gpus, res: gpuResource}.pod()
	p.UID, p.Status = "", v1.PodStatus{}
	p.Labels = map[string]string{"hami.io/webhook": "ignore"}
	p.Annotations = map[string]string{annToAllocate: devices, annAllocated: devices, annBindPhase: "allocating",
		annBindTime: fmt.Sprint(time.Now().Unix()), annVGPUNode: node}
	p.Spec.NodeName = node
	created, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		zero := int64(0)
		cs.CoreV1().Pods("default").Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	})
	lock := fmt.Sprintf("%s,default,%s", time.Now().UTC().Format(time.RFC3339), name)
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{annNodeLock: lock}}})
	if _, err := cs.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	return created
}

// checkBindDone: the plugin set bind-phase to want and released the node lock.
func checkBindDone(t *testing.T, cs kubernetes.Interface, node, pod, want string) {
	t.Helper()
	ctx := context.Background()
	p, err := cs.CoreV1().Pods("default").Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Annotations[annBindPhase]; got != want {
		t.Errorf("%s: bind-phase %q, want %q", pod, got, want)
	}
	n, err := cs.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if lock, held := n.Annotations[annNodeLock]; held {
		t.Errorf("%s: node lock still held after Allocate: %q", pod, lock)
	}
}

func mountOf(c standin.ContainerRecord, containerPath string) *standin.MountRecord {
	for i := range c.Mounts {
		if c.Mounts[i].ContainerPath == containerPath {
			return &c.Mounts[i]
		}
	}
	return nil
}

// TestHamiDevicePlugin: the kubelet's device manager against our hami-device-plugin on the
// simulated driver, with a real API server for the pods and the node.
func TestHamiDevicePlugin(t *testing.T) {
	e := requireHarness(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", e.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	node := fmt.Sprintf("dm-harness-%d", time.Now().UnixNano()%1000000)
	nc := &standin.NodeConfig{Name: node, Base: v1.ResourceList{v1.ResourcePods: resource.MustParse("110")}, Hostname: node}
	if err := standin.EnsureNode(ctx, cs, nc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.CoreV1().Nodes().Delete(context.Background(), node, metav1.DeleteOptions{}) })

	dir := t.TempDir()
	pluginDir := filepath.Join(dir, "device-plugins")
	dm, err := standin.NewDeviceManager(pluginDir)
	if err != nil {
		t.Fatal(err)
	}
	pods := &activePods{}
	if err := dm.Start(pods.list, nil); err != nil {
		t.Fatal(err)
	}
	defer func() { dm.Stop() }()
	plugin := startPlugin(t, e, node, pluginDir, dir)

	// Registration: 2 GPUs x split count 10 replicas, and the node's register annotation.
	waitCapacity(t, dm, gpuResource, 20, 60*time.Second)
	var gpus []registeredGPU
	waitFor(t, "node register annotation", 30*time.Second, func() string {
		n, err := cs.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			return err.Error()
		}
		if err := json.Unmarshal([]byte(n.Annotations[annRegister]), &gpus); err != nil || len(gpus) != 2 {
			return fmt.Sprintf("%q (%v)", n.Annotations[annRegister], err)
		}
		return ""
	})
	for _, g := range gpus {
		if g.Count != 10 || g.Devmem != 16384 || g.Type != "NVIDIA-Tesla T4" || !g.Health || !strings.HasPrefix(g.ID, "GPU-") {
			t.Errorf("registered GPU %+v, want count 10, devmem 16384, type NVIDIA-Tesla T4, healthy", g)
		}
	}

	t.Run("allocate", func(t *testing.T) {
		p := hamiPod(t, cs, node, "dm-harness-a", fmt.Sprintf("%s,NVIDIA,3000,30:;", gpus[1].ID), []int64{1})
		pods.add(p)
		if r := dm.Admit(p); !r.Admit {
			t.Fatalf("rejected: %s: %s", r.Reason, r.Message)
		}
		recs, err := dm.RunOptions(p)
		if err != nil || len(recs) != 1 {
			t.Fatalf("run options %+v, %v", recs, err)
		}
		env := recs[0].Env
		for k, want := range map[string]string{"NVIDIA_VISIBLE_DEVICES": gpus[1].ID,
			"CUDA_DEVICE_MEMORY_LIMIT_0": "3000m", "CUDA_DEVICE_SM_LIMIT": "30"} {
			if env[k] != want {
				t.Errorf("env %s=%q, want %q (env %v)", k, env[k], want, env)
			}
		}
		if c := env["CUDA_DEVICE_MEMORY_SHARED_CACHE"]; !strings.Contains(c, "/vgpu/") || !strings.HasSuffix(c, ".cache") {
			t.Errorf("CUDA_DEVICE_MEMORY_SHARED_CACHE=%q, want <hook>/vgpu/<id>.cache", c)
		}
		if m := mountOf(recs[0], "/usr/local/vgpu/libvgpu.so"); m == nil || !m.ReadOnly {
			t.Errorf("libvgpu.so mount %+v (mounts %+v)", m, recs[0].Mounts)
		}
		if m := mountOf(recs[0], "/etc/ld.so.preload"); m == nil || !m.ReadOnly {
			t.Errorf("ld.so.preload mount %+v (mounts %+v)", m, recs[0].Mounts)
		}
		wantDir := filepath.Join(dir, "hook", "vgpu", "containers", string(p.UID)+"_app0")
		if m := mountOf(recs[0], "/usr/local/vgpu"); m == nil || m.ReadOnly || m.HostPath != wantDir {
			t.Errorf("cache dir mount %+v, want rw from %s", m, wantDir)
		} else if st, err := os.Stat(wantDir); err != nil || !st.IsDir() {
			t.Errorf("cache dir %s: %v", wantDir, err)
		}
		checkBindDone(t, cs, node, p.Name, "success")
	})

	t.Run("second-container-only", func(t *testing.T) {
		// First app container without GPU: the entry list starts with an empty container.
		p := hamiPod(t, cs, node, "dm-harness-b", fmt.Sprintf(";%s,NVIDIA,2000,50:;", gpus[0].ID), []int64{0, 1})
		pods.add(p)
		if r := dm.Admit(p); !r.Admit {
			t.Fatalf("rejected: %s: %s", r.Reason, r.Message)
		}
		recs, err := dm.RunOptions(p)
		if err != nil || len(recs) != 2 {
			t.Fatalf("run options %+v, %v", recs, err)
		}
		if len(recs[0].Env) != 0 || recs[1].Env["CUDA_DEVICE_MEMORY_LIMIT_0"] != "2000m" ||
			recs[1].Env["NVIDIA_VISIBLE_DEVICES"] != gpus[0].ID || recs[1].Env["CUDA_DEVICE_SM_LIMIT"] != "50" {
			t.Errorf("app0 env %v, app1 env %v", recs[0].Env, recs[1].Env)
		}
		checkBindDone(t, cs, node, p.Name, "success")
	})

	t.Run("mismatch-fails", func(t *testing.T) {
		// Two devices annotated, one requested from the kubelet: the plugin refuses, marks the pod
		// failed and releases the lock; the kubelet rejects the pod.
		devs := fmt.Sprintf("%s,NVIDIA,1000,10:%s,NVIDIA,1000,10:;", gpus[0].ID, gpus[1].ID)
		p := hamiPod(t, cs, node, "dm-harness-c", devs, []int64{1})
		pods.add(p)
		r := dm.Admit(p)
		if r.Admit || r.Reason != "UnexpectedAdmissionError" {
			t.Fatalf("want UnexpectedAdmissionError, got %+v", r)
		}
		checkBindDone(t, cs, node, p.Name, "failed")
	})

	t.Run("kubelet-restart", func(t *testing.T) {
		if err := dm.Stop(); err != nil {
			t.Fatal(err)
		}
		dm2, err := standin.NewDeviceManager(pluginDir)
		if err != nil {
			t.Fatal(err)
		}
		dm = dm2
		if err := dm.Start(pods.list, nil); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		waitCapacity(t, dm, gpuResource, 20, 60*time.Second)
		t.Logf("plugin re-registered %v after the kubelet restart", time.Since(t0).Round(time.Millisecond))
		p := hamiPod(t, cs, node, "dm-harness-d", fmt.Sprintf("%s,NVIDIA,4000,0:;", gpus[0].ID), []int64{1})
		pods.add(p)
		if r := dm.Admit(p); !r.Admit {
			t.Fatalf("rejected after restart: %s: %s", r.Reason, r.Message)
		}
		recs, err := dm.RunOptions(p)
		if err != nil || recs[0].Env["CUDA_DEVICE_MEMORY_LIMIT_0"] != "4000m" {
			t.Fatalf("after restart: %+v, %v", recs, err)
		}
		checkBindDone(t, cs, node, p.Name, "success")
	})

	// SIGTERM: the plugin stops cleanly.
	plugin.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- plugin.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("hami-device-plugin exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("hami-device-plugin still running 15s after SIGTERM")
	}
}
