package devicemanager_test

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"local/hami-k8s-tools/internal/standin"
)

func TestParseLabels(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		bad  bool
	}{
		{in: "", want: map[string]string{}},
		{in: "a=1,b=x=y", want: map[string]string{"a": "1", "b": "x=y"}},
		{in: "a=", want: map[string]string{"a": ""}},
		{in: "a", bad: true},
		{in: "=1", bad: true},
	} {
		got, err := standin.ParseLabels(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && len(got) != len(tc.want)) {
			t.Errorf("ParseLabels(%q) = %v, %v", tc.in, got, err)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("ParseLabels(%q)[%s] = %q, want %q", tc.in, k, got[k], v)
			}
		}
	}
	if _, err := standin.BaseResources("x", "1Gi", 1); err == nil {
		t.Error("BaseResources accepted cpu x")
	}
	if _, err := standin.BaseResources("1", "1Gi", 0); err == nil {
		t.Error("BaseResources accepted 0 pods")
	}
}

// TestNodeLifecycle: node created with the labels, existing labels/annotations kept, capacity =
// base + device manager, a resource reported removed drops to 0, Ready's transition time stays.
func TestNodeLifecycle(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewSimpleClientset(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1",
		Labels: map[string]string{"keep": "me"}, Annotations: map[string]string{"hami.io/node-nvidia-register": "[]"}}})
	base, err := standin.BaseResources("8", "16Gi", 50)
	if err != nil {
		t.Fatal(err)
	}
	nc := &standin.NodeConfig{Name: "n1", Labels: map[string]string{"zone": "a"}, Base: base, Version: "v1.32.2", Hostname: "n1"}
	if err := standin.EnsureNode(ctx, cs, nc); err != nil {
		t.Fatal(err)
	}
	gpu := v1.ResourceList{"nvidia.com/gpu": resource.MustParse("20")}
	if err := standin.UpdateNodeStatus(ctx, cs, nc, gpu, gpu, nil); err != nil {
		t.Fatal(err)
	}
	n, _ := cs.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
	for k, v := range map[string]string{"keep": "me", "zone": "a", "gpu": "on", "kubernetes.io/hostname": "n1"} {
		if n.Labels[k] != v {
			t.Errorf("label %s=%q, want %q (%v)", k, n.Labels[k], v, n.Labels)
		}
	}
	if n.Annotations["hami.io/node-nvidia-register"] != "[]" {
		t.Errorf("annotations changed: %v", n.Annotations)
	}
	q := n.Status.Allocatable["nvidia.com/gpu"]
	c := n.Status.Capacity[v1.ResourceCPU]
	if q.Value() != 20 || c.Value() != 8 || len(n.Status.Conditions) != 1 || n.Status.Conditions[0].Status != v1.ConditionTrue {
		t.Fatalf("status %+v", n.Status)
	}
	since := n.Status.Conditions[0].LastTransitionTime
	// Device manager restarted: no capacity reported yet -> the old value stays; then removed -> 0.
	if err := standin.UpdateNodeStatus(ctx, cs, nc, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	n, _ = cs.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
	if q := n.Status.Allocatable["nvidia.com/gpu"]; q.Value() != 20 {
		t.Errorf("gpu allocatable %v after an empty report, want 20 kept", q.String())
	}
	if !n.Status.Conditions[0].LastTransitionTime.Equal(&since) {
		t.Errorf("Ready transition time moved from %v to %v", since, n.Status.Conditions[0].LastTransitionTime)
	}
	if err := standin.UpdateNodeStatus(ctx, cs, nc, nil, nil, []string{"nvidia.com/gpu"}); err != nil {
		t.Fatal(err)
	}
	n, _ = cs.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
	if q := n.Status.Capacity["nvidia.com/gpu"]; q.Value() != 0 {
		t.Errorf("gpu capacity %v after removal, want 0", q.String())
	}
}

func TestRecordRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rec := &standin.PodRecord{Namespace: "ns", Name: "p", UID: "u", Node: "n", Containers: []standin.ContainerRecord{{
		Name: "c", Devices: map[string][]string{"r": {"b", "a"}}, Env: map[string]string{"K": "V"},
		Mounts: []standin.MountRecord{{ContainerPath: "/x", HostPath: "/h", ReadOnly: true}}}}}
	if err := standin.WriteRecord(dir, rec); err != nil {
		t.Fatal(err)
	}
	got, err := standin.ReadRecord(dir, "ns", "p")
	if err != nil {
		t.Fatal(err)
	}
	if got.Containers[0].Env["K"] != "V" || got.Containers[0].Devices["r"][0] != "a" || !got.Containers[0].Mounts[0].ReadOnly {
		t.Errorf("round trip: %+v", got)
	}
	if err := standin.RemoveRecord(dir, "ns", "p"); err != nil {
		t.Fatal(err)
	}
	if err := standin.RemoveRecord(dir, "ns", "p"); err != nil {
		t.Errorf("second remove: %v", err)
	}
	if _, err := standin.ReadRecord(dir, "ns", "p"); err == nil {
		t.Error("record still readable after removal")
	}
}
