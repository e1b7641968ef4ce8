#!/usr/bin/env python3
"""Write the generated reference docs: docs/config.md (from the config schema) and
docs/cli.md (from the commands' --help). Run after changing either:

    .venv/bin/python scripts/gen_docs.py

tests/repo/test_docs.py fails while a committed file differs from what this writes."""

from pathlib import Path

from spindle.cli.refdocs import generated

DOCS = Path(__file__).resolve().parent.parent / "docs"

for name, text in generated().items():
    path = DOCS / name
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    if old != text:
        path.write_text(text, encoding="utf-8")
        print(f"wrote docs/{name}")
    else:
        print(f"docs/{name} is up to date")
