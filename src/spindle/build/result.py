"""What a build made: one ``Output`` per edition (and per companion file), with the warnings and
notes of the build, as the CLI, the JSON manifest and the up-to-date check read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Output:
    edition: str
    path: Path
    bytes: int
    seconds: float
    pages: int | None = None


@dataclass
class Result:
    outputs: list[Output] = field(default_factory=list)  # one per edition
    warnings: list[str] = field(default_factory=list)
    extras: list[Output] = field(default_factory=list)  # companion files: the print cover and imposed sheets
    notes: list[str] = field(default_factory=list)  # what the build did (padding, spine, PDF/X claim)
    diagnostics: list = field(default_factory=list)  # findings with codes (core.diagnostics): the manuscript's, as check reports them, and the layout's
    inputs: list = field(default_factory=list)  # what the build read: ("file"|"tree", path) (build.uptodate.inputs)
