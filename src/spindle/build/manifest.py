"""What a build made, for CI (``spindle build --json``) and for the closing
table: every file with its edition, path, SHA-256, page count and size, read
back from the files as written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

from spindle import __version__


def entries(result, shown: Callable[[Path], str] = str) -> list[dict]:
    """One entry per file written: the editions first, then their companions (cover, imposed sheets)."""
    out = []
    for output in list(result.outputs) + list(result.extras):
        data = output.path.read_bytes()
        pages = output.pages
        if pages is None and output.path.suffix.lower() == ".pdf":
            pages = pdf_pages(output.path)
        out.append({"edition": output.edition, "path": shown(output.path), "sha256": hashlib.sha256(data).hexdigest(),
                    "pages": pages, "bytes": len(data), "seconds": round(output.seconds, 3)})
    return out


def manifest(result, shown: Callable[[Path], str] = str) -> dict:
    return {"spindle": __version__, "outputs": entries(result, shown), "warnings": list(result.warnings),
            "findings": [d.as_dict() for d in result.diagnostics], "notes": list(result.notes)}


def as_json(result, shown: Callable[[Path], str] = str) -> str:
    return json.dumps(manifest(result, shown), indent=2, ensure_ascii=False)


def pdf_pages(path: Path) -> int:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return len(pdf.pages)
