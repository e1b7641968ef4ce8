"""An imported book written out as a spindle project (``spindle init DIR --from SOURCE``).

The source is only read. Its chapters, and every local file they reference
(images, included code, files pulled in by include directives, also those
outside the book's source folder such as mdBook's ``listings/``), are copied
under ``DIR/manuscript/`` keeping their relative places, so the references keep
working. ``DIR/book.toml`` gets the book's title, authors and language and the
reading order, nested as the source nests it. What has no spindle equivalent is
returned as messages for the command to print."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import yaml

from spindle.manuscript.sources.model import Imported, ImportError_, Node, PartNode
from spindle.manuscript.sources import read

# local files a chapter can refer to: links and images, reference definitions, HTML attributes,
# mdBook's {{#include}} family, GitBook's {% include %} and include-codeblock's [import](...)
_CODE_IMPORT = re.compile(r"(?m)^[ \t>]*\[(?:import|include)(?:[:,\s][^\]]*)?\]\(\s*<?([^()\s>]+)")  # code, even .md
_REFERENCES = [
    re.compile(r"\]\(\s*<([^>]+)>"),
    re.compile(r"\]\(\s*([^)\s]+)"),
    re.compile(r"(?m)^[ \t]{0,3}\[[^\]]+\]:[ \t]*<?([^\s>]+)"),
    re.compile(r"""\b(?:src|href|data)\s*=\s*["']([^"']+)["']"""),
    re.compile(r"\{\{#(?:include|rustdoc_include|playground|playpen)\s+([^\s}]+)"),
    re.compile(r"""\{%\s*include\s+["']([^"']+)["']"""),
    _CODE_IMPORT,
]
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
_MD = (".md", ".markdown")
_KNOWN_FRONT = {"title", "kind", "lang", "subtitle", "id", "standfirst", "speakers", "timestamps"}
_SCRIPTS = [("ja", r"[\u3040-\u30ff]"), ("ko", r"[\uac00-\ud7af]"), ("zh", r"[\u4e00-\u9fff]")]


@dataclass
class Created:
    config: Path
    imported: Imported
    chapters: int  # top-level chapters (front, body and back)
    files: int  # files copied or written
    messages: list[str] = field(default_factory=list)


def create_from(source: Path, directory: Path) -> Created:
    source = Path(source)
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ImportError_("is not empty; give a new or empty folder for the project", directory)
    src = source.resolve()
    target = directory.resolve()
    if target == src or (src.is_dir() and src in target.parents):
        raise ImportError_(f"lies inside the book being imported ({source}); spindle init never writes into "
                           "SOURCE: give a folder outside it", directory)
    imported = read(source)
    nodes = list(_all_nodes(imported))
    if not any(n.path is not None or n.text is not None for n in nodes):
        raise ImportError_("found no chapters to import", source)
    base, allowed = _bases(src)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:  # written in a folder beside DIR, renamed to DIR when complete: a failure leaves nothing behind
        made = _write(imported, nodes, source, src, base, allowed, work)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise ImportError_(f"cannot copy: {exc.strerror or exc}", getattr(exc, "filename", None) or source) from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if target.exists():
        target.rmdir()  # empty, checked above
    work.rename(target)
    made.config = target / "book.toml"
    return made


def _write(imported: Imported, nodes: list[Node], source: Path, src: Path, base: Path, allowed: Path,
           target: Path) -> Created:
    chapters = [n.path for n in nodes if n.path is not None and n.text is None]
    includers: dict[Path, Path] = {}
    extra, outside = _references(nodes, allowed, src if src.is_dir() else src.parent, includers)
    everything = set(chapters) | set(extra)
    for path in everything:
        while base not in path.parents:
            base = base.parent
    manuscript = target / "manuscript"
    written: dict[int, str] = {}
    fronts: list[str] = []
    titled: list[str] = []
    toc_titles = {n.path: n.title for n in nodes if n.path is not None and n.text is None and n.title.strip()}
    messages_extra: list[str] = []
    rewritten = 0
    made = 0
    for node in nodes:
        if node.text is None and node.path is None:  # a title-only entry: a page with its title
            node.name = node.name or f"{_slug(node.title)}.md"
            node.text = f"# {node.title}\n"
    for path in sorted(everything):
        out = manuscript / path.relative_to(base)
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() in _MD:
            text = path.read_text(encoding="utf-8-sig", errors="replace")
            if imported.transform is not None:
                text = imported.transform(text, path)
            text, rooted = _relative_roots(text, path, src if src.is_dir() else src.parent)
            rewritten += rooted
            text, dropped = _front_matter(text)
            if dropped:
                fronts.append(f"{path.relative_to(base)}: {', '.join(dropped)}")
            if toc_titles.get(path) and _untitled(text):
                text = _with_title(text, toc_titles[path])
                titled.append(str(path.relative_to(base)))
            out.write_text(text, encoding="utf-8")
        elif path in includers:  # included HTML: '/x' made relative to the page it is inlined into
            text, rooted = _relative_roots(path.read_text(encoding="utf-8-sig", errors="replace"), includers[path],
                                           src if src.is_dir() else src.parent)
            rewritten += rooted
            out.write_text(text, encoding="utf-8")
        else:
            shutil.copyfile(path, out)
        made += 1
    taken: set[Path] = set()
    for node in nodes:
        if node.text is None:
            continue
        folder = (node.path.parent if node.path is not None else _first_path(node, src)).resolve()
        out = manuscript / folder.relative_to(base) / node.name
        stem, n = out.stem, 2
        while out in taken or out.exists():
            out, n = out.with_name(f"{stem}-{n}.md"), n + 1
        taken.add(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        text = imported.transform(node.text, node.path) if imported.transform is not None and node.path else node.text
        out.write_text(text, encoding="utf-8")
        written[id(node)] = out.relative_to(target).as_posix()
        made += 1

    if imported.shared_anchors:
        moved = _share_anchors([target / file for file in _chapter_files(nodes, written, base)])
        if moved:
            messages_extra.append(f"{moved} link(s) to '#id' in another chapter written as 'chapter.md#id' "
                                  "(the source joins its files into one document)")
        copied = _share_footnotes([target / file for file in _chapter_files(nodes, written, base)])
        if copied:
            messages_extra.append(f"{copied} footnote definition(s) copied into the chapter that refers to them "
                                  "(the source joins its files into one document)")

    def file_of(node: Node) -> str:
        return written.get(id(node)) or (Path("manuscript") / node.path.relative_to(base)).as_posix()

    language, guessed = _language(imported, chapters)
    messages = [f"imported {source} ({imported.dialect})"] + imported.notes
    if guessed:
        messages.append(f"language: the source names none; '{language}' from the script of the text "
                        "(change [book] language in book.toml if wrong)")
    messages += [f"not mapped: {m}" for m in imported.unmapped]
    messages += [f"not mapped: {m}" for m in outside]
    messages += messages_extra
    if rewritten:
        messages.append(f"{rewritten} reference(s) written from the book's root ('/images/x.png') made relative "
                        "to their chapter, as the project is built from its own folder")
    if titled:
        messages.append(f"{len(titled)} chapter(s) with no heading titled as the table of contents names them "
                        f"(front matter added): {', '.join(titled[:5])}{' ...' if len(titled) > 5 else ''}")
    if fronts:
        messages.append(f"not mapped: front matter keys spindle does not know were kept as YAML comments in "
                        f"{len(fronts)} file(s), e.g. {fronts[0]}")
    config = target / "book.toml"
    site_folder = ""
    if imported.site_url and imported.site_folder is not None:
        try:
            site_folder = (Path("manuscript") / imported.site_folder.resolve().relative_to(base)).as_posix()
        except ValueError:  # the site's folder is above every copied file: the manuscript folder itself
            site_folder = "manuscript"
        messages.append(f"site_url: links to the site's pages that are not in the book link to {imported.site_url}")
    config.write_text(_book_toml(imported, language, file_of, source, site_folder), encoding="utf-8")
    (target / "styles").mkdir(exist_ok=True)
    (target / "templates").mkdir(exist_ok=True)
    top = len(imported.front) + len(imported.back) + sum(
        len(c.chapters) if isinstance(c, PartNode) else 1 for c in imported.chapters)
    return Created(config, imported, top, made, messages)


def _chapter_files(nodes: list[Node], written: dict[int, str], base: Path) -> list[str]:
    out = []
    for node in nodes:
        if id(node) in written:
            out.append(written[id(node)])
        elif node.path is not None:
            out.append((Path("manuscript") / node.path.relative_to(base)).as_posix())
    return out


_HEADING_LINE = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$")
_EXPLICIT = re.compile(r"\{#([^\s}]+)[^}]*\}\s*$")
_ANCHOR_LINK = re.compile(r"(\]\(\s*)#([^)\s]+)(\s*\))")


def _anchors(text: str) -> set[str]:
    """The ids a chapter's headings can be linked by: explicit '{#id}', GitHub's and spindle's slugs."""
    from spindle.manuscript.markdown import slug

    found: set[str] = set(re.findall(r"\{#([A-Za-z][\w.:-]*)", text))
    fence = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        m = None if fence else _HEADING_LINE.match(line)
        if m:
            words = _EXPLICIT.sub("", m.group(1)).strip()
            found.add(slug(words))
            found.add(re.sub(r"[^\w\- ]", "", words.lower()).replace(" ", "-"))
    return found


def _share_anchors(files: list[Path]) -> int:
    """'[..](#id)' where the id is in another chapter, written as '[..](other.md#id)'."""
    import os

    texts = {f: f.read_text(encoding="utf-8") for f in files if f.is_file()}
    owners: dict[str, Path] = {}
    for f, text in texts.items():
        for anchor in _anchors(text):
            owners.setdefault(anchor, f)
    count = 0
    for f, text in texts.items():
        own = _anchors(text)

        def fix(m: re.Match) -> str:
            nonlocal count
            anchor = m.group(2)
            other = owners.get(anchor)
            if anchor in own or other is None or other == f:
                return m.group(0)
            count += 1
            return f"{m.group(1)}{os.path.relpath(other, f.parent)}#{anchor}{m.group(3)}"

        new = _ANCHOR_LINK.sub(fix, text)
        if new != text:
            f.write_text(new, encoding="utf-8")
    return count


_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")


def _prose_lines(text: str) -> list[str]:
    """The lines of *text* outside fenced code."""
    out, fence = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        elif not fence:
            out.append(line)
    return out


def _share_footnotes(files: list[Path]) -> int:
    """A '[^n]' with no definition in its chapter but one in another (pandoc joins the files, so
    footnote labels are shared): that definition (its first line and the indented lines after it)
    copied to the end of the chapter, as the joined document reads it."""
    texts = {f: f.read_text(encoding="utf-8") for f in files if f.is_file()}
    definitions: dict[str, str] = {}
    defined: dict[Path, set[str]] = {}
    for f, text in texts.items():
        lines = _prose_lines(text)
        defined[f] = set()
        for i, line in enumerate(lines):
            m = _FOOTNOTE_DEF.match(line)
            if m:
                defined[f].add(m.group(1))
                block = [line]
                for more in lines[i + 1:]:
                    if more.strip() and not more.startswith(("    ", "\t")):
                        break
                    block.append(more)
                definitions.setdefault(m.group(1), "\n".join(block).rstrip())
    count = 0
    for f, text in texts.items():
        wanted = []
        for line in _prose_lines(text):
            if not _FOOTNOTE_DEF.match(line):
                wanted += [label for label in _FOOTNOTE_REF.findall(line) if label not in defined[f]]
        missing = [label for label in dict.fromkeys(wanted) if label in definitions]
        if missing:
            count += len(missing)
            f.write_text(text.rstrip("\n") + "\n\n" + "\n\n".join(definitions[label] for label in missing) + "\n",
                         encoding="utf-8")
    return count


def _all_nodes(imported: Imported):
    def walk(nodes):
        for node in nodes:
            if isinstance(node, PartNode):
                yield from walk(node.chapters)
            else:
                yield node
                yield from walk(node.children)

    yield from walk(imported.front)
    yield from walk(imported.chapters)
    yield from walk(imported.back)


def _first_path(node: Node, fallback: Path) -> Path:
    for child in node.children:
        if child.path is not None:
            return child.path.parent
        found = _first_path(child, Path())
        if found != Path():
            return found
    return fallback


def _bases(src: Path) -> tuple[Path, Path]:
    """(copy base, the folder referenced files must lie in): the source folder, and the repository
    holding it (the nearest folder above with .git, else the source's parent)."""
    folder = src if src.is_dir() else src.parent
    allowed = next((p for p in (folder, *folder.parents) if (p / ".git").exists()), folder.parent)
    return folder, allowed


def _rooted(ref: str, path: Path, root: Path) -> list[Path]:
    """Where '/x' may lie: from the repository (as GitHub reads it), then from each folder above the
    file up to it (GitBook and HonKit read it from the book's own root, e.g. book.json's 'root')."""
    rel = ref.lstrip("/")
    found = [root / rel]
    for folder in (path.parent, *path.parents):
        if folder == root or root not in folder.parents:
            break
        found.append(folder / rel)
    return found


def _references(nodes: list[Node], allowed: Path, root: Path,
                includers: dict[Path, Path] | None = None) -> tuple[list[Path], list[str]]:
    """Local files the chapters refer to, transitively through included Markdown and included HTML
    (whose references GitBook reads from the page that includes it: *includers* records that page);
    and messages about references that leave the book's repository."""
    includers = {} if includers is None else includers
    found: dict[Path, None] = {}
    outside: list[str] = []
    queue: list[tuple[Path, str]] = []
    for node in nodes:
        if node.text is not None:
            queue.append((node.path or root / "x", node.text))
        elif node.path is not None:
            queue.append((node.path, node.path.read_text(encoding="utf-8-sig", errors="replace")))
    chapters = {n.path for n in nodes if n.path is not None}
    while queue:
        path, text = queue.pop()
        for pattern in _REFERENCES:
            for raw in pattern.findall(text):
                raw = raw.strip()
                if not raw or raw.startswith("#") or _SCHEME.match(raw) or raw.startswith("//"):
                    continue
                ref = unquote(raw.split("#")[0].split("?")[0])
                if pattern.pattern.startswith(r"\{\{#"):
                    ref = ref.split(":")[0]
                if not ref:
                    continue
                candidates = _rooted(ref, path, root) if ref.startswith("/") else [path.parent / ref]
                for candidate in candidates:
                    try:
                        resolved = candidate.resolve()
                    except (OSError, RuntimeError):
                        continue
                    if not resolved.is_file() or resolved in found or resolved in chapters:
                        continue
                    if allowed != resolved and allowed not in resolved.parents:
                        outside.append(f"{path.name} refers to {raw}, outside the book; not copied")
                        continue
                    if resolved.suffix.lower() in _MD and not pattern.pattern.startswith((r"\{\{#", r"\{%")) \
                            and pattern is not _CODE_IMPORT:
                        continue  # a link to a page that is not a chapter: not part of the book
                    found[resolved] = None
                    if resolved.suffix.lower() in _MD and pattern is not _CODE_IMPORT:  # code, not Markdown
                        queue.append((resolved, resolved.read_text(encoding="utf-8-sig", errors="replace")))
                    elif resolved.suffix.lower() in (".html", ".htm") and pattern.pattern.startswith(r"\{%"):
                        includers[resolved] = path  # inlined into *path*: its references are read from there
                        queue.append((path, resolved.read_text(encoding="utf-8-sig", errors="replace")))
                    break
    return list(found), sorted(set(outside))


_ROOTED = [
    re.compile(r"(\]\(\s*<?)(/[^)\s>]+)"),
    re.compile(r"""(\b(?:src|href)\s*=\s*["'])(/[^"']+)"""),
    re.compile(r"(?m)(^[ \t]{0,3}\[[^\]]+\]:[ \t]*<?)(/[^\s>]+)"),
]


def _relative_roots(text: str, path: Path, root: Path) -> tuple[str, int]:
    """References written from the book's root ('/assets/x.png', as GitHub and site generators read
    them) made relative to the chapter, when the file exists in the book."""
    import os

    count = 0

    def fix(m: re.Match) -> str:
        nonlocal count
        raw = m.group(2)
        if raw.startswith("//"):
            return m.group(0)
        local, sep, rest = raw.partition("#")
        target = next((c.resolve() for c in _rooted(unquote(local), path, root) if c.is_file()), None)
        if target is None or root not in target.parents:
            return m.group(0)
        count += 1
        return m.group(1) + os.path.relpath(target, path.parent).replace(os.sep, "/") + sep + rest

    for pattern in _ROOTED:
        text = pattern.sub(fix, text)
    return text, count


def _front_matter(text: str) -> tuple[str, list[str]]:
    """Front matter keys spindle does not know (GitBook's author:, description:) made YAML comments."""
    m = re.match(r"\A---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", text, re.S)
    if not m or not m.group(1):
        return text, []
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return text, []
    if not isinstance(data, dict):
        return text, []
    unknown = [str(k) for k in data if k not in _KNOWN_FRONT]
    if not unknown:
        return text, []
    lines = m.group(1).split("\n")
    commenting = False
    for i, line in enumerate(lines):
        key = re.match(r"^([^\s#:][^:]*):", line)
        if key:
            commenting = key.group(1).strip() in unknown
        if commenting and line.strip():
            lines[i] = "# " + line
    return text[: m.start(1)] + "\n".join(lines) + text[m.end(1):], unknown


def _untitled(text: str) -> bool:
    """Whether a chapter has neither a front-matter title nor a heading to take its title from."""
    from spindle.manuscript.headings import _blocks

    m = re.match(r"\A---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", text, re.S)
    if m:
        try:
            data = yaml.safe_load(m.group(1) or "") or {}
        except yaml.YAMLError:
            return False
        if not isinstance(data, dict) or data.get("title"):
            return False
        text = text[m.end():]
    return not any(t.type == "heading_open" and t.level == 0 for t in _blocks().parse(text))


def _with_title(text: str, title: str) -> str:
    line = f"title: {_s(title)}\n"
    if re.match(r"\A---[ \t]*\r?\n", text):
        first = text.index("\n") + 1
        return text[:first] + line + text[first:]
    return f"---\n{line}---\n{text}"


def _language(imported: Imported, chapters: list[Path]) -> tuple[str, bool]:
    given = imported.language.strip()
    if given:
        tag = given.replace("_", "-")
        parts = tag.split("-")
        tag = "-".join([parts[0].lower()] + [p.upper() if len(p) == 2 else p for p in parts[1:]])
        if re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", tag):
            return tag, False
    sample = ""
    for path in chapters[:20]:
        try:
            sample += path.read_text(encoding="utf-8", errors="replace")[:20000]
        except OSError:
            pass
    counts = {code: len(re.findall(pattern, sample)) for code, pattern in _SCRIPTS}
    if counts["ja"] > 200:
        return "ja", True
    if counts["ko"] > 200:
        return "ko", True
    if counts["zh"] > 500:
        return "zh", True
    return "en", False


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return slug[:50] or "section"


def _s(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _book_toml(imported: Imported, language: str, file_of, source: Path, site_folder: str = "") -> str:
    def entry(node: Node, indent: str) -> str:
        if not node.children:
            return _s(file_of(node))
        inner = ",\n".join(f"{indent}    {entry(c, indent + '    ')}" for c in node.children)
        return f"{{ file = {_s(file_of(node))}, sections = [\n{inner},\n{indent}] }}"

    def item(node, indent: str = "    ") -> str:
        if isinstance(node, PartNode):
            inner = ",\n".join(f"{indent}    {entry(c, indent + '    ')}" for c in node.chapters)
            return f"{{ title = {_s(node.title)}, chapters = [\n{inner},\n{indent}] }}"
        return entry(node, indent)

    def array(name: str, nodes: list) -> str:
        if not nodes:
            return f"{name} = []"
        return f"{name} = [\n" + "".join(f"    {item(n)},\n" for n in nodes) + "]"

    title = imported.title.strip() or (source.stem if source.is_file() else source.resolve().name)
    lines = [f"# Made by 'spindle init --from {source}' ({imported.dialect}); every key: docs/config.md.",
             "[book]", f"title = {_s(title)}", f"language = {_s(language)}"]
    if imported.authors:
        lines.append("authors = [" + ", ".join(_s(a) for a in imported.authors) + "]")
    if imported.description.strip():
        lines.append(f"description = {_s(imported.description.strip())}")
    if imported.rights.strip():
        lines.append(f"rights = {_s(imported.rights.strip())}")
    if imported.site_url.strip():
        lines.append(f"site_url = {_s(imported.site_url.strip())}")
        if site_folder:
            lines.append(f"site_folder = {_s(site_folder)}")
        if imported.site_pages != "html":
            lines.append(f"site_pages = {_s(imported.site_pages)}")
    lines += ["", "[contents]", array("front", imported.front), array("chapters", imported.chapters),
              array("back", imported.back), ""]
    return "\n".join(lines)
