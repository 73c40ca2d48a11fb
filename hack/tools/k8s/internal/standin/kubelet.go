package standin

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
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
	podutil "k8s.io/kubernetes/pkg/api/v1/pod"
	"k8s.io/kubernetes/pkg/kubelet/lifecycle"
	kubepod "k8s.io/kubernetes/pkg/kubelet/pod"
)

// Kubelet watches the pods bound to one node, admits them through the device manager (Allocate),
// records what the device plugins returned and reports them Running (or Failed, as the kubelet
// rejects a pod). It starts no container. It serves the pod-resources API from the kubelet's pod
// manager and the device manager. Run is the only entry point; everything else runs on Run's
// goroutines (one pod worker, one status loop, the pod-resources server).
type Kubelet struct {
	Client    kubernetes.Interface
	Node      NodeConfig
	RootDir   string        // device-plugins/ (registration socket, checkpoint), pod-resources/ (kubelet.sock), pods/ (records)
	Heartbeat time.Duration // node status refresh (default 10s); capacity changes are posted within 1s

	dm     *DeviceManager
	lister corelisters.PodLister
	synced cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
	// pods is the kubelet's own pod manager: the pods this kubelet has started to handle (a pod
	// is added right before its admission, as HandlePodAdditions does, updated on every change
	// and removed once deleted from the API server). It is the pod-resources API's pod list and
	// the device manager's active pods (minus terminal ones).
	pods    kubepod.Manager
	handled map[types.UID]bool // pods this process has finished admitting (or rejecting); worker only
	ready   atomic.Bool        // the pods of an earlier run are in pods: the device manager may reclaim

	mu       sync.Mutex
	rejected map[types.UID]lifecycle.PodAdmitResult // the status manager's part: rejected = terminal
}

// PodsDir is where the per-pod records go.
func (k *Kubelet) PodsDir() string { return filepath.Join(k.RootDir, "pods") }

// PluginDir is the device-plugin directory (kubelet.sock).
func (k *Kubelet) PluginDir() string { return filepath.Join(k.RootDir, "device-plugins") }

// PodResourcesDir is the pod-resources API's directory (kubelet.sock).
func (k *Kubelet) PodResourcesDir() string { return filepath.Join(k.RootDir, PodResourcesDirName) }

// Run starts the device manager and the pod-resources server, registers the node and serves until
// ctx is done; then it stops both (plugins see the registration socket go away, pod-resources
// clients their connection close) and returns.
func (k *Kubelet) Run(ctx context.Context) error {
	if k.Heartbeat <= 0 {
		k.Heartbeat = 10 * time.Second
	}
	dm, err := NewDeviceManager(k.PluginDir())
	if err != nil {
		return err
	}
	k.dm = dm
	k.pods = kubepod.NewBasicPodManager()
	k.handled = map[types.UID]bool{}
	k.rejected = map[types.UID]lifecycle.PodAdmitResult{}
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

	if err := dm.Start(k.activePods, k.ready.Load); err != nil {
		return fmt.Errorf("device manager: %w", err)
	}
	defer func() {
		if err := dm.Stop(); err != nil {
			klog.ErrorS(err, "stopping the device manager")
		}
	}()
	klog.InfoS("device manager serving", "socket", dm.SocketPath())
	podres, err := StartPodResources(k.PodResourcesDir(), dm.PodResourcesProviders(k.pods))
	if err != nil {
		return err
	}
	defer podres.Stop()
	klog.InfoS("pod-resources API serving", "socket", podres.SocketPath())
	if err := EnsureNode(ctx, k.Client, &k.Node); err != nil {
		return fmt.Errorf("node %s: %w", k.Node.Name, err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), k.synced) { // false only when ctx is done: a stop
		klog.InfoS("shutting down before the pod cache synced")
		return nil
	}
	k.loadHandledPods()
	go k.statusLoop(ctx)
	go func() {
		for k.processNext(ctx) {
		}
	}()
	<-ctx.Done()
	klog.InfoS("shutting down")
	return nil
}

// loadHandledPods puts the pods an earlier run of the stand-in admitted or rejected (no longer
// Pending) into the pod manager, as a restarted kubelet re-adds the pods it runs, before any
// admission; Pending pods wait for the pod worker. Only then may the device manager free the
// devices of pods it does not see (sources ready), so the checkpoint's allocations survive.
func (k *Kubelet) loadHandledPods() {
	pods, err := k.lister.List(labels.Everything())
	if err == nil {
		for _, p := range pods {
			if p.Status.Phase != v1.PodPending {
				k.pods.AddPod(p)
			}
		}
	}
	k.ready.Store(true)
}

// activePods is the kubelet's GetActivePods: the pod manager's pods that are not terminal (by
// their phase or, before the API server shows it, because this kubelet rejected them).
func (k *Kubelet) activePods() []*v1.Pod {
	pods := k.pods.GetPods()
	out := pods[:0:0]
	for _, p := range pods {
		if !podutil.IsPodPhaseTerminal(p.Status.Phase) && !k.isRejected(p.UID) {
			out = append(out, p)
		}
	}
	return out
}

func (k *Kubelet) isRejected(uid types.UID) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.rejected[uid]
	return ok
}

// forget is HandlePodRemoves: the pod leaves the pod manager (and the pod-resources API); the
// device manager frees its devices at its next UpdateAllocatedDevices.
func (k *Kubelet) forget(pod *v1.Pod) {
	k.pods.RemovePod(pod)
	delete(k.handled, pod.UID)
	k.mu.Lock()
	delete(k.rejected, pod.UID)
	k.mu.Unlock()
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

// syncPod mirrors the kubelet's HandlePodAdditions/Updates/Removes for one pod: a pod deleted
// from the API server leaves the pod manager and loses its record; a pod being deleted is finished
// (deleted with grace period 0, as the kubelet does once its containers are gone); a pod seen for
// the first time enters the pod manager and, when Pending, is admitted right after (so a device
// plugin asking the pod-resources API during its Allocate sees it, and no pod bound after it).
func (k *Kubelet) syncPod(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	known, isKnown := k.pods.GetPodByName(ns, name)
	pod, err := k.lister.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		klog.V(2).InfoS("pod gone", "pod", key)
		if isKnown {
			k.forget(known)
		}
		return RemoveRecord(k.PodsDir(), ns, name)
	}
	if err != nil {
		return err
	}
	if isKnown && known.UID != pod.UID { // deleted and created again under the same name
		k.forget(known)
	}
	k.pods.UpdatePod(pod) // AddPod for a new pod (the same call in the kubelet's pod manager)
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
		return nil // admitted by us already, or by an earlier run of the stand-in (or terminal)
	}
	return k.admit(ctx, pod)
}

func (k *Kubelet) admit(ctx context.Context, pod *v1.Pod) error {
	k.mu.Lock()
	res, rejected := k.rejected[pod.UID]
	k.mu.Unlock()
	if !rejected { // a rejection is final (the kubelet's status manager retries only the status)
		res = k.dm.Admit(pod)
	}
	if !res.Admit {
		if !rejected {
			klog.InfoS("pod rejected", "pod", klog.KObj(pod), "reason", res.Reason, "message", res.Message)
			k.mu.Lock()
			k.rejected[pod.UID] = res
			k.mu.Unlock()
			k.event(ctx, pod, v1.EventTypeWarning, res.Reason, res.Message)
		}
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
	if err := k.patchStatus(ctx, pod, runningStatus(pod, k.Node.NodeIP(), time.Now())); err != nil {
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
func runningStatus(pod *v1.Pod, hostIP string, now time.Time) map[string]any {
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
		"phase": v1.PodRunning, "hostIP": hostIP, "hostIPs": []map[string]string{{"ip": hostIP}},
		"startTime": t,
		"conditions": []v1.PodCondition{cond(v1.PodReadyToStartContainers), cond(v1.PodInitialized),
			cond(v1.ContainersReady), cond(v1.PodReady), cond(v1.PodScheduled)},
		"initContainerStatuses": inits, "containerStatuses": apps,
	}
}

func jsonMerge(v any) ([]byte, error) { return json.Marshal(v) }
