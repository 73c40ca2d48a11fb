"""helm lint and helm template of charts/hami: default values and representative overrides,
asserting on the rendered objects (args, config files, certificates, RBAC, security contexts)."""
import base64
import json
import os
import subprocess
import tempfile
import unittest

import yaml

from chartlib import (CHART, RenderError, check_serving_cert, flag_value, helm,
                      render)

SCHED = ("Deployment", "hami-scheduler", "vgpu-scheduler-extender")
KUBE_SCHED = ("Deployment", "hami-scheduler", "kube-scheduler")
DP = ("DaemonSet", "hami-device-plugin", "device-plugin")
MON = ("DaemonSet", "hami-device-plugin", "vgpu-monitor")


def openssl_text(cert_pem, *flags):
    with tempfile.NamedTemporaryFile("w", suffix=".crt") as f:
        f.write(cert_pem)
        f.flush()
        return subprocess.run(["openssl", "x509", "-in", f.name, "-noout", *flags],
                              capture_output=True, text=True, check=True).stdout


def sched_config(r, name="hami-scheduler"):
    return yaml.safe_load(r.file(name, "config.yaml"))


def device_config(r, name="hami-scheduler-device"):
    return yaml.safe_load(r.file(name, "device-config.yaml"))


class LintTest(unittest.TestCase):
    def test_lint_default_and_strict(self):
        for extra in ([], ["--strict"]):
            p = helm("lint", CHART, *extra, check=False)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("0 chart(s) failed", p.stdout)

    def test_template_rejects_bad_values(self):
        # (helm lint renders in lint mode, where `fail` is only logged; install/template stop.)
        with self.assertRaisesRegex(RenderError, "must be a JSON object"):
            render({"devicePlugin": {"nodeConfiguration": {"config": "not-json"}}})


class DefaultsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = render()

    def test_objects_named_like_upstream(self):
        for kind, name in [("Deployment", "hami-scheduler"), ("DaemonSet", "hami-device-plugin"),
                           ("ConfigMap", "hami-scheduler"), ("ConfigMap", "hami-scheduler-device"),
                           ("ConfigMap", "hami-device-plugin"), ("Service", "hami-scheduler"),
                           ("Service", "hami-device-plugin-monitor"),
                           ("ServiceAccount", "hami-scheduler"),
                           ("ServiceAccount", "hami-device-plugin"),
                           ("MutatingWebhookConfiguration", "hami-webhook"),
                           ("Secret", "hami-scheduler-tls"),
                           ("Secret", "hami-scheduler-extender-client")]:
            self.r.get(kind, name)
        for kind in ("PodDisruptionBudget", "ServiceMonitor", "Certificate", "RuntimeClass"):
            self.assertEqual(self.r.all(kind), [], kind)

    def test_scheduler_args_follow_values(self):
        args = self.r.args(*SCHED)
        self.assertEqual(args[0], "hami-scheduler")
        want = {"--http_bind": "0.0.0.0:9443", "--cert_file": "/tls/tls.crt",
                "--key_file": "/tls/tls.key", "--scheduler-name": "hami-scheduler",
                "--metrics-bind-address": ":9395", "--node-scheduler-policy": "binpack",
                "--gpu-scheduler-policy": "spread", "--leader-elect": "true",
                "--leader-elect-resource-name": "hami-scheduler",
                "--leader-elect-resource-namespace": "kube-system",
                "--device-config-file": "/device-config.yaml", "--node-lock-timeout": "5m",
                "--force-overwrite-default-scheduler": "true"}
        for flag, value in want.items():
            self.assertEqual(flag_value(args, flag), value, flag)
        self.assertIsNone(flag_value(args, "--node-label-selector"))

    def test_kube_scheduler_config(self):
        self.assertEqual(self.r.args(*KUBE_SCHED), ["kube-scheduler", "--config=/config/config.yaml", "-v=4"])
        self.assertEqual(self.r.container(*KUBE_SCHED)["image"], "registry.k8s.io/kube-scheduler:v1.32.2")
        c = sched_config(self.r)
        self.assertEqual(c["kind"], "KubeSchedulerConfiguration")
        self.assertEqual(c["profiles"], [{"schedulerName": "hami-scheduler"}])
        self.assertFalse(c["leaderElection"]["leaderElect"])
        [ext] = c["extenders"]
        self.assertEqual(ext["urlPrefix"], "https://127.0.0.1:9443")
        self.assertEqual((ext["filterVerb"], ext["bindVerb"], ext["httpTimeout"]), ("filter", "bind", "30s"))
        self.assertTrue(ext["nodeCacheCapable"] and ext["enableHTTPS"])
        self.assertEqual(ext["tlsConfig"], {"caFile": "/tls/ca.crt", "certFile": "/tls-client/tls.crt",
                                            "keyFile": "/tls-client/tls.key"})
        managed = [m["name"] for m in ext["managedResources"]]
        self.assertEqual(managed[:5], ["nvidia.com/gpu", "nvidia.com/gpumem", "nvidia.com/gpucores",
                                       "nvidia.com/gpumem-percentage", "nvidia.com/priority"])
        for name in ("cambricon.com/vmlu", "hygon.com/dcunum", "metax-tech.com/sgpu", "amd.com/gpu",
                     "aws.amazon.com/neuron", "kunlunxin.com/vxpu", "enflame.com/drs-gcu",
                     "mthreads.com/vgpu", "vastaitech.com/va", "birentech.com/gpu"):
            self.assertIn(name, managed)
        self.assertFalse([n for n in managed if n.startswith(("huawei.com/", "iluvatar.ai/"))])
        self.assertEqual(len(managed), len(set(managed)))
        self.assertTrue(all(m["ignoredByScheduler"] for m in ext["managedResources"]))

    def test_device_config_defaults(self):
        n = device_config(self.r)["nvidia"]
        self.assertEqual(n["resourceCountName"], "nvidia.com/gpu")
        self.assertEqual(n["resourceMemoryName"], "nvidia.com/gpumem")
        self.assertEqual(n["resourceCoreName"], "nvidia.com/gpucores")
        self.assertEqual((n["deviceSplitCount"], n["deviceMemoryScaling"], n["deviceCoreScaling"]), (10, 1, 1))
        self.assertEqual((n["defaultGPUNum"], n["gpuCorePolicy"], n["libCudaLogLevel"]), (1, "default", 1))
        self.assertIs(n["disableCoreLimit"], False)
        self.assertNotIn("migProfileAllowlist", n)  # empty: every profile a MIG-mode GPU reports
        node = json.loads(self.r.file("hami-device-plugin", "config.json"))
        self.assertEqual(node["nodeconfig"][0]["operatingmode"], "hami-core")

    def test_webhook(self):
        w = self.r.get("MutatingWebhookConfiguration", "hami-webhook")["webhooks"][0]
        self.assertEqual(w["name"], "vgpu.hami.io")
        self.assertEqual(w["failurePolicy"], "Ignore")
        self.assertEqual(w["reinvocationPolicy"], "Never")
        self.assertEqual(w["sideEffects"], "None")
        self.assertEqual(w["clientConfig"]["service"],
                         {"name": "hami-scheduler", "namespace": "kube-system", "path": "/webhook", "port": 443})
        self.assertEqual(w["rules"][0]["operations"], ["CREATE"])
        ignore = {"key": "hami.io/webhook", "operator": "NotIn", "values": ["ignore"]}
        self.assertIn(ignore, w["namespaceSelector"]["matchExpressions"])
        # A tenant can label its own pod: the label does not keep pods from the isolation rules.
        self.assertEqual(w["objectSelector"], {})
        # The scheduler and device plugin pods themselves are left untouched by the webhook.
        for kind, name in (("Deployment", "hami-scheduler"), ("DaemonSet", "hami-device-plugin")):
            labels = self.r.get(kind, name)["spec"]["template"]["metadata"]["labels"]
            self.assertEqual(labels["hami.io/webhook"], "ignore")

    def test_generated_certificates(self):
        s = self.r.get("Secret", "hami-scheduler-tls")
        self.assertEqual(s["type"], "kubernetes.io/tls")
        data = {k: base64.b64decode(v).decode() for k, v in s["data"].items()}
        self.assertEqual(sorted(data), ["ca.crt", "tls.crt", "tls.key"])
        w = self.r.get("MutatingWebhookConfiguration", "hami-webhook")["webhooks"][0]
        self.assertEqual(base64.b64decode(w["clientConfig"]["caBundle"]).decode(), data["ca.crt"])
        check_serving_cert(data["ca.crt"], data["tls.crt"],
                           ["hami-scheduler.kube-system.svc", "hami-scheduler.kube-system.svc.cluster.local",
                            "localhost", "127.0.0.1"])
        # kube-scheduler's client certificate for /filter and /bind, from the same CA.
        c = self.r.get("Secret", "hami-scheduler-extender-client")
        client = {k: base64.b64decode(v).decode() for k, v in c["data"].items()}
        self.assertEqual(client["ca.crt"], data["ca.crt"])
        check_serving_cert(data["ca.crt"], client["tls.crt"], [])
        subject = openssl_text(client["tls.crt"], "-subject")
        self.assertIn("CN=hami-extender-client", subject.replace(" ", ""))

    def test_client_authentication(self):
        args = self.r.args(*SCHED)
        self.assertEqual(flag_value(args, "--extender-client-ca-file"), "/tls/ca.crt")
        self.assertEqual(flag_value(args, "--extender-client-names"), "hami-extender-client")
        self.assertIsNone(flag_value(args, "--webhook-client-ca-file"))
        mounts = {m["name"]: m["mountPath"] for m in self.r.container(*KUBE_SCHED)["volumeMounts"]}
        self.assertEqual(mounts["extender-client"], "/tls-client")
        volumes = {v["name"]: v for v in self.r.get(*SCHED[:2])["spec"]["template"]["spec"]["volumes"]}
        self.assertEqual(volumes["extender-client"]["secret"]["secretName"], "hami-scheduler-extender-client")
        self.assertIn({"key": "ca.crt", "path": "ca.crt"}, volumes["tls"]["secret"]["items"])

    def test_services(self):
        s = self.r.get("Service", "hami-scheduler")["spec"]
        self.assertEqual(s["type"], "ClusterIP")
        ports = {p["name"]: p for p in s["ports"]}
        self.assertEqual((ports["https"]["port"], ports["https"]["targetPort"]), (443, "https"))
        self.assertEqual((ports["monitor"]["port"], ports["monitor"]["targetPort"]), (31993, "metrics"))
        self.assertTrue(all("nodePort" not in p for p in s["ports"]))
        m = self.r.get("Service", "hami-device-plugin-monitor")["spec"]
        self.assertEqual(m["type"], "NodePort")
        self.assertEqual((m["ports"][0]["port"], m["ports"][0]["nodePort"]), (31992, 31992))

    def test_scheduler_security_context(self):
        pod = self.r.get("Deployment", "hami-scheduler")["spec"]["template"]["spec"]
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertNotEqual(pod["securityContext"]["runAsUser"], 0)
        for c in pod["containers"]:
            sc = c["securityContext"]
            self.assertTrue(sc["readOnlyRootFilesystem"], c["name"])
            self.assertFalse(sc["allowPrivilegeEscalation"], c["name"])
            self.assertEqual(sc["capabilities"], {"drop": ["ALL"]}, c["name"])
        self.assertNotIn("hostPath", json.dumps(pod["volumes"]))

    def test_device_plugin_pod(self):
        pod = self.r.get("DaemonSet", "hami-device-plugin")["spec"]["template"]["spec"]
        self.assertEqual(pod["nodeSelector"], {"gpu": "on"})
        for c in pod["containers"] + pod["initContainers"]:
            sc = c["securityContext"]
            self.assertFalse(sc.get("privileged", False), c["name"])
            self.assertEqual(sc["capabilities"], {"drop": ["ALL"]}, c["name"])
            self.assertTrue(sc["readOnlyRootFilesystem"], c["name"])
        host = sorted(v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v)
        self.assertEqual(host, ["/run/nvidia/mps", "/tmp/vgpulock", "/usr/local/vgpu", "/usr/local/vgpu/containers",
                                "/var/lib/kubelet/device-plugins", "/var/lib/kubelet/pod-resources"])
        mounts = {m["name"]: m for m in self.r.container(*DP)["volumeMounts"]}
        self.assertEqual((mounts["mps"]["mountPath"], mounts["mps"].get("readOnly")), ("/run/nvidia/mps", True))
        args = self.r.args(*DP)
        self.assertEqual(args[0], "hami-device-plugin")
        for flag, value in {"--config-file": "/device-config.yaml", "--node-config-file": "/config/config.json",
                            "--device-plugin-path": "/var/lib/kubelet/device-plugins", "--hook-path": "/usr/local",
                            "--mig-strategy": "none", "--disable-core-limit": "false",
                            "--device-list-strategy": "envvar", "--device-id-strategy": "uuid",
                            "--mps-root": "/run/nvidia/mps"}.items():
            self.assertEqual(flag_value(args, flag), value, flag)
        margs = self.r.args(*MON)
        self.assertEqual(margs[0], "hami-monitor")
        self.assertEqual(flag_value(margs, "--hook-path"), "/usr/local/vgpu")
        self.assertEqual(flag_value(margs, "--resync-interval"), "5m")
        self.assertNotIn("--legacy-metrics", margs)
        init = self.r.container("DaemonSet", "hami-device-plugin", "vgpu-init")
        self.assertEqual(init["command"][:2], ["/usr/local/bin/vgpu-init.sh", "/usr/local/vgpu"])

    def test_rbac_is_least_privilege(self):
        for kind in ("ClusterRole", "Role"):
            for role in self.r.all(kind):
                for rule in role["rules"]:
                    where = f"{kind}/{role['metadata']['name']} {rule}"
                    self.assertNotIn("*", rule["verbs"], where)
                    self.assertNotIn("*", rule.get("resources", []), where)
                    self.assertFalse({"secrets", "configmaps", "clusterroles", "clusterrolebindings",
                                      "roles", "rolebindings", "serviceaccounts",
                                      "mutatingwebhookconfigurations"} & set(rule.get("resources", [])), where)
                    self.assertFalse({"escalate", "bind", "impersonate"} & set(rule["verbs"]), where)
        dp = self.r.get("ClusterRole", "hami-device-plugin")["rules"]
        self.assertEqual({r["resources"][0]: r["verbs"] for r in dp}["nodes"], ["get", "patch"])


def case(values, release="hami", namespace="kube-system"):
    return render(values, release=release, namespace=namespace)


def rbac_resources(r, name="hami-scheduler"):
    """resource -> verbs over every rule of the ClusterRole (a resource in several rules: union)."""
    out = {}
    for rule in r.get("ClusterRole", name)["rules"]:
        for res in rule.get("resources", []):
            out.setdefault(res, set()).update(rule["verbs"])
    return out


class WebUiTest(unittest.TestCase):
    def test_defaults_serve_the_ui_without_auth(self):
        r = render()
        args = r.args(*SCHED)
        self.assertEqual(flag_value(args, "--webui-bind-address"), ":9396")
        self.assertEqual(flag_value(args, "--webui-auth"), "none")
        self.assertEqual(flag_value(args, "--webui-scrape-interval"), "15s")
        ports = {p["name"]: p for p in r.container(*SCHED)["ports"]}
        self.assertEqual(ports["webui"]["containerPort"], 9396)
        svc = {p["name"]: p for p in r.get("Service", "hami-scheduler")["spec"]["ports"]}
        self.assertEqual((svc["webui"]["port"], svc["webui"]["targetPort"]), (9396, "webui"))
        self.assertEqual(r.all("Ingress"), [])
        mon = {p["name"]: p for p in r.container(*MON)["ports"]}
        self.assertEqual(mon["metrics"]["hostPort"], 9394)
        res = rbac_resources(r)
        self.assertIn("list", res["events"])
        # Without the kube-scheduler side-car (which has its own reviews), auth none asks none.
        bare = rbac_resources(case({"scheduler": {"kubeScheduler": {"enabled": False}}}))
        self.assertNotIn("tokenreviews", bare)
        self.assertNotIn("subjectaccessreviews", bare)

    def test_token_auth_adds_the_reviews(self):
        r = case({"scheduler": {"kubeScheduler": {"enabled": False}, "webui": {"auth": "token"}}})
        self.assertEqual(flag_value(r.args(*SCHED), "--webui-auth"), "token")
        res = rbac_resources(r)
        self.assertEqual(res["tokenreviews"], {"create"})
        self.assertEqual(res["subjectaccessreviews"], {"create"})

    def test_ingress(self):
        r = case({"scheduler": {"webui": {"ingress": {
            "enabled": True, "className": "nginx", "host": "gpu.example.com",
            "annotations": {"a": "b"}, "tls": [{"hosts": ["gpu.example.com"], "secretName": "t"}]}}}})
        ing = r.get("Ingress", "hami-scheduler-webui")
        self.assertEqual(ing["metadata"]["annotations"], {"a": "b"})
        spec = ing["spec"]
        self.assertEqual(spec["ingressClassName"], "nginx")
        self.assertEqual(spec["tls"][0]["secretName"], "t")
        rule = spec["rules"][0]
        self.assertEqual(rule["host"], "gpu.example.com")
        backend = rule["http"]["paths"][0]["backend"]["service"]
        self.assertEqual(backend, {"name": "hami-scheduler", "port": {"name": "webui"}})

    def test_disabled(self):
        r = case({"scheduler": {"webui": {"enabled": False, "ingress": {"enabled": True}}}})
        self.assertEqual(flag_value(r.args(*SCHED), "--webui-bind-address"), "")
        self.assertNotIn("webui", {p["name"] for p in r.get("Service", "hami-scheduler")["spec"]["ports"]})
        self.assertEqual(r.all("Ingress"), [])
        self.assertNotIn("hostPort", r.container(*MON)["ports"][0])
        self.assertNotIn("list", rbac_resources(r)["events"])


class OverridesTest(unittest.TestCase):
    def test_mig_profile_allowlist(self):
        allow = [{"models": ["A100", "H100"], "profiles": ["1g.10gb", "3g.40gb"]}, {"models": ["A30"], "profiles": []}]
        r = case({"devices": {"nvidia": {"migProfileAllowlist": allow}}})
        self.assertEqual(device_config(r)["nvidia"]["migProfileAllowlist"], allow)

    def test_policies_and_flags_from_values(self):
        r = case({"scheduler": {"defaultSchedulerPolicy": {"nodeSchedulerPolicy": "spread",
                                                           "gpuSchedulerPolicy": "topology-aware"},
                                "nodeLabelSelector": {"zone": "a", "gpu": "on"},
                                "kubeQPS": 100, "kubeBurst": 200, "kubeTimeout": 20,
                                "nodeLockExpire": "2m", "forceOverwriteDefaultScheduler": False,
                                "metricsBindAddress": ":9400",
                                "extender": {"extraArgs": ["--debug"]}},
                  "schedulerName": "gpu-sched"})
        args = r.args(*SCHED)
        for flag, value in {"--node-scheduler-policy": "spread", "--gpu-scheduler-policy": "topology-aware",
                            "--node-label-selector": "gpu=on,zone=a", "--kube-qps": "100",
                            "--kube-burst": "200", "--kube-timeout": "20", "--node-lock-timeout": "2m",
                            "--force-overwrite-default-scheduler": "false", "--scheduler-name": "gpu-sched",
                            "--leader-elect-resource-name": "gpu-sched", "--metrics-bind-address": ":9400"}.items():
            self.assertEqual(flag_value(args, flag), value, flag)
        self.assertEqual(args[-1], "--debug")
        ports = {p["name"]: p["containerPort"] for p in r.container(*SCHED)["ports"]}
        self.assertEqual(ports["metrics"], 9400)
        self.assertEqual(sched_config(r)["profiles"], [{"schedulerName": "gpu-sched"}])
        env = {e["name"]: e.get("value") for e in r.container(*DP)["env"]}
        self.assertEqual(env["ENABLE_TOPOLOGY_SCORE"], "true")

    def test_no_node_lock_by_default_mounts_pod_resources(self):
        r = case({})
        self.assertEqual(flag_value(r.args(*SCHED), "--nvidia-node-lock"), "false")
        self.assertEqual(flag_value(r.args(*DP), "--node-lock"), "false")
        self.assertEqual(flag_value(r.args(*DP), "--pod-resources-socket"),
                         "/var/lib/kubelet/pod-resources/kubelet.sock")
        mounts = {m["name"]: m for m in r.container(*DP)["volumeMounts"]}
        self.assertEqual(mounts["pod-resources"]["mountPath"], "/var/lib/kubelet/pod-resources")
        self.assertTrue(mounts["pod-resources"]["readOnly"])

    def test_pod_resources_follow_a_custom_kubelet_root(self):
        r = case({"devicePlugin": {"pluginPath": "/var/lib/k0s/kubelet/device-plugins"}})
        self.assertEqual(flag_value(r.args(*DP), "--pod-resources-socket"),
                         "/var/lib/k0s/kubelet/pod-resources/kubelet.sock")
        mounts = {m["name"]: m for m in r.container(*DP)["volumeMounts"]}
        self.assertEqual(mounts["pod-resources"]["mountPath"], "/var/lib/k0s/kubelet/pod-resources")

    def test_node_lock_compatibility_mode(self):
        r = case({"nodeLock": True})
        self.assertEqual(flag_value(r.args(*SCHED), "--nvidia-node-lock"), "true")
        self.assertEqual(flag_value(r.args(*DP), "--node-lock"), "true")
        self.assertIsNone(flag_value(r.args(*DP), "--pod-resources-socket"))
        self.assertNotIn("pod-resources", {m["name"] for m in r.container(*DP)["volumeMounts"]})

    def test_webhook_values(self):
        r = case({"scheduler": {"admissionWebhook": {
            "failurePolicy": "Fail", "reinvocationPolicy": "IfNeeded", "whitelistNamespaces": ["infra", "ci"],
            "namespaceSelector": {"matchLabels": {"gpu-tenant": "yes"}},
            "objectSelector": {"matchExpressions": [{"key": "team", "operator": "Exists"}]}}}})
        w = r.get("MutatingWebhookConfiguration", "hami-webhook")["webhooks"][0]
        self.assertEqual((w["failurePolicy"], w["reinvocationPolicy"]), ("Fail", "IfNeeded"))
        self.assertIn({"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["infra", "ci"]},
                      w["namespaceSelector"]["matchExpressions"])
        self.assertEqual(w["namespaceSelector"]["matchLabels"], {"gpu-tenant": "yes"})
        self.assertEqual(w["objectSelector"]["matchExpressions"], [{"key": "team", "operator": "Exists"}])

    def test_webhook_ignore_label_as_upstream(self):
        r = case({"scheduler": {"admissionWebhook": {"objectSelector": {"ignoreLabel": True}}}})
        w = r.get("MutatingWebhookConfiguration", "hami-webhook")["webhooks"][0]
        self.assertEqual(w["objectSelector"],
                         {"matchExpressions": [{"key": "hami.io/webhook", "operator": "NotIn", "values": ["ignore"]}]})

    def test_isolation_rules_on_by_default(self):
        args = render().args(*SCHED)
        self.assertEqual([a for a in args if a.startswith("--allow-") or a.startswith("--isolation-")], [])
        self.assertEqual(flag_value(args, "--protected-host-paths"), "/dev/nvidia*,/usr/local/vgpu")

    def test_isolation_exceptions_from_values(self):
        r = case({"global": {"gpuHookPath": "/opt/hami/"},
                  "scheduler": {"admissionWebhook": {"isolation": {
                      "allowEnv": True, "allowEnvFrom": True, "allowPrivileged": True,
                      "allowHostPID": True, "allowHostIPC": True, "allowAdminCapabilities": True,
                      "allowProtectedHostPaths": True, "exemptNamespaces": ["dcgm", "debug"],
                      "extraProtectedHostPaths": ["/usr/lib/x86_64-linux-gnu/libcuda*"]}},
                      "extender": {"extraArgs": ["--debug"]}}})
        args = r.args(*SCHED)
        for flag in ("--allow-isolation-env", "--allow-env-from", "--allow-privileged", "--allow-host-pid",
                     "--allow-host-ipc", "--allow-admin-capabilities", "--allow-protected-host-paths"):
            self.assertIn(flag, args)
        self.assertEqual(flag_value(args, "--isolation-exempt-namespaces"), "dcgm,debug")
        self.assertEqual(flag_value(args, "--protected-host-paths"),
                         "/dev/nvidia*,/opt/hami/vgpu,/usr/lib/x86_64-linux-gnu/libcuda*")
        self.assertEqual(args[-1], "--debug", "extraArgs stay last")

    def test_isolation_flags_parse(self):
        """The rendered exception flags are the binary's: hami-scheduler --help lists each."""
        sched = os.environ.get("HAMI_SCHEDULER_BIN", "")
        if not os.path.exists(sched):
            self.skipTest("HAMI_SCHEDULER_BIN not built")
        r = case({"scheduler": {"admissionWebhook": {"isolation": {
            "allowEnv": True, "allowEnvFrom": True, "allowPrivileged": True, "allowHostPID": True,
            "allowHostIPC": True, "allowAdminCapabilities": True, "allowProtectedHostPaths": True,
            "exemptNamespaces": ["a"]}}}})
        text = subprocess.run([sched, "--help"], capture_output=True, text=True).stdout
        for a in r.args(*SCHED):
            if a.startswith("--allow-") or a.startswith("--isolation-") or a.startswith("--protected-"):
                self.assertIn(a.split("=")[0], text)

    def test_webhook_disabled(self):
        r = case({"scheduler": {"admissionWebhook": {"enabled": False}}})
        self.assertEqual(r.all("MutatingWebhookConfiguration"), [])
        r.get("Secret", "hami-scheduler-tls")  # still serves the extender over TLS

    def test_custom_url_in_cert(self):
        r = case({"scheduler": {"admissionWebhook": {"customURL": {"enabled": True, "host": "10.1.2.3",
                                                                   "port": 31998, "path": "/webhook"}}}})
        w = r.get("MutatingWebhookConfiguration", "hami-webhook")["webhooks"][0]
        self.assertEqual(w["clientConfig"]["url"], "https://10.1.2.3:31998/webhook")
        self.assertNotIn("service", w["clientConfig"])
        data = {k: base64.b64decode(v).decode() for k, v in r.get("Secret", "hami-scheduler-tls")["data"].items()}
        check_serving_cert(data["ca.crt"], data["tls.crt"], ["10.1.2.3", "hami-scheduler.kube-system.svc"])

    def test_node_ports(self):
        r = case({"scheduler": {"service": {"type": "NodePort"}}})
        ports = {p["name"]: p for p in r.get("Service", "hami-scheduler")["spec"]["ports"]}
        self.assertEqual(ports["https"]["nodePort"], 31998)
        self.assertEqual(ports["monitor"]["nodePort"], 31993)
        r = case({"scheduler": {"service": {"type": "NodePort", "schedulerPort": 30998, "monitorPort": 30993,
                                            "httpPort": 8443, "httpTargetPort": 10443}}})
        ports = {p["name"]: p for p in r.get("Service", "hami-scheduler")["spec"]["ports"]}
        self.assertEqual((ports["https"]["port"], ports["https"]["nodePort"]), (8443, 30998))
        self.assertEqual(flag_value(r.args(*SCHED), "--http_bind"), "0.0.0.0:10443")
        self.assertEqual(sched_config(r)["extenders"][0]["urlPrefix"], "https://127.0.0.1:10443")

    def test_replicas_behind_leader_election(self):
        r = case({"scheduler": {"replicas": 3}}, release="gpu", namespace="hami-system")
        self.assertEqual(r.get("Deployment", "gpu-hami-scheduler")["spec"]["replicas"], 3)
        c = sched_config(r, "gpu-hami-scheduler")
        self.assertTrue(c["leaderElection"]["leaderElect"])
        self.assertEqual(c["leaderElection"]["resourceName"], "gpu-hami-scheduler-kube-scheduler")
        self.assertEqual(c["leaderElection"]["resourceNamespace"], "hami-system")
        self.assertEqual(c["extenders"][0]["urlPrefix"], "https://gpu-hami-scheduler.hami-system.svc:443")
        self.assertEqual(r.get("PodDisruptionBudget", "gpu-hami-scheduler")["spec"]["minAvailable"], 1)
        pod = r.get("Deployment", "gpu-hami-scheduler")["spec"]["template"]["spec"]
        self.assertIn("podAntiAffinity", pod["affinity"])
        lease = r.get("Role", "gpu-hami-scheduler")["rules"][1]
        self.assertEqual(lease["resourceNames"], ["hami-scheduler", "gpu-hami-scheduler-kube-scheduler"])
        # Without leader election there is one replica whatever replicas says.
        r = case({"scheduler": {"replicas": 3, "leaderElect": False}})
        self.assertEqual(r.get("Deployment", "hami-scheduler")["spec"]["replicas"], 1)
        self.assertEqual(flag_value(r.args(*SCHED), "--leader-elect"), "false")

    def test_resource_names(self):
        r = case({"resourceName": "example.com/vgpu", "resourceMem": "example.com/vmem",
                  "resourceCores": "example.com/vcores", "resourceMemPercentage": "example.com/vmem-pct",
                  "resourcePriority": "example.com/prio",
                  "devicePlugin": {"deviceSplitCount": 4, "deviceMemoryScaling": 1.5, "disablecorelimit": "true",
                                   "migStrategy": "mixed", "runtimeClassName": "nvidia",
                                   "createRuntimeClass": True},
                  "devices": {"nvidia": {"gpuCorePolicy": "force", "libCudaLogLevel": 3}}})
        n = device_config(r)["nvidia"]
        self.assertEqual((n["resourceCountName"], n["resourceMemoryName"], n["resourceCoreName"]),
                         ("example.com/vgpu", "example.com/vmem", "example.com/vcores"))
        self.assertEqual((n["deviceSplitCount"], n["deviceMemoryScaling"], n["gpuCorePolicy"]), (4, 1.5, "force"))
        self.assertEqual((n["libCudaLogLevel"], n["runtimeClassName"], n["disableCoreLimit"]), (3, "nvidia", True))
        managed = [m["name"] for m in sched_config(r)["extenders"][0]["managedResources"]]
        self.assertEqual(managed[:5], ["example.com/vgpu", "example.com/vmem", "example.com/vcores",
                                       "example.com/vmem-pct", "example.com/prio"])
        args = r.args(*DP)
        self.assertEqual(flag_value(args, "--mig-strategy"), "mixed")
        self.assertEqual(flag_value(args, "--disable-core-limit"), "true")
        self.assertEqual(r.get("RuntimeClass", "nvidia")["handler"], "nvidia")
        self.assertEqual(r.get("DaemonSet", "hami-device-plugin")["spec"]["template"]["spec"]["runtimeClassName"],
                         "nvidia")

    def test_device_config_content_verbatim(self):
        content = "nvidia:\n  resourceCountName: acme.io/gpu\n  deviceSplitCount: 3\n"
        r = case({"device-config": {"content": content}})
        self.assertEqual(r.file("hami-scheduler-device", "device-config.yaml"), content.rstrip("\n"))

    def test_cert_manager(self):
        r = case({"scheduler": {"certManager": {"enabled": True}}})
        self.assertEqual(r.all("Secret"), [])
        cert = r.get("Certificate", "hami-scheduler-serving-cert")
        self.assertEqual(cert["spec"]["secretName"], "hami-scheduler-tls")
        self.assertIn("hami-scheduler.kube-system.svc", cert["spec"]["dnsNames"])
        hook = r.get("MutatingWebhookConfiguration", "hami-webhook")
        self.assertEqual(hook["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
                         "kube-system/hami-scheduler-serving-cert")
        self.assertNotIn("caBundle", hook["webhooks"][0]["clientConfig"])
        client = r.get("Certificate", "hami-scheduler-extender-client")["spec"]
        self.assertEqual((client["secretName"], client["commonName"]),
                         ("hami-scheduler-extender-client", "hami-extender-client"))
        self.assertIn("client auth", client["usages"])

    def test_device_plugin_disabled_and_monitor_options(self):
        r = case({"devicePlugin": {"enabled": False}})
        self.assertEqual(r.all("DaemonSet"), [])
        self.assertIsNone(r.find("ClusterRole", "hami-device-plugin"))
        r = case({"legacyMetrics": True, "devicePlugin": {"monitor": {"resyncInterval": "1m"},
                                                          "nodeConfiguration": {"externalConfigName": "mine"}}})
        margs = r.args(*MON)
        self.assertIn("--legacy-metrics", margs)
        self.assertIn("--legacy-metrics", r.args(*SCHED))
        self.assertEqual(flag_value(margs, "--resync-interval"), "1m")
        self.assertIsNone(r.find("ConfigMap", "hami-device-plugin"))
        vols = {v["name"]: v for v in r.get("DaemonSet", "hami-device-plugin")["spec"]["template"]["spec"]["volumes"]}
        self.assertEqual(vols["node-config"]["configMap"]["name"], "mine")

    def test_success_events_follow_the_value(self):
        self.assertNotIn("--success-events", case({}).args(*SCHED))
        self.assertIn("--success-events", case({"scheduler": {"successEvents": True}}).args(*SCHED))

    def test_images_and_pull_secrets(self):
        r = case({"global": {"imageRegistry": "reg.local:5000", "imageTag": "v9",
                             "imagePullSecrets": ["regcred"]},
                  "scheduler": {"kubeScheduler": {"image": {"tag": "v1.31.4"}}}})
        self.assertEqual(r.container(*SCHED)["image"], "reg.local:5000/hami-cpp/hami-scheduler:v9")
        self.assertEqual(r.container(*KUBE_SCHED)["image"], "reg.local:5000/kube-scheduler:v1.31.4")
        self.assertEqual(r.container(*DP)["image"], "reg.local:5000/hami-cpp/hami-device-plugin:v9")
        pod = r.get("Deployment", "hami-scheduler")["spec"]["template"]["spec"]
        self.assertEqual(pod["imagePullSecrets"], [{"name": "regcred"}])

    def test_service_monitors(self):
        r = case({"scheduler": {"serviceMonitor": {"enable": True}},  # upstream's spelling
                  "devicePlugin": {"serviceMonitor": {"enabled": True, "labels": {"release": "prom"}}}})
        self.assertEqual(r.get("ServiceMonitor", "hami-scheduler")["spec"]["endpoints"][0]["port"], "monitor")
        dp = r.get("ServiceMonitor", "hami-device-plugin")
        self.assertEqual(dp["metadata"]["labels"]["release"], "prom")
        self.assertEqual(dp["spec"]["endpoints"][0]["port"], "monitorport")

    def test_client_authentication_values(self):
        r = case({"scheduler": {"clientAuth": {"extender": False, "webhook": {
            "enabled": True, "caSecret": "apiserver-webhook-ca", "names": ["kube-apiserver", "apiserver-2"]}}}})
        args = r.args(*SCHED)
        self.assertIsNone(flag_value(args, "--extender-client-ca-file"))
        self.assertEqual(flag_value(args, "--webhook-client-ca-file"), "/webhook-client-ca/ca.crt")
        self.assertEqual(flag_value(args, "--webhook-client-names"), "kube-apiserver,apiserver-2")
        self.assertEqual(sched_config(r)["extenders"][0]["tlsConfig"], {"caFile": "/tls/ca.crt"})
        volumes = {v["name"]: v for v in r.get(*SCHED[:2])["spec"]["template"]["spec"]["volumes"]}
        self.assertNotIn("extender-client", volumes)
        self.assertEqual(volumes["webhook-client-ca"]["secret"]["secretName"], "apiserver-webhook-ca")
        mounts = {m["name"]: m["mountPath"] for m in r.container(*SCHED)["volumeMounts"]}
        self.assertEqual(mounts["webhook-client-ca"], "/webhook-client-ca")
        with self.assertRaisesRegex(RenderError, "caSecret is required"):
            case({"scheduler": {"clientAuth": {"webhook": {"enabled": True}}}})

    def test_kube_scheduler_side_car_off(self):
        r = case({"scheduler": {"kubeScheduler": {"enabled": False}}})
        names = [c["name"] for c in r.get("Deployment", "hami-scheduler")["spec"]["template"]["spec"]["containers"]]
        self.assertEqual(names, ["vgpu-scheduler-extender"])
        self.assertIsNone(r.find("ConfigMap", "hami-scheduler"))
        self.assertIsNone(r.find("RoleBinding", "hami-scheduler-auth-reader"))
        verbs = [v for rule in r.get("ClusterRole", "hami-scheduler")["rules"] for v in rule["verbs"]]
        self.assertNotIn("delete", verbs)

    def test_upstream_values_file_renders(self):
        # A values file written for upstream HAMi (keys this chart does not use are ignored).
        upstream = {"scheduler": {"patch": {"enabled": True, "image": {"repository": "x"}},
                                  "kubeScheduler": {"extraArgs": ["--policy-config-file=/config/config.json"]},
                                  "livenessProbe": True, "podAnnotations": {"a": "b"}},
                    "devicePlugin": {"passDeviceSpecsEnabled": False, "hostPIDBroker": {"enabled": False},
                                     "nvidiaDriverRoot": "auto", "gdrcopyEnabled": None},
                    "devices": {"ascend": {"enabled": False}}, "dra": {"enabled": False},
                    "mluResourceName": "cambricon.com/vmlu"}
        r = case(upstream)
        self.assertEqual(flag_value(r.args(*DP), "--pass-device-specs"), "false")
        self.assertIn("livenessProbe", r.container(*SCHED))
        self.assertEqual(r.get("Deployment", "hami-scheduler")["spec"]["template"]["metadata"]["annotations"]["a"], "b")


class VendorsTest(unittest.TestCase):
    """Every vendor's device-config block, flags and managedResources, checked against what
    hami-scheduler's own registry understands (`hami resources`, $HAMI_BIN)."""

    def test_every_vendor_block_rendered(self):
        cfg = device_config(render())
        for block in ("nvidia", "cambricon", "hygon", "metax", "enflame", "mthreads", "kunlun",
                      "awsneuron", "amd", "vastai", "biren", "iluvatars", "vnpus"):
            self.assertIn(block, cfg)
        chips = [c["commonWord"] for c in cfg["vnpus"]["configs"]]
        self.assertEqual(chips, ["Ascend910A", "Ascend910B2", "Ascend910B3", "Ascend910B4-1",
                                 "Ascend910B4", "Ascend310P", "Ascend910C"])
        self.assertEqual(cfg["mthreads"]["memoryPerCard"], [96])

    def test_gated_vendors_follow_devices_enabled(self):
        off = render()
        self.assertNotIn("--enable-ascend", off.args(*SCHED))
        on = case({"devices": {"ascend": {"enabled": True}, "iluvatar": {"enabled": True},
                               "kunlun": {"enabled": False}}})
        args = on.args(*SCHED)
        self.assertIn("--enable-ascend", args)
        self.assertIn("--enable-iluvatar", args)
        managed = [m["name"] for m in sched_config(on)["extenders"][0]["managedResources"]]
        self.assertIn("huawei.com/Ascend910B3-memory", managed)
        self.assertIn("iluvatar.ai/BI-V150-vgpu", managed)
        self.assertNotIn("kunlunxin.com/vxpu", managed)

    def test_local_plane_config_is_the_charts(self):
        r = case({"devices": {"ascend": {"enabled": True}, "iluvatar": {"enabled": True}}})
        local = os.path.join(os.path.dirname(CHART), "..", "hack", "device-config.yaml")
        with open(local) as f:
            self.assertEqual(yaml.safe_load(f), device_config(r),
                             "hack/device-config.yaml differs from the chart's rendering")

    def test_scheduler_reads_the_rendered_config_as_the_chart_manages_it(self):
        hami = os.environ.get("HAMI_BIN", "")
        self.assertTrue(os.path.exists(hami), "HAMI_BIN must name the built hami binary")
        r = case({"devices": {"ascend": {"enabled": True}, "iluvatar": {"enabled": True}}})
        managed = sorted(m["name"] for m in sched_config(r)["extenders"][0]["managedResources"])
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(r.file("hami-scheduler-device", "device-config.yaml"))
            f.flush()
            flags = [a for a in r.args(*SCHED) if a.startswith("--enable-")]
            p = subprocess.run([hami, "resources", "--config", f.name, *flags],
                               capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "", "the scheduler warns about the chart's device config")
        self.assertEqual(sorted(p.stdout.split()), managed)



class VolcanoTest(unittest.TestCase):
    """docs/integrations/volcano.md: Volcano schedules; our chart brings only the node side."""

    def test_scheduler_off_device_plugin_in_volcano_mode(self):
        r = case({"scheduler": {"enabled": False}, "devicePlugin": {"volcano": {"enabled": True}}})
        self.assertIn("--volcano", r.args(*DP))
        self.assertEqual(r.all("Deployment"), [])
        self.assertEqual(r.all("MutatingWebhookConfiguration"), [])
        self.assertIsNone(r.find("Service", "hami-scheduler"))
        self.assertIsNotNone(r.find("ConfigMap", "hami-scheduler-device"), "the device plugin reads it")
        self.assertNotIn("--volcano", case({}).args(*DP))

class NodeOnlyTest(unittest.TestCase):
    """docs/integrations/koordinator.md, kai.md: another scheduler injects HAMi-core's env."""

    def test_node_only_keeps_vgpu_init_and_the_monitor(self):
        r = case({"scheduler": {"enabled": False}, "devicePlugin": {"nodeOnly": True}})
        pod = r.get("DaemonSet", "hami-device-plugin")["spec"]["template"]["spec"]
        self.assertEqual([c["name"] for c in pod["initContainers"]], ["vgpu-init"])
        self.assertEqual([c["name"] for c in pod["containers"]], ["vgpu-monitor"])
        host = sorted(v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v)
        self.assertEqual(host, ["/tmp/vgpulock", "/usr/local/vgpu", "/usr/local/vgpu/containers"],
                         "no kubelet directory: nothing registers with the kubelet")
        self.assertEqual([v["name"] for v in pod["volumes"] if "configMap" in v], [])
        self.assertIsNone(r.find("ConfigMap", "hami-device-plugin"))
        self.assertIsNone(r.find("ConfigMap", "hami-scheduler-device"), "nothing reads it")
        self.assertEqual(rbac_resources(r, "hami-device-plugin"), {"pods": {"get", "list", "watch"}})
        self.assertEqual(r.all("Deployment"), [])
        self.assertEqual(flag_value(r.args(*MON), "--hook-path"), "/usr/local/vgpu")

    def test_node_only_is_refused_beside_our_scheduler_or_volcano(self):
        with self.assertRaisesRegex(RenderError, "needs scheduler.enabled=false"):
            case({"devicePlugin": {"nodeOnly": True}})
        with self.assertRaisesRegex(RenderError, "exclude each other"):
            case({"scheduler": {"enabled": False},
                  "devicePlugin": {"nodeOnly": True, "volcano": {"enabled": True}}})


if __name__ == "__main__":
    unittest.main(verbosity=2)
