"""The error tree: every exception class defined in services/ and shared/ roots at TrtError, and the
tree drawn in shared/errors.py is the one in the code."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import services
import shared
import shared.errors
from shared.errors import TrtError

TREE_LINE = re.compile(r"^\s{4}(?P<indent>(?:[│ ]   )*)[├└]── (?P<name>\w+)")


def project_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of services/ or shared/, by name (imports them all)."""
    found: dict[str, type[BaseException]] = {}
    for package in (services, shared):
        for module_info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if module_info.name.endswith("__main__"):
                continue  # running a program is not importing it
            module = importlib.import_module(module_info.name)
            found.update(_exceptions_of(module.__name__, vars(module)))
    return found


def _exceptions_of(module: str, namespace: dict[str, object]) -> dict[str, type[BaseException]]:
    return {
        name: value
        for name, value in namespace.items()
        if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module
    }


def drawn_tree() -> dict[str, str]:
    """The drawing in shared/errors.py's docstring: each class name mapped to its drawn parent."""
    parents: dict[str, str] = {}
    stack = ["TrtError"]
    for line in (shared.errors.__doc__ or "").splitlines():
        match = TREE_LINE.match(line)
        if match:
            depth = len(match["indent"]) // 4 + 1
            del stack[depth:]
            parents[match["name"]] = stack[-1]
            stack.append(match["name"])
    return parents


class TestErrorTree:
    def test_the_walk_finds_the_project_exceptions(self) -> None:
        """The walk sees classes from programs and from shared/ (it cannot pass by finding nothing)."""
        found = project_exceptions()
        assert {"ConfigError", "HandlerFailed", "ProtocolError", "LedgerError", "KieError"} <= set(found)
        assert len(found) > 60

    def test_every_exception_roots_at_trt_error(self) -> None:
        """Each exception class TRT defines is a TrtError."""
        outside = [name for name, cls in project_exceptions().items() if not issubclass(cls, TrtError)]
        assert outside == []

    def test_every_drawn_class_has_its_drawn_parent(self) -> None:
        """Each class in the drawing exists and derives directly from the class drawn above it."""
        found = project_exceptions() | {"TrtError": TrtError}
        for name, parent in drawn_tree().items():
            assert name in found, f"{name} is drawn but not defined"
            assert found[parent] in found[name].__bases__, f"{name} is drawn under {parent}"

    def test_every_class_is_drawn(self) -> None:
        """Each exception class is in the drawing, except the KIE subtree drawn in shared/kie/errors.py."""
        drawn = set(drawn_tree()) | {"TrtError"}
        kie_root = project_exceptions()["KieError"]
        missing = {
            name
            for name, cls in project_exceptions().items()
            if name not in drawn and not (issubclass(cls, kie_root) and cls is not kie_root)
        }
        assert missing == set()
