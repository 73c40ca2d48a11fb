#!/usr/bin/env python3
"""Self-test of hack/check_layering.py (ctest: layering_selftest): small trees, one clean and one per
kind of violation, so the checker cannot pass by finding nothing. Python 3.11 standard library."""

from __future__ import annotations

import sys
import tempfile
import unittest
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_layering  # noqa: E402

# A tree that obeys the rule: a pure core, a service above it, an app, a CMake file, documents.
CLEAN = {
    "src/base/status.h": "#pragma once\n#include <string>\n",
    "src/model/reason.h": '#pragma once\n#include "base/status.h"\n',
    "src/codec/yaml.h": '#pragma once\n#include "model/reason.h"\n',
    "src/codec/yaml.cc": '#include "codec/yaml.h"\n#include <yaml.h>\n',
    "src/codec/CMakeLists.txt": "hami_library(codec SRCS yaml.cc DEPS hami_model PkgConfig::LIBYAML)\n",
    "src/model/CMakeLists.txt": "hami_library(model SRCS reason.cc DEPS hami_base)\n",
    "src/base/CMakeLists.txt": "hami_library(base SRCS status.cc)\n",
    "src/webhook/CMakeLists.txt": "hami_library(webhook SRCS handler.cc DEPS hami_codec)\n",
    "src/extender/CMakeLists.txt": "# DEPS hami_webhook in a comment is no dependency\n"
                                   "hami_library(extender SRCS service.cc DEPS hami_codec)\n",
    "src/extender/service.h": '#pragma once\n#include "codec/yaml.h"\n// docs/scheduler.md\n',
    "src/extender/service_test.cc": '#include "extender/service.h"\n#include "test/fakes/f.h"\n',
    "src/webhook/handler.h": '#pragma once\n#include "codec/yaml.h"\n',
    "src/shim/limit/budget.h": "#pragma once\n#include <atomic>\n",
    "src/shim/runtime.h": '#pragma once\n#include "shim/limit/budget.h"\n#include "region/r.h"\n',
    "src/region/r.h": "#pragma once\n#include <sys/mman.h>\n",
    "src/region/region_test.cc": "#include <fstream>\n",
    "apps/hami_scheduler_main.cc": '#include "extender/service.h"\n#include "webhook/handler.h"\n',
    "apps/CMakeLists.txt": "add_executable(hami-scheduler hami_scheduler_main.cc)\n"
                           "target_link_libraries(hami-scheduler PRIVATE hami_extender hami_webhook"
                           " CLI11::CLI11)\n",
    "test/fakes/f.h": "#pragma once\n",
    "README.md": "See [the scheduler](docs/scheduler.md#filter) and [web](https://example.com).\n"
                 "`[not a link](nowhere.md)`\n\n```\n[in a fence](nowhere.md)\n```\n",
    "docs/scheduler.md": "# Scheduler\n[back](../README.md), [here](#scheduler)\n\n[ref]: scheduler.md\n",
}


class CheckLayeringTest(unittest.TestCase):
    def run_on(self, changes: dict[str, str | None]) -> list[check_layering.Finding]:
        files = dict(CLEAN)
        for path, text in changes.items():
            if text is None:
                files.pop(path, None)
            else:
                files[path] = text
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for path, text in files.items():
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_text(text)
            return check_layering.Checker(root).run()

    def assertOne(self, changes, kind: str, file: str, line: int, text: str) -> None:
        findings = self.run_on(changes)
        matching = [f for f in findings if f.kind == kind]
        self.assertTrue(matching, f"no [{kind}] finding; got {findings}")
        self.assertIn((file, line), [(f.file, f.line) for f in matching], findings)
        self.assertTrue(any(text in f.message for f in matching), findings)

    def test_clean_tree_is_clean(self):
        self.assertEqual(self.run_on({}), [])

    def test_the_repository_rule_is_acyclic(self):
        self.assertEqual(check_layering.check_rule_is_acyclic(), [])
        self.assertNotIn("webhook", check_layering.closure(check_layering.RULE)["extender"])

    def test_extender_including_the_webhook(self):
        self.assertOne({"src/extender/service.cc": '#include "extender/service.h"\n'
                                                   '#include "webhook/handler.h"\n'},
                       "module", "src/extender/service.cc", 2, "extender may not include webhook")

    def test_lower_layer_including_a_higher_one(self):
        self.assertOne({"src/model/bad.h": '#pragma once\n#include "codec/yaml.h"\n'},
                       "module", "src/model/bad.h", 2, "model may not include codec")

    def test_test_headers_only_from_tests(self):
        self.assertOne({"src/extender/x.cc": '#include "test/fakes/f.h"\n'},
                       "module", "src/extender/x.cc", 1, "only tests include test/")

    def test_header_cycle(self):
        self.assertOne({"src/codec/a.h": '#pragma once\n#include "codec/b.h"\n',
                        "src/codec/b.h": '#pragma once\n#include "a.h"\n'},
                       "cycle", "src/codec/a.h", 2, "include cycle: src/codec/a.h -> src/codec/b.h")

    def test_module_cycle(self):
        findings = self.run_on({"src/base/up.h": '#pragma once\n#include "model/reason.h"\n'})
        self.assertTrue(any(f.kind == "cycle" and "module cycle: base <-> model" in f.message
                            for f in findings), findings)

    def test_pure_layer_with_io(self):
        self.assertOne({"src/codec/net.cc": "#include <curl/curl.h>\n"},
                       "pure", "src/codec/net.cc", 1, "includes no curl")
        self.assertOne({"src/shim/limit/log.cc": "#include <vector>\n#include <fstream>\n"},
                       "pure", "src/shim/limit/log.cc", 2, "stream/file I/O")
        self.assertOne({"src/sched/x.h": "#include <grpcpp/grpcpp.h>\n"},
                       "pure", "src/sched/x.h", 1, "gRPC")

    def test_libyaml_only_in_codec(self):
        self.assertOne({"src/webhook/y.cc": "#include <yaml.h>\n"},
                       "owner", "src/webhook/y.cc", 1, "only codec uses yaml.h")
        self.assertOne({"src/webhook/CMakeLists.txt":
                        "hami_library(webhook SRCS handler.cc DEPS hami_codec PkgConfig::LIBYAML)\n"},
                       "owner", "src/webhook/CMakeLists.txt", 1, "only codec links it")

    def test_cmake_deps_obey_the_rule(self):
        self.assertOne({"src/extender/CMakeLists.txt":
                        "hami_library(extender SRCS service.cc\n  DEPS hami_codec hami_webhook)\n"},
                       "cmake", "src/extender/CMakeLists.txt", 1, "may not depend on webhook")
        self.assertOne({"src/codec/CMakeLists.txt":
                        "hami_library(codec SRCS yaml.cc DEPS hami_model CURL::libcurl)\n"},
                       "cmake", "src/codec/CMakeLists.txt", 1, "links no I/O")

    def test_app_links_what_it_does_not_include(self):
        self.assertOne({"apps/CMakeLists.txt":
                        "add_executable(hami-scheduler hami_scheduler_main.cc)\n"
                        "target_link_libraries(hami-scheduler PRIVATE hami_extender hami_webhook\n"
                        "  hami_codec)\n"},
                       "cmake", "apps/CMakeLists.txt", 2, "links hami_codec but none")

    def test_broken_markdown_link(self):
        self.assertOne({"docs/scheduler.md": "# S\n\nSee [gone](wire/gone.md#x).\n"},
                       "doc-link", "docs/scheduler.md", 3, "wire/gone.md")
        self.assertOne({"README.md": "[ref]: docs/gone.md\n"},
                       "doc-link", "README.md", 1, "docs/gone.md")

    def test_docs_path_in_a_comment(self):
        self.assertOne({"src/codec/yaml.h": '#pragma once\n#include "model/reason.h"\n'
                                            "// See docs/wire/yaml.md.\n"},
                       "doc-path", "src/codec/yaml.h", 3, "docs/wire/yaml.md")


if __name__ == "__main__":
    unittest.main(verbosity=1)
