package standin

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// Kubelet watches the pods bound to one node, admits them through the device manager (Allocate),
// records what the device plugins returned and reports them Running (or Failed, as the kubelet
// rejects a pod). It starts no container. Run is the only entry point; everything else runs on
// Run's goroutines (one pod worker, one status loop).
type Kubelet struct {
	Client    kubernetes.Interface
	Node      NodeConfig
	RootDir   string        // device-plugins/ (registration socket, checkpoint) and pods/ (records)
	Heartbeat time.Duration // node status refresh (default 10s); capacity changes are posted within 1s

	dm      *DeviceManager
	lister  corelisters.PodLister
	synced  cache.InformerSynced
	queue   workqueue.TypedRateLimitingInterface[string]
	handled map[types.UID]bool // pods already admitted (or rejected) by this process
}

// PodsDir is where the per-pod records go.
func (k *Kubelet) PodsDir() string { return filepath.Join(k.RootDir, "pods") }

// PluginDir is the device-plugin directory (kubelet.sock).
func (k *Kubelet) PluginDir() string { return filepath.Join(k.RootDir, "device-plugins") }

// Run starts the device manager, registers the node and serves until ctx is done; then it stops
// the device manager (plugins see the registration socket go away) and returns.
func (k *Kubelet) Run(ctx context.Context) error {
	if k.Heartbeat <= 0 {
		k.Heartbeat = 10 * time.Second
	}
	dm, err := NewDeviceManager(k.PluginDir())
	if err != nil {
		return err
	}
	k.dm = dm
	k.handled = map[types.UID]bool{}
	factory := informers.NewSharedInformerFactoryWithOptions(k.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = "spec.nodeName=" + k.Node.Name }))
	inf := factory.Core().V1().Pods()
	k.lister, k.synced = inf.Lister(), inf.Informer().HasSynced
	k.queue = workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	defer k.queue.ShutDown()
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			k.queue.Add(key)
		}
	}
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) }, DeleteFunc: enqueue,
	}); err != nil {
		return err
	}

	if err := dm.Start(k.activePods, k.synced); err != nil {
		return fmt.Errorf("device manager: %w", err)
	}
	defer func() {
		if err := dm.Stop(); err != nil {
			klog.ErrorS(err, "stopping the device manager")
		}
	}()
	klog.InfoS("device manager serving", "socket", dm.SocketPath())
	if err := EnsureNode(ctx, k.Client, &k.Node); err != nil {
		return fmt.Errorf("node %s: %w", k.Node.Name, err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), k.synced) {
		return ctx.Err()
	}
	go k.statusLoop(ctx)
	go func() {
		for k.processNext(ctx) {
		}
	}()
	<-ctx.Done()
	klog.InfoS("shutting down")
	return nil
}

// activePods is the kubelet's notion: pods bound here that have not terminated.
func (k *Kubelet) activePods() []*v1.Pod {
	pods, err := k.lister.List(labels.Everything())
	if err != nil {
		return nil
	}
	out := pods[:0:0]
	for _, p := range pods {
		if p.Status.Phase != v1.PodSucceeded && p.Status.Phase != v1.PodFailed {
			out = append(out, p)
		}
	}
	return out
}

// statusLoop posts the node status every Heartbeat, and within a second of a capacity change.
func (k *Kubelet) statusLoop(ctx context.Context) {
	var lastCap, lastAlloc v1.ResourceList
	var last time.Time
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		devCap, devAlloc, removed := k.dm.Capacity()
		if time.Since(last) >= k.Heartbeat || len(removed) > 0 ||
			!equality.Semantic.DeepEqual(devCap, lastCap) || !equality.Semantic.DeepEqual(devAlloc, lastAlloc) {
			if err := UpdateNodeStatus(ctx, k.Client, &k.Node, devCap, devAlloc, removed); err != nil {
				if ctx.Err() != nil {
					return
				}
				klog.ErrorS(err, "updating node status")
			} else {
				if !equality.Semantic.DeepEqual(devCap, lastCap) {
					klog.InfoS("device capacity", "capacity", devCap, "allocatable", devAlloc, "removed", removed)
				}
				lastCap, lastAlloc, last = devCap, devAlloc, time.Now()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (k *Kubelet) processNext(ctx context.Context) bool {
	key, quit := k.queue.Get()
	if quit {
		return false
	}
	defer k.queue.Done(key)
	if err := k.syncPod(ctx, key); err != nil {
		klog.ErrorS(err, "syncing pod (will retry)", "pod", key)
		k.queue.AddRateLimited(key)
		return true
	}
	k.queue.Forget(key)
	return true
}

// syncPod: a deleted pod loses its record; a pod being deleted is finished (deleted with grace
// period 0, as the kubelet does once its containers are gone); a new Pending pod is admitted.
func (k *Kubelet) syncPod(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	pod, err := k.lister.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		klog.V(2).InfoS("pod gone", "pod", key)
		return RemoveRecord(k.PodsDir(), ns, name)
	}
	if err != nil {
		return err
	}
	if pod.DeletionTimestamp != nil {
		uid := pod.UID
		err := k.Client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{
			GracePeriodSeconds: new(int64), Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return err
		}
		return RemoveRecord(k.PodsDir(), ns, name)
	}
	if k.handled[pod.UID] || pod.Status.Phase != v1.PodPending {
		return nil // admitted by us already, or by an earlier run of the stand-in
	}
	return k.admit(ctx, pod)
}

func (k *Kubelet) admit(ctx context.Context, pod *v1.Pod) error {
	res := k.dm.Admit(pod)
	if !res.Admit {
		klog.InfoS("pod rejected", "pod", klog.KObj(pod), "reason", res.Reason, "message", res.Message)
		k.event(ctx, pod, v1.EventTypeWarning, res.Reason, res.Message)
		if err := k.patchStatus(ctx, pod, failedStatus(res.Reason, "Pod was rejected: "+res.Message)); err != nil {
			return err
		}
		k.handled[pod.UID] = true
		return nil
	}
	containers, err := k.dm.RunOptions(pod)
	if err != nil { // the kubelet would fail container creation and retry
		k.event(ctx, pod, v1.EventTypeWarning, "Failed", err.Error())
		return err
	}
	for i := range containers {
		containers[i].Devices = k.dm.Devices(string(pod.UID), containers[i].Name)
	}
	rec := &PodRecord{Namespace: pod.Namespace, Name: pod.Name, UID: string(pod.UID), Node: k.Node.Name, Containers: containers}
	if err := WriteRecord(k.PodsDir(), rec); err != nil {
		return fmt.Errorf("writing the pod record: %w", err)
	}
	if err := k.patchStatus(ctx, pod, runningStatus(pod, time.Now())); err != nil {
		return err
	}
	k.handled[pod.UID] = true
	klog.InfoS("pod running", "pod", klog.KObj(pod), "record", RecordPath(k.PodsDir(), pod.Namespace, pod.Name))
	k.event(ctx, pod, v1.EventTypeNormal, "Started", "kubelet-standin: devices allocated, containers reported running (nothing started)")
	return nil
}

func (k *Kubelet) patchStatus(ctx context.Context, pod *v1.Pod, st map[string]any) error {
	body, err := jsonMerge(map[string]any{"metadata": map[string]any{"uid": pod.UID}, "status": st})
	if err != nil {
		return err
	}
	_, err = k.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, body,
		metav1.PatchOptions{}, "status")
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // deleted (or replaced by a pod of the same name) meanwhile
	}
	return err
}

func (k *Kubelet) event(ctx context.Context, pod *v1.Pod, typ, reason, msg string) {
	now := metav1.Now()
	ev := &v1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: pod.Name + ".", Namespace: pod.Namespace},
		InvolvedObject: v1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID, APIVersion: "v1"},
		Reason:         reason, Message: msg, Type: typ, Count: 1, FirstTimestamp: now, LastTimestamp: now,
		Source: v1.EventSource{Component: "kubelet", Host: k.Node.Name},
	}
	if _, err := k.Client.CoreV1().Events(pod.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		klog.V(2).InfoS("event not recorded", "pod", klog.KObj(pod), "err", err)
	}
}

func failedStatus(reason, msg string) map[string]any {
	return map[string]any{"phase": v1.PodFailed, "reason": reason, "message": msg}
}

// runningStatus: init containers terminated (Completed), app containers running and ready.
func runningStatus(pod *v1.Pod, now time.Time) map[string]any {
	t := metav1.NewTime(now)
	cond := func(typ v1.PodConditionType) v1.PodCondition {
		return v1.PodCondition{Type: typ, Status: v1.ConditionTrue, LastTransitionTime: t}
	}
	var inits, apps []v1.ContainerStatus
	for _, c := range pod.Spec.InitContainers {
		inits = append(inits, v1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: c.Image,
			ContainerID: "standin://" + string(pod.UID) + "/" + c.Name,
			State:       v1.ContainerState{Terminated: &v1.ContainerStateTerminated{Reason: "Completed", StartedAt: t, FinishedAt: t}}})
	}
	started := true
	for _, c := range pod.Spec.Containers {
		apps = append(apps, v1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: true, Started: &started,
			ContainerID: "standin://" + string(pod.UID) + "/" + c.Name,
			State:       v1.ContainerState{Running: &v1.ContainerStateRunning{StartedAt: t}}})
	}
	return map[string]any{
		"phase": v1.PodRunning, "hostIP": "127.0.0.1", "hostIPs": []map[string]string{{"ip": "127.0.0.1"}},
		"startTime": t,
		"conditions": []v1.PodCondition{cond(v1.PodReadyToStartContainers), cond(v1.PodInitialized),
			cond(v1.ContainersReady), cond(v1.PodReady), cond(v1.PodScheduled)},
		"initContainerStatuses": inits, "containerStatuses": apps,
	}
}

func jsonMerge(v any) ([]byte, error) { return json.Marshal(v) }
