"""Helpers of the chart tests: render charts/hami with helm and look at the result.

render(values, release, namespace, extra) -> Rendered, which finds objects by kind/name and reads
container args, ConfigMap files and the generated certificates. No cluster is needed.
"""
import os
import shutil
import subprocess
import tempfile

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHART = os.path.join(ROOT, "charts", "hami")
TOOLS = os.environ.get("HAMI_TOOLS_BIN", os.path.join(ROOT, "_output", "tools", "bin"))
HELM = os.path.join(TOOLS, "helm")
KUBE_VERSION = "1.32.2"


def need_tool(path):
    if not os.access(path, os.X_OK):
        raise SystemExit(f"{path} missing: run hack/build-tools.sh --chart")


class RenderError(Exception):
    pass


def helm(*args, check=True, env=None):
    need_tool(HELM)
    p = subprocess.run([HELM, *args], capture_output=True, text=True, env=env)
    if check and p.returncode != 0:
        raise RenderError(f"helm {' '.join(args)} failed ({p.returncode}):\n{p.stderr}")
    return p


def render(values=None, release="hami", namespace="kube-system", extra=()):
    """helm template with the given values (a dict, written to a temp file) -> Rendered."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(values or {}, f)
        path = f.name
    try:
        p = helm("template", release, CHART, "-n", namespace, "--kube-version", KUBE_VERSION,
                 "-f", path, *extra)
    finally:
        os.unlink(path)
    return Rendered(p.stdout)


class Rendered:
    def __init__(self, text):
        self.text = text
        self.docs = [d for d in yaml.safe_load_all(text) if d]

    def all(self, kind):
        return [d for d in self.docs if d["kind"] == kind]

    def find(self, kind, name=None):
        for d in self.docs:
            if d["kind"] == kind and (name is None or d["metadata"]["name"] == name):
                return d
        return None

    def get(self, kind, name=None):
        d = self.find(kind, name)
        if d is None:
            have = sorted(f"{x['kind']}/{x['metadata']['name']}" for x in self.docs)
            raise AssertionError(f"no {kind}/{name} rendered; have {have}")
        return d

    def container(self, kind, name, container):
        spec = self.get(kind, name)["spec"]["template"]["spec"]
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            if c["name"] == container:
                return c
        raise AssertionError(f"{kind}/{name} has no container {container}")

    def args(self, kind, name, container):
        c = self.container(kind, name, container)
        return list(c.get("command", [])) + list(c.get("args", []))

    def file(self, configmap, key):
        return self.get("ConfigMap", configmap)["data"][key]


def flag_value(args, flag):
    """Value of --flag=value in args (None when absent)."""
    for a in args:
        if a.startswith(flag + "="):
            return a[len(flag) + 1:]
    return None


def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, text=True)


def check_serving_cert(ca_pem, cert_pem, names):
    """The cert is signed by the CA and carries every DNS name / IP in names."""
    tmp = tempfile.mkdtemp()
    try:
        ca, crt = os.path.join(tmp, "ca.crt"), os.path.join(tmp, "tls.crt")
        open(ca, "w").write(ca_pem)
        open(crt, "w").write(cert_pem)
        v = openssl("verify", "-CAfile", ca, crt)
        assert v.returncode == 0, f"serving cert not signed by the CA: {v.stdout}{v.stderr}"
        text = openssl("x509", "-in", crt, "-noout", "-ext", "subjectAltName").stdout
        for n in names:
            want = f"IP Address:{n}" if n.replace(".", "").isdigit() else f"DNS:{n}"
            assert want in text, f"{want} not in the certificate's SANs: {text}"
    finally:
        shutil.rmtree(tmp)
