"""Shared fixtures. Expensive builds happen once per session and are shared."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from spindle import build as builder
from spindle.config import load

ROOT = Path(__file__).resolve().parent.parent
EPOCH = 1539216000  # 2018-10-11T00:00:00Z, the launch date


def copy_sample(dest: Path) -> Path:
    """A private copy of the sample project (book.toml, manuscript, templates, styles)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "book.toml", dest / "book.toml")
    for name in ("manuscript", "templates", "styles"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name)
    return dest / "book.toml"


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> builder.Result:
    """Every edition of the sample book, built once with SOURCE_DATE_EPOCH."""
    project = load(ROOT / "book.toml")
    out = tmp_path_factory.mktemp("sample-build")
    return builder.build(project, builder.EDITIONS, out, epoch=EPOCH)


@pytest.fixture(scope="session")
def outputs(sample_build) -> dict[str, Path]:
    return {o.edition: o.path for o in sample_build.outputs}


@pytest.fixture(scope="session")
def sample_project():
    return load(ROOT / "book.toml")
