"""charts/hami on the local control plane (hack/local-up.sh), end to end:

1. the rendered chart passes server-side validation (kubectl apply --server-side --dry-run=server);
2. helm install creates every object; helm upgrade keeps the generated certificates; helm
   uninstall removes everything, cluster-scoped objects included;
3. RBAC: each ServiceAccount can do what its component needs and not more (kubectl auth can-i);
4. hami-scheduler and kube-scheduler run with the INSTALLED chart's arguments and files (volumes
   materialised like kubelet would: ConfigMap/Secret keys as files, mount paths mapped to a temp
   dir), authenticated as the chart's ServiceAccount, and a pod asking for the chart's resource
   names is mutated by the webhook, filtered and bound. hami-device-plugin / hami-monitor, when
   built, are started with their rendered arguments too (flags must be accepted).
A rendered flag unknown to a binary makes it exit at start, which fails the test (checked first:
the binary does reject an unknown flag).

Usage: chart_e2e.py PLANE_ENV --scheduler-bin PATH [--device-plugin-bin PATH] [--monitor-bin PATH]
"""
import argparse
import base64
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import yaml

from chartlib import CHART, ROOT, TOOLS, Rendered, helm

NS = "hami-chart-e2e"
RELEASE = "hami-chart"
SCHED_NAME = "hami-chart"
NODE = "chart-e2e-node"
DP_NODE = "chart-e2e-dp-node"
RESOURCES = {"resourceName": "example.com/vgpu", "resourceMem": "example.com/vgpumem",
             "resourceCores": "example.com/vgpucores", "resourceMemPercentage": "example.com/vgpumem-pct",
             "resourcePriority": "example.com/vgpu-priority"}
KUBECTL = os.path.join(TOOLS, "kubectl")
PASSED, FAILED = [], []


def check(name, ok, detail=""):
    (PASSED if ok else FAILED).append(name)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok or not detail else f": {detail}"), flush=True)
    return ok


def require(name, ok, detail=""):
    if not check(name, ok, detail):
        raise SystemExit(finish())


def finish():
    print(f"{len(PASSED)} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


def load_env(path):
    env = {}
    for line in open(path):
        if line.startswith("export "):
            key, _, value = line[len("export "):].strip().partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return env


def kubectl(*args, check_rc=True, stdin=None):
    p = subprocess.run([KUBECTL, *args], capture_output=True, text=True, input=stdin)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)}: {p.stderr.strip()}")
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, fn, timeout=60, proc=None, log=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = open(log).read()[-3000:] if log else ""
            return False, f"{what}: process exited with {proc.returncode}:\n{tail}"
        try:
            if fn():
                return True, ""
        except Exception:  # noqa: BLE001 - retried until the deadline
            pass
        time.sleep(0.2)
    return False, f"{what}: not within {timeout}s"


def curl_ok(url, cacert=None):
    cmd = ["curl", "-sf", "-o", "/dev/null", "--max-time", "2"]
    cmd += ["--cacert", cacert] if cacert else ["-k"]
    return subprocess.run(cmd + [url]).returncode == 0


# --- the chart's pod as a host process ----------------------------------------------------------

def materialise(pod_spec, container, namespace, root):
    """({mountPath: host path}, [files written]) for a container's volumes: ConfigMap/Secret keys
    read from the cluster as files like kubelet would (items, subPath honoured), emptyDir and
    hostPath as private directories under root."""
    volumes = {v["name"]: v for v in pod_spec["volumes"]}
    mapping, written = {}, []
    for m in container.get("volumeMounts", []):
        v = volumes[m["name"]]
        vdir = os.path.join(root, container["name"], m["name"])
        os.makedirs(vdir, exist_ok=True)
        data = {}
        if "configMap" in v:
            data = kubectl("get", "configmap", v["configMap"]["name"], "-n", namespace,
                           "-o", "json").stdout
            data = json.loads(data)["data"]
        elif "secret" in v:
            raw = json.loads(kubectl("get", "secret", v["secret"]["secretName"], "-n", namespace,
                                     "-o", "json").stdout)["data"]
            data = {k: base64.b64decode(val).decode() for k, val in raw.items()}
        if "hostPath" in v:  # the node's directory -> a private copy under root/host
            vdir = os.path.join(root, "host", v["hostPath"]["path"].lstrip("/"))
            os.makedirs(vdir, exist_ok=True)
        items = (v.get("configMap") or v.get("secret") or {}).get("items")
        if items:
            data = {i["path"]: data[i["key"]] for i in items}
        for key, content in data.items():
            with open(os.path.join(vdir, key), "w") as f:
                f.write(content)
            os.chmod(os.path.join(vdir, key), 0o600)
            written.append(os.path.join(vdir, key))
        mapping[m["mountPath"]] = os.path.join(vdir, m["subPath"]) if "subPath" in m else vdir
    return mapping, written


def container_view(mapping, root):
    """Mirror of the container's file system view under root: root+mountPath -> the volume."""
    for mount, host in mapping.items():
        link = root + mount
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if not os.path.lexists(link):
            os.symlink(host, link)


def remap(text, mapping, root):
    """Absolute paths in text that are a mount, lie in one, or contain one (e.g. --hook-path=X
    with a mount at X/containers) point into the mirror under root."""
    def mapped(path):
        hit = any(path == m or path.startswith(m.rstrip("/") + "/") or m.startswith(path.rstrip("/") + "/")
                  for m in mapping)
        return root + path if hit else path
    out = []
    for token in re.split(r"([=\s\"',])", text):
        out.append(mapped(token) if token.startswith("/") else token)
    return "".join(out)


def remap_files(files, mapping, root):
    """Paths inside mounted config files (e.g. caFile: /tls/ca.crt) point into the mirror too."""
    for f in files:
        text = open(f).read()
        new = remap(text, mapping, root)
        if new != text:
            open(f, "w").write(new)


def sa_kubeconfig(env, sa, path):
    token = kubectl("create", "token", sa, "-n", NS, "--duration", "1h").stdout.strip()
    cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "sa",
           "clusters": [{"name": "local", "cluster": {"server": env["API_SERVER"],
                                                      "certificate-authority": os.path.join(env["PKI_DIR"], "ca.crt")}}],
           "users": [{"name": sa, "user": {"token": token}}],
           "contexts": [{"name": "sa", "context": {"cluster": "local", "user": sa}}]}
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f)
    os.chmod(path, 0o600)
    return path


# --- steps ----------------------------------------------------------------------------------------

def values(https_port, metrics_port, webui_port):
    return dict(RESOURCES, schedulerName=SCHED_NAME, scheduler={
        "metricsBindAddress": f"127.0.0.1:{metrics_port}",
        "webui": {"port": webui_port},
        "service": {"type": "NodePort", "httpTargetPort": https_port},
        "admissionWebhook": {"failurePolicy": "Fail",
                             "namespaceSelector": {"matchLabels": {"hami-chart-e2e": "on"}},
                             "customURL": {"enabled": True, "host": "127.0.0.1", "port": https_port,
                                           "path": "/webhook"}}})


def validate_and_install(values_file):
    text = helm("template", RELEASE, CHART, "-n", NS, "-f", values_file, "--kube-version", "1.32.2").stdout
    objects = Rendered(text).docs
    p = kubectl("apply", "--server-side", "--dry-run=server", "--field-manager", "chart-e2e", "-f", "-",
                check_rc=False, stdin=text)
    accepted = [line for line in p.stdout.splitlines() if "(server dry run)" in line]
    check("server-side dry run accepts every rendered object",
          p.returncode == 0 and len(accepted) == len(objects),
          f"{len(accepted)}/{len(objects)} accepted: {p.stderr.strip()}")
    p = helm("install", RELEASE, CHART, "-n", NS, "-f", values_file, check=False)
    require("helm install", p.returncode == 0, p.stderr)
    installed = Rendered(helm("get", "manifest", RELEASE, "-n", NS).stdout)
    missing = [f"{d['kind']}/{d['metadata']['name']}" for d in installed.docs
               if kubectl("get", d["kind"], d["metadata"]["name"],
                          *(["-n", d["metadata"]["namespace"]] if "namespace" in d["metadata"] else []),
                          check_rc=False).returncode != 0]
    check(f"all {len(installed.docs)} installed objects exist", not missing, str(missing))
    return installed


def upgrade_keeps_certificates():
    secret = f"{RELEASE}-scheduler-tls"
    before = json.loads(kubectl("get", "secret", secret, "-n", NS, "-o", "json").stdout)["data"]
    p = helm("upgrade", RELEASE, CHART, "-n", NS, "--reuse-values", "--set", "scheduler.nodeLockExpire=3m",
             check=False)
    require("helm upgrade", p.returncode == 0, p.stderr)
    after = json.loads(kubectl("get", "secret", secret, "-n", NS, "-o", "json").stdout)["data"]
    check("upgrade keeps the generated CA and serving certificate", before == after)
    hook = json.loads(kubectl("get", "mutatingwebhookconfiguration", f"{RELEASE}-webhook", "-o", "json").stdout)
    check("webhook caBundle is the Secret's CA", hook["webhooks"][0]["clientConfig"]["caBundle"] == after["ca.crt"])
    installed = Rendered(helm("get", "manifest", RELEASE, "-n", NS).stdout)
    args = installed.args("Deployment", f"{RELEASE}-scheduler", "vgpu-scheduler-extender")
    check("upgrade applies the new value", "--node-lock-timeout=3m" in args, str(args))
    return installed


RBAC = {  # ServiceAccount -> [(allowed?, can-i arguments)]
    f"{RELEASE}-scheduler": [
        (True, ["get", "nodes"]), (True, ["list", "nodes"]), (True, ["watch", "nodes"]), (True, ["patch", "nodes"]),
        (True, ["list", "pods", "-A"]), (True, ["watch", "pods", "-A"]), (True, ["patch", "pods", "-n", "default"]),
        (True, ["get", "pods", "-n", "default"]), (True, ["create", "pods", "--subresource=binding", "-n", "default"]),
        (True, ["list", "resourcequotas", "-A"]), (True, ["create", "events", "-n", "default"]),
        (True, ["create", "leases.coordination.k8s.io", "-n", NS]),
        (True, ["update", f"leases.coordination.k8s.io/{SCHED_NAME}", "-n", NS]),
        (True, ["get", f"leases.coordination.k8s.io/{RELEASE}-scheduler-kube-scheduler", "-n", NS]),
        (True, ["delete", "pods", "-n", "default"]),  # kube-scheduler preemption
        (True, ["create", "tokenreviews.authentication.k8s.io"]),
        (True, ["get", "configmaps/extension-apiserver-authentication", "-n", "kube-system"]),
        (False, ["create", "pods", "-n", "default"]), (False, ["delete", "nodes"]), (False, ["create", "nodes"]),
        (False, ["update", "nodes"]), (False, ["patch", "nodes", "--subresource=status"]),
        (False, ["get", "secrets", "-A"]), (False, ["list", "secrets", "-n", NS]),
        (False, ["get", "configmaps", "-n", "kube-system"]),
        (False, ["update", "leases.coordination.k8s.io/kube-scheduler", "-n", "kube-system"]),
        (False, ["update", "leases.coordination.k8s.io/other", "-n", NS]),
        (False, ["create", "leases.coordination.k8s.io", "-n", "kube-system"]),
        (False, ["patch", "mutatingwebhookconfigurations"]), (False, ["create", "clusterrolebindings"]),
        (False, ["impersonate", "serviceaccounts"]), (False, ["create", "serviceaccounts/token", "-n", NS]),
        (False, ["delete", "namespaces"]), (False, ["create", "deployments.apps", "-n", NS]),
    ],
    f"{RELEASE}-device-plugin": [
        (True, ["get", "nodes"]), (True, ["patch", "nodes"]), (True, ["list", "pods", "-A"]),
        (True, ["watch", "pods", "-A"]), (True, ["get", "pods", "-n", "default"]),
        (True, ["patch", "pods", "-n", "default"]), (False, ["create", "events", "-n", "default"]),
        (False, ["list", "nodes"]), (False, ["delete", "nodes"]), (False, ["update", "nodes"]),
        (False, ["create", "pods", "-n", "default"]), (False, ["delete", "pods", "-n", "default"]),
        (False, ["create", "pods", "--subresource=binding", "-n", "default"]), (False, ["get", "secrets", "-A"]),
        (False, ["get", "configmaps", "-n", NS]), (False, ["create", "leases.coordination.k8s.io", "-n", NS]),
    ],
}


def check_rbac():
    for sa, cases in RBAC.items():
        wrong = []
        for allowed, args in cases:
            p = kubectl("auth", "can-i", *args, f"--as=system:serviceaccount:{NS}:{sa}", check_rc=False)
            if (p.stdout.strip() == "yes") != allowed:
                wrong.append(f"{'can not' if allowed else 'CAN'} {' '.join(args)}")
        check(f"RBAC of {sa}: {sum(a for a, _ in cases)} allowed, {sum(not a for a, _ in cases)} denied",
              not wrong, "; ".join(wrong))


class Component:
    def __init__(self, name, argv, env_extra, workdir):
        self.name, self.argv = name, argv
        self.log = os.path.join(workdir, f"{name}.log")
        env = dict(os.environ, **env_extra)
        self.proc = subprocess.Popen(argv, stdout=open(self.log, "w"), stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def rendered_command(installed, kind, name, container, workdir, binary):
    pod = installed.get(kind, name)["spec"]["template"]["spec"]
    c = next(x for x in pod["containers"] if x["name"] == container)
    mapping, files = materialise(pod, c, NS, workdir)
    root = os.path.join(workdir, "rootfs-" + container)
    container_view(mapping, root)
    remap_files(files, mapping, root)
    argv = [remap(a, mapping, root) for a in c["command"] + c.get("args", [])]
    env = {e["name"]: e["value"] for e in c.get("env", []) if "value" in e}
    return [binary] + argv[1:], env, mapping


def rejects_unknown_flag(argv, env):
    p = subprocess.run(argv + ["--no-such-flag-from-chart-e2e"], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, **env))
    return p.returncode != 0 and "no-such-flag-from-chart-e2e" in (p.stdout + p.stderr)


def run_scheduler(env, installed, opts, workdir, ports, started):
    """Starts hami-scheduler and kube-scheduler; appends them to started as soon as they run."""
    sched_kc = sa_kubeconfig(env, f"{RELEASE}-scheduler", os.path.join(workdir, "scheduler-sa.kubeconfig"))
    argv, cenv, _ = rendered_command(installed, "Deployment", f"{RELEASE}-scheduler", "vgpu-scheduler-extender",
                                     workdir, opts.scheduler_bin)
    cenv.update(POD_NAME=f"{RELEASE}-scheduler-e2e", POD_NAMESPACE=NS)  # the downward API's values
    argv += ["--kubeconfig", sched_kc]  # in-cluster credentials -> the same ServiceAccount's token
    require("hami-scheduler rejects an unknown flag (so a bad rendered flag fails here)",
            rejects_unknown_flag(argv, cenv))
    hs = Component("hami-scheduler", argv, cenv, workdir)
    started.append(hs)
    ca = os.path.join(workdir, "ca.crt")
    open(ca, "w").write(base64.b64decode(json.loads(kubectl(
        "get", "secret", f"{RELEASE}-scheduler-tls", "-n", NS, "-o", "json").stdout)["data"]["ca.crt"]).decode())
    ok, why = wait_for("hami-scheduler ready", lambda: curl_ok(f"https://127.0.0.1:{ports['https']}/readyz", ca),
                       timeout=60, proc=hs.proc, log=hs.log)
    require("hami-scheduler runs with the rendered flags as its ServiceAccount and becomes ready "
            "(leader, informers synced; TLS verified with the chart's CA)", ok, why)

    kargv, kenv, kmap = rendered_command(installed, "Deployment", f"{RELEASE}-scheduler", "kube-scheduler",
                                         workdir, os.path.join(TOOLS, "kube-scheduler"))
    config = os.path.join(kmap["/config"], "config.yaml")  # (host copy of the mounted file)
    cfg = yaml.safe_load(open(config))
    cfg["clientConnection"] = {"kubeconfig": sched_kc}  # in-cluster -> ServiceAccount token
    yaml.safe_dump(cfg, open(config, "w"))
    kargv += [f"--secure-port={ports['kube_scheduler']}", f"--authentication-kubeconfig={sched_kc}",
              f"--authorization-kubeconfig={sched_kc}"]
    ks = Component("kube-scheduler", kargv, kenv, workdir)
    started.append(ks)
    ok, why = wait_for("kube-scheduler healthy", lambda: curl_ok(f"https://127.0.0.1:{ports['kube_scheduler']}/healthz"),
                       timeout=90, proc=ks.proc, log=ks.log)
    require("kube-scheduler runs with the rendered config as the scheduler ServiceAccount", ok, why)


def schedule_a_pod(env):
    register = json.dumps([{"id": "GPU-chart-0", "count": 10, "devmem": 16384, "devcore": 100,
                            "type": "NVIDIA-Tesla T4", "health": True}])
    subprocess.run(["bash", "-c", f'source "{ROOT}/hack/lib/nodes.sh" && create_gpu_node {NODE} \'{register}\' 1'],
                   check=True, capture_output=True, env=dict(os.environ, KUBECONFIG=env["KUBECONFIG"]))
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "chart-e2e-gpu", "namespace": NS},
           "spec": {"containers": [{"name": "cuda", "image": "cuda:latest", "resources": {"limits": {
               RESOURCES["resourceName"]: "1", RESOURCES["resourceMem"]: "3000",
               RESOURCES["resourceCores"]: "30"}}}]}}
    kubectl("apply", "-f", "-", stdin=json.dumps(pod))

    def bound():
        p = json.loads(kubectl("get", "pod", "chart-e2e-gpu", "-n", NS, "-o", "json").stdout)
        return p if p["spec"].get("nodeName") else None
    ok, why = wait_for("pod bound", bound, timeout=90)
    p = json.loads(kubectl("get", "pod", "chart-e2e-gpu", "-n", NS, "-o", "json").stdout)
    check("webhook (customURL from the chart) set schedulerName", p["spec"].get("schedulerName") == SCHED_NAME,
          p["spec"].get("schedulerName"))
    if not check("pod asking for the chart's resource names is scheduled and bound", ok, why):
        print(kubectl("get", "events", "-n", NS, check_rc=False).stdout[-3000:])
        return
    ann = p["metadata"].get("annotations", {})
    check("bound to the GPU node", p["spec"]["nodeName"] == NODE, p["spec"]["nodeName"])
    check("allocation annotations written", ann.get("hami.io/vgpu-node") == NODE
          and "GPU-chart-0" in ann.get("hami.io/vgpu-devices-allocated", ""), json.dumps(ann))


def run_node_components(env, installed, opts, workdir, started):
    """Starts hami-monitor / hami-device-plugin; appends them to started as soon as they run."""
    dp_kc = sa_kubeconfig(env, f"{RELEASE}-device-plugin", os.path.join(workdir, "device-plugin-sa.kubeconfig"))
    ds = f"{RELEASE}-device-plugin"
    if opts.monitor_bin:
        argv, cenv, _ = rendered_command(installed, "DaemonSet", ds, "vgpu-monitor", workdir, opts.monitor_bin)
        port = free_port()
        argv = [a if not a.startswith("--metrics-bind-address=") else f"--metrics-bind-address=127.0.0.1:{port}"
                for a in argv] + ["--kubeconfig", dp_kc]
        cenv.update(NODE_NAME=NODE, LD_LIBRARY_PATH=opts.sim_lib_dir or "")
        check("hami-monitor rejects an unknown flag", rejects_unknown_flag(argv, cenv))
        mon = Component("hami-monitor", argv, cenv, workdir)
        started.append(mon)
        ok, why = wait_for("monitor /metrics", lambda: curl_ok(f"http://127.0.0.1:{port}/metrics"), timeout=30,
                           proc=mon.proc, log=mon.log)
        check("hami-monitor runs with the rendered flags as the device plugin ServiceAccount", ok, why)
    if opts.device_plugin_bin:
        argv, cenv, _ = rendered_command(installed, "DaemonSet", ds, "device-plugin", workdir,
                                         opts.device_plugin_bin)
        # A fresh Node with no HAMi annotation: the plugin must register the (simulated) GPU.
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": DP_NODE, "labels": {"gpu": "on"}}}
        kubectl("apply", "-f", "-", stdin=json.dumps(node))
        cenv.update(NODE_NAME=DP_NODE, LD_LIBRARY_PATH=opts.sim_lib_dir or "", HAMI_SIM_GPUS="1xT4-16GB",
                    HAMI_SIM_STATE=os.path.join(workdir, "sim.state"))
        argv += ["--kubeconfig", dp_kc]
        check("hami-device-plugin rejects an unknown flag", rejects_unknown_flag(argv, cenv))
        dp = Component("hami-device-plugin", argv, cenv, workdir)
        started.append(dp)

        def registered():
            n = json.loads(kubectl("get", "node", DP_NODE, "-o", "json").stdout)
            return "T4" in n["metadata"].get("annotations", {}).get("hami.io/node-nvidia-register", "")
        ok, why = wait_for("device plugin registers the node's GPUs", registered, timeout=60,
                           proc=dp.proc, log=dp.log)
        check("hami-device-plugin runs with the rendered flags and config files as its ServiceAccount "
              "and registers the node's GPU", ok, why)


def uninstall():
    cluster_scoped = [("clusterrole", f"{RELEASE}-scheduler"), ("clusterrole", f"{RELEASE}-device-plugin"),
                      ("mutatingwebhookconfiguration", f"{RELEASE}-webhook"),
                      ("rolebinding", f"{RELEASE}-scheduler-auth-reader", "kube-system")]
    p = helm("uninstall", RELEASE, "-n", NS, check=False)
    check("helm uninstall", p.returncode == 0, p.stderr)
    left = [o for o in cluster_scoped
            if kubectl("get", o[0], o[1], *(["-n", o[2]] if len(o) > 2 else []), check_rc=False).returncode == 0]
    check("uninstall removes cluster-scoped objects", not left, str(left))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("plane_env")
    ap.add_argument("--scheduler-bin", required=True)
    ap.add_argument("--device-plugin-bin")
    ap.add_argument("--monitor-bin")
    ap.add_argument("--sim-lib-dir")
    opts = ap.parse_args()
    for binary in (opts.scheduler_bin, opts.device_plugin_bin, opts.monitor_bin):
        if binary and not os.access(binary, os.X_OK):
            print(f"{binary} is not built (build it, e.g. make build)")
            return 1
    env = load_env(opts.plane_env)
    os.environ["KUBECONFIG"] = env["KUBECONFIG"]
    workdir = tempfile.mkdtemp(prefix="hami-chart-e2e-")
    started = []
    try:
        helm("uninstall", RELEASE, "-n", NS, check=False)  # leftovers of an interrupted run
        kubectl("delete", "pod", "chart-e2e-gpu", "-n", NS, "--grace-period=0", "--force", check_rc=False)
        kubectl("create", "namespace", NS, check_rc=False)
        kubectl("label", "namespace", NS, "hami-chart-e2e=on", "--overwrite")
        ports = {"https": free_port(), "metrics": free_port(), "kube_scheduler": free_port(), "webui": free_port()}
        values_file = os.path.join(workdir, "values.yaml")
        yaml.safe_dump(values(ports["https"], ports["metrics"], ports["webui"]), open(values_file, "w"))
        validate_and_install(values_file)
        installed = upgrade_keeps_certificates()
        check_rbac()
        run_scheduler(env, installed, opts, workdir, ports, started)
        schedule_a_pod(env)
        check("hami-scheduler /metrics (rendered --metrics-bind-address)",
              curl_ok(f"http://127.0.0.1:{ports['metrics']}/metrics"))
        check("hami-scheduler web UI API (rendered --webui-bind-address)",
              curl_ok(f"http://127.0.0.1:{ports['webui']}/api/version"))
        if opts.device_plugin_bin or opts.monitor_bin:
            run_node_components(env, installed, opts, workdir, started)
        else:
            print("note: hami-device-plugin / hami-monitor not built; their rendered flags were not run")
    finally:
        for c in reversed(started):
            c.stop()
        kubectl("delete", "pod", "chart-e2e-gpu", "-n", NS, "--grace-period=0", "--force", check_rc=False)
        kubectl("delete", "node", NODE, DP_NODE, "--ignore-not-found", check_rc=False)
        uninstall()
        if FAILED:
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
