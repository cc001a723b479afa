"""Shared set-up: the package must come from the build tree (PYTHONPATH, set
by CTest) or an install; the CLI from LOWBIT_BIN or build/bin/lowbit."""
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def lowbit_bin():
    path = pathlib.Path(os.environ.get("LOWBIT_BIN", REPO / "build" / "bin" / "lowbit"))
    if not path.exists():
        pytest.skip(f"the lowbit CLI is not built ({path})")
    return str(path)


@pytest.fixture(scope="session")
def tiny_model_path():
    return str(REPO / "models" / "shakespeare-b158.gguf")
