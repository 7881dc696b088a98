"""A real OpenSearch node for the tests, started from Maven Central's jars by the
project's launcher (.ci/opensearch/launch.py), and the shared corpus built into it.

Never a fake: if the node cannot start (no Java, no Maven, no network to resolve the jars
on a first run), the tests that need it fail and say why.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = ROOT / ".ci" / "opensearch" / "launch.py"


def launcher() -> ModuleType:
    """Return .ci/opensearch/launch.py as a module (it is a script, not a package)."""
    name = "opensearch_launch"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, LAUNCHER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
