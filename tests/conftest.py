"""Shared pytest configuration and fixtures."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest


# --- Label Studio server (tests/labelstudio_server.py) -------------------------------------------
def _load_labelstudio_server() -> ModuleType:
    # pytest runs with --import-mode=importlib, which puts nothing on sys.path: load the helper by path.
    name = "vna_ner_tests_labelstudio_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("labelstudio_server.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "labelstudio: needs a real Label Studio server (the `label_studio` fixture; "
        "install it with .ci/install-label-studio; deselect with -m 'not labelstudio')",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "label_studio" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.labelstudio)


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real Label Studio server on 127.0.0.1, shared by the whole session.

    Yields a LabelStudioServer with ``.url``, ``.token``, ``.client`` (label_studio_sdk
    LabelStudio) and ``.export_json(project_id)``. Fails (does not skip) when Label Studio
    is not installed, unless VNA_NER_SKIP_LABEL_STUDIO=1.
    """
    ls = _load_labelstudio_server()
    if os.environ.get("VNA_NER_SKIP_LABEL_STUDIO") == "1":
        pytest.skip("VNA_NER_SKIP_LABEL_STUDIO=1")
    failure = None
    try:
        server = ls.start_label_studio(tmp_path_factory.mktemp("label-studio"))
    except (ls.LabelStudioUnavailable, ls.LabelStudioStartError) as err:
        failure = str(err)
    if failure is not None:
        pytest.fail(failure, pytrace=False)
    try:
        yield server
    finally:
        server.stop()
