#!/usr/bin/env python3
"""hami-monitor cost with N containers: scrape latency of /metrics and CPU per discovery/feedback
round. Writes N v1 region files (sparse, 4 live processes on 1 GPU each) under a temporary hook
path, runs hami-monitor (no API server; simulated NVML with 8 GPUs), scrapes /metrics 30 times and
reads the monitor's CPU time (/proc/<pid>/stat) over a number of rounds.

Usage: monitor_bench.py HAMI_MONITOR_BIN SIM_LIBDIR [N ...]   (default N: 10 100 500)"""
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

V1_SIZE = 2008952
PROCS, SLOT = 1856, 1960


def write_region(path, uuid, procs=4):
    with open(path, "wb") as f:
        f.truncate(V1_SIZE + 1)
        f.seek(0)
        f.write(struct.pack("<iII", 19920718, 1, 2))
        f.seek(56)
        f.write(struct.pack("<Q", 1))
        f.seek(64)
        f.write(uuid.encode().ljust(96, b"\0"))
        f.seek(1600)
        f.write(struct.pack("<Q", 4 << 30))
        for i in range(procs):
            base = PROCS + i * SLOT
            f.seek(base)
            f.write(struct.pack("<ii", 1000 + i, 0))
            f.seek(base + 8)
            f.write(struct.pack("<5Q", 1 << 20, 0, 100 << 20, 0, 101 << 20))
            f.seek(base + 1928)
            f.write(struct.pack("<i", 1))
        f.seek(2008896)
        f.write(struct.pack("<iiii", procs, 1, 2, 1))


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(binary, libdir, n):
    work = tempfile.mkdtemp(prefix="hami-monitor-bench-")
    for i in range(n):
        d = os.path.join(work, "containers", f"pod-{i:05d}_main")
        os.makedirs(d)
        write_region(os.path.join(d, "vgpu.cache"), f"GPU-{i % 8:08d}-1111-2222-3333-444444444444")
    env = {"PATH": "/usr/bin:/bin", "HOME": work, "LD_LIBRARY_PATH": libdir,
           "HAMI_SIM_GPUS": "8xA100-40GB", "HAMI_SIM_STATE": os.path.join(work, "sim.state")}
    log = os.path.join(work, "monitor.log")
    interval = 1.0
    p = subprocess.Popen([binary, "--hook-path", work, "--metrics-bind-address", "127.0.0.1:0",
                          "--node-name", "bench", "--feedback-interval", "1s"],
                         env=env, stderr=open(log, "w"), stdout=subprocess.DEVNULL)
    try:
        port = None
        for _ in range(200):
            m = re.search(r'msg="serving metrics".* port=(\d+)', open(log).read())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/metrics"
        time.sleep(1.5)
        lat, size = [], 0
        for _ in range(30):
            t = time.perf_counter()
            body = urllib.request.urlopen(url, timeout=10).read()
            lat.append((time.perf_counter() - t) * 1000)
            size = len(body)
        # CPU of rounds alone (no scrapes) over 10 rounds.
        c0, t0 = cpu_seconds(p.pid), time.time()
        time.sleep(10 * interval)
        c1, t1 = cpu_seconds(p.pid), time.time()
        text = urllib.request.urlopen(url, timeout=10).read().decode()
        scan = float(re.search(r"hami_monitor_scan_duration_seconds\{[^}]*\} (\S+)", text).group(1))
        series = sum(1 for l in text.splitlines() if l.startswith("hami_vgpu_memory_used_bytes{"))
        lat.sort()
        print(f"N={n:4d} series={series:4d} body={size/1024:7.1f} KiB  scrape p50={statistics.median(lat):6.2f} ms "
              f"p95={lat[int(len(lat)*0.95)-1]:6.2f} ms  round={scan*1000:6.2f} ms  "
              f"CPU/round={(c1-c0)/((t1-t0)/interval)*1000:6.2f} ms", flush=True)
    finally:
        p.terminate()
        p.wait()
        shutil.rmtree(work, ignore_errors=True)


def main():
    binary, libdir = sys.argv[1], sys.argv[2]
    for n in [int(x) for x in sys.argv[3:]] or [10, 100, 500]:
        run(binary, libdir, n)


if __name__ == "__main__":
    main()
