// Package devicemanager_test drives the kubelet's own device manager (through internal/standin,
// the code kubelet-standin runs) against device plugins: the kubelet's sample stub plugin
// (stub_test.go, no API server needed) and our hami-device-plugin on the simulated driver with a
// real API server (hami_test.go). See docs/device-plugin.md, "Kubelet stand-in and harness".
package devicemanager_test

import (
	"fmt"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"local/hami-k8s-tools/internal/standin"
)

// waitFor polls cond every 100 ms until it returns "" (done) or timeout passes; then fails the test
// with cond's last answer.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		if last = cond(); last == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %s", timeout, what, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitCapacity waits until the device manager advertises want healthy devices of resource.
func waitCapacity(t *testing.T, dm *standin.DeviceManager, res string, want int64, timeout time.Duration) {
	t.Helper()
	waitFor(t, fmt.Sprintf("capacity %s=%d", res, want), timeout, func() string {
		_, alloc, _ := dm.Capacity()
		q, ok := alloc[v1.ResourceName(res)]
		if ok && q.Value() == want {
			return ""
		}
		return fmt.Sprintf("allocatable %v", alloc)
	})
}

// podSpec is a pod asking for devices of res: one entry per init container, then app containers.
type podSpec struct {
	name, ns, uid string
	inits, apps   []int64
	res           string
}

func (s podSpec) pod() *v1.Pod {
	c := func(prefix string, i int, n int64) v1.Container {
		ctr := v1.Container{Name: fmt.Sprintf("%s%d", prefix, i), Image: "busybox"}
		if n > 0 {
			q := *resource.NewQuantity(n, resource.DecimalSI)
			ctr.Resources = v1.ResourceRequirements{Limits: v1.ResourceList{v1.ResourceName(s.res): q},
				Requests: v1.ResourceList{v1.ResourceName(s.res): q}}
		}
		return ctr
	}
	p := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: s.ns, UID: types.UID(s.uid)},
		Status: v1.PodStatus{Phase: v1.PodPending}}
	for i, n := range s.inits {
		p.Spec.InitContainers = append(p.Spec.InitContainers, c("init", i, n))
	}
	for i, n := range s.apps {
		p.Spec.Containers = append(p.Spec.Containers, c("app", i, n))
	}
	return p
}
