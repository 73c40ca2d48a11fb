"""Fast browser test of the web UI's pages against mock_api.py (made-up data, 1000 nodes): paging,
search and sort done by the API, unknown values shown as a dash, the unhealthy GPU red, the
pending pod's reason, the kubectl command copied, live updates from the stream and from polling
when the stream is not there. The real end-to-end test is webui_e2e.py.

    test/webui/run.sh test/webui/webui_mock_test.py SCREENSHOT_DIR
"""
import os
import re
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from e2e_lib import check, report, wait  # noqa: E402
from browser import Ui  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RED = "rgb(198, 40, 40)"


def start_mock():
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "mock_api.py"), "--port", "0", "--nodes", "1000"],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"(http://\S+)", line)
    if not m:
        proc.kill()
        raise RuntimeError(f"mock_api.py did not start: {line!r}")
    return proc, m.group(1)


def add_pod(base, name):
    urllib.request.urlopen(urllib.request.Request(f"{base}mock/pods?name={name}", method="POST"), timeout=5).read()


def overview(ui):
    check("overview renders", ui.show("#/") is None, ui.page.get_attribute("#view", "data-error"))
    check("overview: 2333 GPUs", ui.card("gpus")[0] == "2333", ui.card("gpus"))
    check("overview: GPUs card red (one unhealthy)",
          "bad" in (ui.page.get_attribute('[data-field="gpus"]', "class") or ""))
    check("overview: unreachable monitor named", "node-0002" in (ui.card("monitors")[1] or ""), ui.card("monitors"))
    check("overview: pending pod with its reason",
          ui.cell("default/too-big", "reasons")[1] == "3 nodes: no GPU with 200000 MiB free", ui.cell("default/too-big", "reasons"))
    ui.shot("mock-overview")


def nodes(ui):
    ui.show("#/nodes")
    keys = ui.row_keys()
    check("nodes: first page of 50 of 1000", len(keys) == 50 and keys[0] == "node-0001"
          and ui.page.get_attribute(".summary", "data-total") == "1000", (len(keys), keys[:2]))
    before = ui.renders()
    ui.page.click("text=next ›")
    ui.wait_rendered(before)
    check("nodes: next page from the API", ui.row_keys()[0] == "node-0051", ui.row_keys()[:1])
    before = ui.renders()
    ui.page.click('th[data-col="gpus"] button')
    ui.wait_rendered(before)
    before = ui.renders()
    ui.page.click('th[data-col="gpus"] button')  # again: descending
    ui.wait_rendered(before)
    first = ui.row_keys()[0]
    check("nodes: sorted by GPUs descending (page reset to 1)",
          ui.cell(first, "gpus")[0] == "4" and "page=1" in ui.page.evaluate("location.hash"), (first, ui.cell(first, "gpus")))
    before = ui.renders()
    ui.page.fill("input.search", "node-0002")
    ui.wait_rendered(before, hash_has="search=node-0002")
    check("nodes: search (one row)", ui.row_keys() == ["node-0002"], ui.row_keys())
    check("nodes: unknown used memory is a dash, not 0", ui.cell("node-0002", "memoryUsed")[1] == "—",
          ui.cell("node-0002", "memoryUsed"))
    check("nodes: unknown utilisation is a dash", ui.cell("node-0002", "utilization")[1] == "—")
    ui.show("#/nodes?search=node-0001")
    row_class = ui.page.get_attribute('tr[data-key="node-0001"]', "class") or ""
    check("nodes: node with an unhealthy GPU marked", "unhealthy" in row_class, row_class)
    ui.shot("mock-nodes")


def node_and_gpu(ui):
    ui.show("#/nodes/node-0001")
    check("node: GPU 1 unhealthy row", "unhealthy" in (ui.page.get_attribute('tr[data-key="node-0001/GPU-0001-1"]', "class") or ""))
    color = ui.page.eval_on_selector('tr[data-key="node-0001/GPU-0001-1"] .badge', "e => getComputedStyle(e).backgroundColor")
    check("node: unhealthy badge is red", color == RED, color)
    bar = ui.page.query_selector('svg.gpu-bars g.unhealthy[data-uuid="GPU-0001-1"] text.bad')
    check("node: allocation chart draws the unhealthy GPU red", bar is not None and
          bar.evaluate("e => getComputedStyle(e).fill") == RED)
    ui.shot("mock-node")
    ui.show("#/gpus/GPU-0001-0?node=node-0001")
    check("gpu: two slices", len(ui.row_keys()) == 2, ui.row_keys())
    check("gpu: slice memory granted", ui.cell("default/job-0/main", "memoryLimit") == (str(4000 << 20), "4000 MiB"),
          ui.cell("default/job-0/main", "memoryLimit"))
    d = ui.page.get_attribute("svg.history path.util", "d") or ""
    check("gpu: utilisation chart drawn", d.startswith("M") and d.count("L") == 30, d[:40])
    ui.shot("mock-gpu")
    ui.show("#/gpus/GPU-0002-0?node=node-0002")
    check("gpu without monitor: slice used is a dash", ui.cell("default/job-2/main", "utilization")[1] == "—")


def pods(ui):
    ui.show("#/pods/default/job-0")
    limit = ui.page.inner_text('[data-env="CUDA_DEVICE_MEMORY_LIMIT_0"]')
    check("pod: limits the container sees", limit == "4000m", limit)
    ui.page.click(".kubectl button.copy")
    copied = ui.page.evaluate("navigator.clipboard.readText()")
    check("pod: kubectl command copied", copied == "kubectl -n default describe pod job-0", copied)
    ui.show("#/pods/default/too-big")
    text = ui.page.inner_text('[data-field="pending"]')
    check("pod: pending reason in words", "no GPU with 200000 MiB free" in text, text)
    ui.shot("mock-pod-pending")
    ui.show("#/pending")
    check("pending view lists the pod", ui.row_keys() == ["default/too-big"], ui.row_keys())


def live(ui, base, name):
    ui.page.evaluate("window.__sameDocument = 1")
    add_pod(base, name)
    ok = wait(lambda: ui.has_row(f"default/{name}"), 15)
    check(f"live ({ui.page.get_attribute('#live', 'data-mode')}): new pod appears without reload",
          ok and ui.page.evaluate("window.__sameDocument") == 1)


def main():
    shots = sys.argv[1] if len(sys.argv) > 1 else "webui-screenshots"
    proc, base = start_mock()
    try:
        ui = Ui(base, shots)
        try:
            overview(ui)
            nodes(ui)
            node_and_gpu(ui)
            pods(ui)
            ui.show("#/pods")
            check("stream connected", ui.page.get_attribute("#live", "data-mode") == "live")
            live(ui, base, "live-sse")
            check("no script errors", not ui.errors, ui.errors)
        finally:
            ui.close()
        # No EventSource at all: the page polls every 5 s.
        ui = Ui(base, shots, init_script="delete window.EventSource")
        try:
            ui.show("#/pods")
            check("without a stream: polling", ui.page.get_attribute("#live", "data-mode") == "polling")
            live(ui, base, "live-poll")
        finally:
            ui.close()
    finally:
        proc.kill()
    print(f"screenshots: {os.path.abspath(shots)}")
    return report("web UI (mock)")


if __name__ == "__main__":
    sys.exit(main())
