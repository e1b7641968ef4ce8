"""A rebuild with unchanged inputs is a no-op.

After a build, a manifest in the cache records what it read (book.toml, every
manuscript file and transcript, every image, the project's templates/ and
styles/ folders with their listings, the output profile and cover image), each
with its size, modification time and SHA-256, and what it wrote (with size and
modification time). The next build of the same editions into the same folder,
with the same options, SOURCE_DATE_EPOCH and spindle (code, theme, library
versions), first checks the manifest: when every input is unchanged (a changed
modification time with the same content counts as unchanged) and every output
is still the file it wrote, the build reports the recorded outputs, warnings
and notes and does nothing else. This check imports none of the heavy libraries.

A build with --allow-remote always runs (remote images may have changed). The
built-in theme's templates, styles and fonts are covered by spindle's own
fingerprint; the fonts and images the project's stylesheets refer to are inputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

from spindle.core import cache as caching


_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


def key(project, editions: list[str], out: Path, options: dict) -> str:
    return caching.digest(caching.code_fingerprint(), str(project.config_path.resolve()), str(out.resolve()),
                          ",".join(editions), json.dumps(options, sort_keys=True))


def slot(project, editions: list[str], out: Path, *, strict: bool, epoch: int | None, single_pass: bool,
         allow_remote: bool, cache=None) -> tuple[caching.Cache, str | None]:
    """(the cache, the key of the build's record) for a build of *editions* into *out* with these
    options; the key is None when no record is kept (no cache; --allow-remote: remote files may
    change without notice, so nothing is cached). The one rule for a book built here
    (``build.orchestrate``) and for a title built on a cluster (``build.cluster``)."""
    store = caching.Cache(None if allow_remote else caching.folder_for(project.root, cache))
    if not store.enabled or allow_remote:
        return store, None
    return store, key(project, editions, out, {"strict": strict, "epoch": epoch, "single_pass": single_pass})


def check(project, store: caching.Cache, manifest_key: str):
    """The recorded Result when nothing changed since the last build, else None."""
    from spindle.build.result import Output, Result
    from spindle.core.diagnostics import Diagnostic

    found = store.read_json("builds", manifest_key)
    if not found:
        return None
    try:
        if not caching.Stamps(found["inputs"]).unchanged(project.root):
            return None
        result = Result(warnings=list(found["warnings"]), notes=list(found["notes"]),
                        diagnostics=[Diagnostic(**{k: d.get(k) for k in ("level", "code", "message", "path", "line",
                                                                         "page")}) for d in found["findings"]])
        for group, target in (("outputs", result.outputs), ("extras", result.extras)):
            for o in found[group]:
                path = Path(o["path"])
                if not path.is_file() or caching.written_stamp(path) != o["stamp"]:
                    return None
                target.append(Output(o["edition"], path, o["bytes"], 0.0, o["pages"]))
    except (KeyError, TypeError, ValueError):
        return None
    result.notes.append("nothing changed since the last build: the files in the output folder are up to date")
    return result


def inputs(project, book) -> list[tuple[str, Path]]:
    """What a build of *book* read, the record's inputs: ("file", path) for a file, ("tree", path)
    for a folder whose every file and listing count (the templates and styles)."""
    found: list = [project.config_path]
    for chapter in book.chapters:
        found += [chapter.source, *chapter.merged]  # nested files merged into the chapter too
        found += list(chapter.includes)  # code and text pulled in by include directives
        found += [project.path(resource) for resource in chapter.resources]
    theme = project.config.theme
    root = project.root.resolve()
    shared = tuple(p.resolve() for p in project.shared)  # a series' theme folders
    for folder in (project.path(theme.templates), project.path(theme.styles), *shared):
        found.append(("tree", folder))
    styles = [project.path(theme.styles), *shared]
    for sheet in sorted(p for folder in styles for p in folder.rglob("*.css")):  # fonts and images the CSS uses
        for target in _URL.findall(sheet.read_text(encoding="utf-8", errors="replace")):
            path = (sheet.parent / unquote(target[1].split("#")[0].split("?")[0])).resolve()
            if ":" not in target[1].split("/")[0] and any(f in path.parents for f in (root, *shared)) and path.is_file():
                found.append(path)
    editions = project.config.editions
    found += [project.path(relative) for relative in (editions.print.icc_profile, editions.epub.cover) if relative]
    return list(dict.fromkeys(p if isinstance(p, tuple) else ("file", Path(p)) for p in found))


def record(project, store: caching.Cache, manifest_key: str, result) -> None:
    """Write the manifest of a successful build (its inputs: ``result.inputs``)."""
    stamps = caching.Stamps()
    root = project.root.resolve()
    for kind, path in result.inputs:
        if kind == "tree":
            stamps.add_tree(root, Path(path))
        else:
            stamps.add(root, Path(path))

    def outputs(items) -> list[dict]:
        return [{"edition": o.edition, "path": str(o.path), "bytes": o.bytes, "pages": o.pages,
                 "stamp": caching.written_stamp(o.path)} for o in items]

    store.write_json("builds", manifest_key, {
        "inputs": stamps.files, "outputs": outputs(result.outputs), "extras": outputs(result.extras),
        "warnings": result.warnings, "notes": result.notes, "findings": [d.as_dict() for d in result.diagnostics],
    })
