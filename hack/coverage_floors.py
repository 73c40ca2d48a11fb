#!/usr/bin/env python3
"""Line coverage per component from `llvm-cov export -summary-only` (stdin), against the floors file.

Usage: coverage_floors.py SOURCE_ROOT FLOORS_FILE. A component is src/<folder>, sim or apps.
Prints a table, "COVERAGE FLOOR: <component> <measured>% < <floor>%" for each component below its
floor (or without one), and "coverage: N of M components at or above their floors"; exits 1 on any.
"""
import json
import os
import sys


def component(path, root):
    rel = os.path.relpath(os.path.normpath(path), root)
    parts = rel.split(os.sep)
    if parts[0] == "src" and len(parts) > 2:
        return "src/" + parts[1]
    if parts[0] in ("sim", "apps") and len(parts) > 1:
        return parts[0]
    return None


def main():
    root, floors_path = sys.argv[1], sys.argv[2]
    floors = {}
    with open(floors_path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                floors[line[0]] = float(line[1].rstrip("%"))
    lines = {}
    for data in json.load(sys.stdin)["data"]:
        for entry in data["files"]:
            name = component(entry["filename"], root)
            if name is None:
                continue
            summary = entry["summary"]["lines"]
            covered, count = lines.get(name, (0, 0))
            lines[name] = (covered + summary["covered"], count + summary["count"])
    failures = []
    failed = set()
    print(f"{'component':<18} {'lines':>7} {'covered':>8} {'floor':>7}")
    for name in sorted(lines):
        covered, count = lines[name]
        if count == 0:  # headers of declarations only (src/gpuapi)
            continue
        percent = 100.0 * covered / count if count else 100.0
        floor = floors.get(name)
        print(f"{name:<18} {count:>7} {percent:>7.1f}% {'-' if floor is None else f'{floor:g}%':>7}")
        if floor is None:
            failures.append(f"COVERAGE FLOOR: {name} {percent:.1f}% has no floor in {floors_path}")
            failed.add(name)
        elif percent < floor:
            failures.append(f"COVERAGE FLOOR: {name} {percent:.1f}% < {floor:g}%")
            failed.add(name)
    for name in sorted(set(floors) - {n for n, (_, count) in lines.items() if count}):
        failures.append(f"COVERAGE FLOOR: {name} has a floor but no code was measured")
    for line in failures:
        print(line)
    total = sum(1 for covered, count in lines.values() if count)
    print(f"coverage: {total - len(failed)} of {total}"
          " components at or above their floors")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
