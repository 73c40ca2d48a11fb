"""Shared plumbing of the e2e scripts in this folder (they run as `python3 <script> <env file>`).

ENV holds the plane's env file (hack/local-up.sh writes `export KEY=VALUE` lines); FAILURES collects
the names of failed checks; kubectl runs the plane's kubectl against its kubeconfig.
"""
import os
import shlex
import subprocess

ENV = {}
FAILURES = []


def load_env(path):
    for line in open(path):
        line = line.strip()
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            ENV[key] = shlex.split(value)[0] if value else ""


def kubectl(*args, input=None, check=True):
    cmd = [os.path.join(ENV["TOOLS_BIN"], "kubectl"), "--kubeconfig", ENV["KUBECONFIG"], *args]
    r = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)}: {r.stderr.strip()}")
    return r


def check(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)
    if not ok:
        FAILURES.append(name)
