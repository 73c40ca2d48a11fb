"""deploy/*/Dockerfile: hadolint (strictest threshold) passes, hadolint does flag a known-bad
Dockerfile (the linter really runs), and the images hold what the chart runs: every command the
rendered chart starts is installed by the image it names, and every ninja target the Dockerfiles
build is a CMake target of the project."""
import os
import re
import subprocess
import tempfile
import unittest

from chartlib import ROOT, TOOLS, need_tool, render

HADOLINT = os.path.join(TOOLS, "hadolint")
DOCKERFILES = {"scheduler": os.path.join(ROOT, "deploy", "scheduler", "Dockerfile"),
               "device-plugin": os.path.join(ROOT, "deploy", "device-plugin", "Dockerfile")}


def read(path):
    with open(path) as f:
        return f.read()


def hadolint(path):
    need_tool(HADOLINT)
    return subprocess.run([HADOLINT, "--no-color", "--failure-threshold", "style", path],
                          capture_output=True, text=True)


def installed_paths(dockerfile):
    """Absolute paths the final stage puts in the image (COPY/ADD destinations and /rootfs files)."""
    text = read(dockerfile)
    final = text[text.rfind("\nFROM "):]
    paths = set(re.findall(r"^(?:COPY|ADD)\s+(?:--\S+\s+)*\S+\s+(/\S+)$", final, re.M))
    if "COPY --from=build /rootfs/ /" in final:
        for binary in re.findall(r"cp ((?:/out/bin/\S+ ?)+) /rootfs/usr/local/bin/", text):
            paths |= {"/usr/local/bin/" + os.path.basename(b) for b in binary.split()}
    return paths


class DockerfileTest(unittest.TestCase):
    def test_hadolint_clean(self):
        for name, path in DOCKERFILES.items():
            p = hadolint(path)
            self.assertEqual(p.returncode, 0, f"{name}: {p.stdout}{p.stderr}")

    def test_hadolint_flags_bad_dockerfile(self):
        with tempfile.NamedTemporaryFile("w", suffix=".Dockerfile", delete=False) as f:
            f.write("FROM debian:latest\nRUN apt-get update && apt-get install curl\nRUN cd /tmp && make\n")
        try:
            p = hadolint(f.name)
        finally:
            os.unlink(f.name)
        self.assertNotEqual(p.returncode, 0)
        for rule in ("DL3007", "DL3014", "DL3003"):
            self.assertIn(rule, p.stdout)

    def test_images_hold_what_the_chart_runs(self):
        r = render()
        sched = installed_paths(DOCKERFILES["scheduler"])
        dp = installed_paths(DOCKERFILES["device-plugin"])
        self.assertIn("/usr/local/bin/kube-scheduler", sched)
        pods = [("Deployment", "hami-scheduler", "vgpu-scheduler-extender", sched),
                ("DaemonSet", "hami-device-plugin", "device-plugin", dp),
                ("DaemonSet", "hami-device-plugin", "vgpu-monitor", dp),
                ("DaemonSet", "hami-device-plugin", "vgpu-init", dp)]
        for kind, name, container, paths in pods:
            cmd = r.args(kind, name, container)[0]
            path = cmd if cmd.startswith("/") else "/usr/local/bin/" + cmd
            self.assertIn(path, paths, f"{container} runs {cmd}, which its image does not install")
        self.assertIn("/usr/local/share/hami/vgpu/libvgpu.so", dp)

    def test_built_targets_exist(self):
        cmake = ""
        for d, _, files in os.walk(os.path.join(ROOT, "src")):
            if "CMakeLists.txt" in files:
                cmake += read(os.path.join(d, "CMakeLists.txt"))
        cmake += read(os.path.join(ROOT, "apps", "CMakeLists.txt"))
        targets = set(re.findall(r"add_(?:executable|library)\(\s*([\w-]+)", cmake))
        for path in DOCKERFILES.values():
            for line in re.findall(r"ninja -C /build ([\w\- ]+)", read(path)):
                for target in line.split():
                    self.assertIn(target, targets, f"{path}: ninja target {target} is not a CMake target")


if __name__ == "__main__":
    unittest.main(verbosity=2)
