#!/usr/bin/env python3
"""The layering of docs/architecture.md ("Dependency rule"), checked (ctest: layering).

Reads every `#include "..."` under src/, apps/ and sim/, maps each file to its module (its folder
under src/; src/vendor/<name>/ is vendor; src/shim/limit/ is its own module, shim/limit; apps/ and
sim/ are one module each) and fails, naming file:line and the rule, when:

  module     a module includes a module RULE does not let it reach (test files may also include
             test/: fakes and builders; nothing else may);
  cycle      headers include each other in a cycle, or modules do;
  pure       a pure layer (PURE) includes network, HTTP, gRPC, curl, TLS or stream/file I/O headers
             (tests excepted);
  owner      a library that one module wraps (OWNED: libyaml, behind codec/yaml.h) is included or
             linked by another;
  cmake      a CMakeLists.txt under src/ links (hami_library/hami_test DEPS, target_link_libraries)
             a library of a module RULE does not let it reach, or a pure layer links an I/O
             library; an apps/ executable links a hami_* library none of its sources include;
  doc-link   a relative Markdown link in README.md or docs/ names a file that does not exist;
  doc-path   a `docs/...` path in a comment under src/ or apps/ names nothing that exists.

Usage: check_layering.py [--root DIR]   (default: the checkout this script is in)
Python 3.11 standard library only. Exit status 0 when clean, 1 with findings, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

# The dependency rule: module -> modules it may include directly. A module may include what it
# reaches through these edges (the rule is layered), and itself. Keep docs/architecture.md's
# "Dependency rule" paragraph saying the same.
_SERVICE = {"k8s", "net", "vendor", "sched", "codec", "region", "gpuapi"}
RULE: dict[str, set[str]] = {
    "apps": {"extender", "webhook", "deviceplugin", "monitor", "simulate", "webui"},
    "extender": _SERVICE,
    "webhook": _SERVICE,
    "deviceplugin": _SERVICE | {"proto"},  # proto/: its generated kubelet API
    "monitor": _SERVICE,
    "simulate": _SERVICE,
    "webui": _SERVICE | {"monitor"},  # the UI reuses hami smi's cluster view and scraping
    "k8s": {"codec"},
    "net": {"base"},
    "vendor": {"sched", "codec"},
    "sched": {"model"},
    "codec": {"model"},
    "model": {"base"},
    "base": set(),
    "region": set(),  # linked into libvgpu.so: nothing else of the project
    "gpuapi": set(),  # header-only C declarations
    "shim": {"region", "shim/limit", "gpuapi", "base"},
    "shim/limit": set(),
    "sim": {"gpuapi", "base"},
    "proto": set(),
}

# Pure layers: plain functions, unit-tested and benchmarked without I/O.
PURE = {"base", "model", "codec", "sched", "region", "shim/limit"}

# What a pure layer may not include (<...> headers), with the reason named in a finding.
PURE_BANNED_HEADERS = [
    (re.compile(r"^curl/"), "curl"),
    (re.compile(r"^grpc|^grpcpp/|^google/protobuf/"), "gRPC/protobuf"),
    (re.compile(r"^httplib\.h$"), "HTTP (cpp-httplib)"),
    (re.compile(r"^openssl/"), "TLS (OpenSSL)"),
    (re.compile(r"^(sys/socket|sys/un|sys/epoll|poll|netdb|arpa/inet)\.h$|^netinet/"), "network I/O"),
    (re.compile(r"^(fstream|iostream|filesystem)$"), "stream/file I/O"),
]
# ...nor link (CMake), by target-name prefix.
PURE_BANNED_LIBS = ("CURL::", "gRPC::", "protobuf::", "OpenSSL::", "PkgConfig::CPP_HTTPLIB",
                    "hami_http_client")

# What tests may link for the fakes of test/fakes whatever their module's rule says.
TEST_FAKE_LIBS = {"hami_http_client"}

# Third-party libraries one module wraps for all the others: header prefix -> (module, CMake target).
OWNED = {"yaml.h": ("codec", "PkgConfig::LIBYAML")}

SOURCE_SUFFIXES = (".h", ".cc", ".c", ".inc", ".def")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SYSTEM_INCLUDE_RE = re.compile(r"^\s*#\s*include\s+<([^>]+)>")


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.kind}] {self.message}"


def closure(rule: dict[str, set[str]]) -> dict[str, set[str]]:
    """Every module each module may reach (itself included)."""
    out: dict[str, set[str]] = {}
    for start in rule:
        seen = {start}
        stack = [start]
        while stack:
            for nxt in rule.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        out[start] = seen
    return out


def module_of(rel: str) -> str | None:
    """The module of a repository-relative path, or None outside the checked trees."""
    parts = rel.split("/")
    if parts[0] == "src" and len(parts) >= 3:
        if parts[1] == "shim" and len(parts) >= 4 and parts[2] == "limit":
            return "shim/limit"
        return parts[1]
    if parts[0] in ("apps", "sim", "test", "fuzz", "proto") and len(parts) >= 2:
        return parts[0]
    return None


def is_test_file(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return re.search(r"_test(_util)?\.(cc|h)$", name) is not None or "/testdata/" in rel


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's SCCs (iterative) with more than one member or a self-loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.append(member)
                    if member == node:
                        break
                if len(comp) > 1 or node in graph.get(node, ()):
                    out.append(sorted(comp))
    return out


class Checker:
    def __init__(self, root: Path):
        self.root = root
        self.findings: list[Finding] = []
        self.allowed = closure(RULE)
        # file -> [(line, included path as written, resolved repo-relative path or None)]
        self.includes: dict[str, list[tuple[int, str, str | None]]] = {}
        self.system_includes: dict[str, list[tuple[int, str]]] = {}

    def add(self, file: str, line: int, kind: str, message: str) -> None:
        self.findings.append(Finding(file, line, kind, message))

    # --- reading -------------------------------------------------------------------------------

    def sources(self, *tops: str) -> list[str]:
        out = []
        for top in tops:
            base = self.root / top
            if not base.is_dir():
                continue
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.endswith(SOURCE_SUFFIXES):
                        out.append((Path(dirpath) / name).relative_to(self.root).as_posix())
        return out

    def resolve(self, including: str, written: str) -> str | None:
        here = Path(including).parent
        for candidate in (here / written, Path("src") / written, Path(written)):
            if (self.root / candidate).is_file():
                return os.path.normpath(candidate.as_posix())
        return None

    def read(self) -> None:
        for rel in self.sources("src", "apps", "sim"):
            quoted, system = [], []
            text = (self.root / rel).read_text(encoding="utf-8", errors="replace")
            for number, line in enumerate(text.splitlines(), 1):
                if m := INCLUDE_RE.match(line):
                    quoted.append((number, m.group(1), self.resolve(rel, m.group(1))))
                elif m := SYSTEM_INCLUDE_RE.match(line):
                    system.append((number, m.group(1)))
            self.includes[rel] = quoted
            self.system_includes[rel] = system

    def target_module(self, rel: str, written: str, resolved: str | None) -> str | None:
        if resolved is not None:
            return module_of(resolved)
        first = written.split("/", 1)[0]
        if first in ("proto", "test", "fuzz", "apps", "sim"):
            return first
        return module_of("src/" + written)  # generated or missing: by the path as written

    # --- checks --------------------------------------------------------------------------------

    def check_modules(self) -> None:
        edges: dict[str, set[str]] = {}
        first_edge: dict[tuple[str, str], tuple[str, int]] = {}
        for rel, includes in self.includes.items():
            mod = module_of(rel)
            if mod is None:
                continue
            for number, written, resolved in includes:
                target = self.target_module(rel, written, resolved)
                if target is None or target == mod:
                    continue
                if target == "test":
                    if not is_test_file(rel):
                        self.add(rel, number, "module",
                                 f'"{written}": only tests include test/ (fakes, builders)')
                    continue
                edges.setdefault(mod, set()).add(target)
                first_edge.setdefault((mod, target), (rel, number))
                if mod not in RULE:
                    self.add(rel, number, "module", f"module {mod} is not in the rule")
                elif target not in self.allowed[mod]:
                    self.add(rel, number, "module",
                             f'{mod} may not include {target} ("{written}"): {mod} reaches only '
                             f"{{{', '.join(sorted(self.allowed[mod] - {mod}))}}}")
        for comp in strongly_connected(edges):
            a = comp[0]
            b = next(t for t in comp[1:] + comp if t in edges.get(a, ()))
            file, number = first_edge[(a, b)]
            self.add(file, number, "cycle", f"module cycle: {' <-> '.join(comp)}")

    def check_header_cycles(self) -> None:
        graph: dict[str, set[str]] = {}
        where: dict[tuple[str, str], int] = {}
        for rel, includes in self.includes.items():
            if not rel.endswith(".h"):
                continue
            for number, _, resolved in includes:
                if resolved and resolved.endswith(".h"):
                    graph.setdefault(rel, set()).add(resolved)
                    where.setdefault((rel, resolved), number)
        for comp in strongly_connected(graph):
            a = comp[0]
            b = next(t for t in comp if t in graph.get(a, ()))
            self.add(a, where[(a, b)], "cycle", f"include cycle: {' -> '.join(comp + [a])}")

    def check_pure(self) -> None:
        for rel, system in self.system_includes.items():
            mod = module_of(rel)
            if mod not in PURE or is_test_file(rel):
                continue
            for number, header in system:
                for pattern, what in PURE_BANNED_HEADERS:
                    if pattern.search(header):
                        self.add(rel, number, "pure",
                                 f"<{header}>: {mod} is a pure layer and includes no {what}")

    def check_owned(self) -> None:
        for rel, system in self.system_includes.items():
            mod = module_of(rel)
            for number, header in system:
                for prefix, (owner, _) in OWNED.items():
                    if header.startswith(prefix) and mod != owner:
                        self.add(rel, number, "owner",
                                 f"<{header}>: only {owner} uses {prefix.rstrip('/')}; include "
                                 f"{owner}/ instead")

    # --- CMake ---------------------------------------------------------------------------------

    @staticmethod
    def cmake_calls(text: str, names: tuple[str, ...]):
        """(command, line, argument tokens) of each call of `names` in CMake `text`."""
        text = re.sub(r"#[^\n]*", "", text)
        pattern = re.compile(r"\b(" + "|".join(names) + r")\s*\(")
        for m in pattern.finditer(text):
            depth, i = 1, m.end()
            while i < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            args = text[m.end():i - 1]
            yield m.group(1), text.count("\n", 0, m.start()) + 1, args.split()

    def cmake_targets(self) -> dict[str, str]:
        """hami_* library target -> module, from every CMakeLists.txt under src/."""
        targets = {}
        for cm in sorted((self.root / "src").rglob("CMakeLists.txt")):
            rel = cm.relative_to(self.root).as_posix()
            mod = module_of(rel)
            for cmd, _, args in self.cmake_calls(cm.read_text(), ("hami_library", "add_library")):
                if not args:
                    continue
                name = "hami_" + args[0] if cmd == "hami_library" else args[0]
                targets[name] = mod
        return targets

    def check_cmake(self) -> None:
        targets = self.cmake_targets()
        keywords = {"SRCS", "DEPS", "LABELS", "ENV", "TIMEOUT", "PRIVATE", "PUBLIC", "INTERFACE"}
        for cm in sorted((self.root / "src").rglob("CMakeLists.txt")):
            rel = cm.relative_to(self.root).as_posix()
            mod = module_of(rel)
            if mod is None or mod not in RULE:
                continue
            calls = ("hami_library", "hami_test", "target_link_libraries")
            for cmd, number, args in self.cmake_calls(cm.read_text(), calls):
                if cmd == "target_link_libraries":
                    deps = [a for a in args[1:] if a not in keywords]
                elif "DEPS" in args:
                    deps = []
                    for a in args[args.index("DEPS") + 1:]:
                        if a in keywords:
                            break
                        deps.append(a)
                else:
                    deps = []
                for dep in deps:
                    # The fakes in test/fakes serve HTTP through cpp-httplib; a test of any
                    # non-pure module may link that client library for them.
                    if cmd == "hami_test" and dep in TEST_FAKE_LIBS and mod not in PURE:
                        continue
                    for owner, lib in OWNED.values():
                        if dep == lib and mod != owner:
                            self.add(rel, number, "owner",
                                     f"{args[0]} links {dep}: only {owner} links it")
                    if mod in PURE and dep.startswith(PURE_BANNED_LIBS):
                        self.add(rel, number, "cmake",
                                 f"{args[0]} links {dep}: {mod} is a pure layer and links no I/O")
                    target = targets.get(dep)
                    if target is not None and target not in self.allowed[mod]:
                        self.add(rel, number, "cmake",
                                 f"{args[0]} links {dep} ({target}): {mod} may not depend on "
                                 f"{target}")
        self.check_app_links(targets)

    def app_modules(self, source: str, seen: set[str]) -> set[str]:
        """Modules `source` (apps/...) includes, following apps/ headers."""
        if source in seen:
            return set()
        seen.add(source)
        mods = set()
        for _, written, resolved in self.includes.get(source, ()):
            target = self.target_module(source, written, resolved)
            if target == "apps" and resolved:
                mods |= self.app_modules(resolved, seen)
                cc = resolved[:-2] + ".cc"
                mods |= self.app_modules(cc, seen) if cc in self.includes else set()
            elif target:
                mods.add(target)
        if any(h == "httplib.h" for _, h in self.system_includes.get(source, ())):
            mods.add("httplib")
        return mods

    def check_app_links(self, targets: dict[str, str]) -> None:
        cm = self.root / "apps" / "CMakeLists.txt"
        if not cm.is_file():
            return
        text = cm.read_text()
        sources: dict[str, list[str]] = {}
        for _, _, args in self.cmake_calls(text, ("add_executable",)):
            sources[args[0]] = [f"apps/{a}" for a in args[1:] if a.endswith((".cc", ".c"))]
        for _, number, args in self.cmake_calls(text, ("target_link_libraries",)):
            exe = args[0]
            if exe not in sources:
                continue
            used: set[str] = set()
            for src in sources[exe]:
                used |= self.app_modules(src, set())
            for dep in args[1:]:
                if dep == "hami_http_client":
                    needed = "httplib"
                elif dep in targets:
                    needed = targets[dep]
                else:
                    continue
                if needed not in used:
                    self.add("apps/CMakeLists.txt", number, "cmake",
                             f"{exe} links {dep} but none of its sources include {needed}/")

    # --- documents -----------------------------------------------------------------------------

    MD_LINK_RE = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
    MD_REF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
    DOCS_PATH_RE = re.compile(r"(?<![\w/.-])docs/[\w./-]*[\w-]/?")

    def check_markdown(self) -> None:
        files = [self.root / "README.md"] if (self.root / "README.md").is_file() else []
        if (self.root / "docs").is_dir():
            files += sorted((self.root / "docs").rglob("*.md"))
        for md in files:
            rel = md.relative_to(self.root).as_posix()
            fenced = False
            for number, line in enumerate(md.read_text(encoding="utf-8").splitlines(), 1):
                if line.lstrip().startswith(("```", "~~~")):
                    fenced = not fenced
                    continue
                if fenced:
                    continue
                line = re.sub(r"`[^`]*`", "", line)  # code spans are not links
                links = [m.group(1) for m in self.MD_LINK_RE.finditer(line)]
                if m := self.MD_REF_RE.match(line):
                    links.append(m.group(1))
                for link in links:
                    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", link) or link.startswith("#"):
                        continue  # a URL, mailto:, or an anchor in this page
                    target = link.split("#", 1)[0].split("?", 1)[0]
                    path = (md.parent / target) if not target.startswith("/") else \
                        (self.root / target.lstrip("/"))
                    if not path.exists():
                        self.add(rel, number, "doc-link", f"link to {link}: no such file")

    def check_doc_paths(self) -> None:
        for rel in self.sources("src", "apps"):
            text = (self.root / rel).read_text(encoding="utf-8", errors="replace")
            for number, line in enumerate(text.splitlines(), 1):
                for m in self.DOCS_PATH_RE.finditer(line):
                    path = m.group(0).rstrip(".")
                    if not (self.root / path).exists():
                        self.add(rel, number, "doc-path", f"{path}: no such file in the repository")

    def run(self) -> list[Finding]:
        self.read()
        self.check_modules()
        self.check_header_cycles()
        self.check_pure()
        self.check_owned()
        self.check_cmake()
        self.check_markdown()
        self.check_doc_paths()
        return sorted(set(self.findings), key=lambda f: (f.file, f.line, f.kind, f.message))


def check_rule_is_acyclic() -> list[str]:
    return [f"RULE has a cycle: {' <-> '.join(c)}" for c in strongly_connected(RULE)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)
    if not (args.root / "src").is_dir():
        print(f"{args.root}: no src/ here", file=sys.stderr)
        return 2
    problems = check_rule_is_acyclic()
    for p in problems:
        print(p)
    findings = Checker(args.root).run()
    for f in findings:
        print(f)
    if problems or findings:
        print(f"layering: {len(problems) + len(findings)} finding(s) "
              "(the rule: hack/check_layering.py RULE, docs/architecture.md)")
        return 1
    print("layering: clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
