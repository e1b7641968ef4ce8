"""Building an untrusted manuscript reads only files inside the project (and
spindle's theme), never the network unless --allow-remote, and never writes
into manuscript/, templates/ or styles/.

Reads are observed with a Python audit hook: the tests assert that the secret
files outside the project are never opened, not merely that their content is
missing from the output."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from spindle.build import orchestrate as builder
from spindle.cli import run
from spindle.project.config import load

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n'
MARKER = "SPINDLE-SECRET-7f3a9c"
PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415478da63f8cfc000000301010018dd8db00000000049454e44ae426082"
)
WATCHED = ("/etc/passwd", "/etc/hostname")

# --- observing file reads ---------------------------------------------------------------------------------

_opened: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if event != "open" or _opened is None:
        return
    target = args[0] if args else None
    if isinstance(target, (str, bytes)):
        name = os.fsdecode(target)
        if "spindle-secret" in name or name in WATCHED:
            _opened.append(name)


sys.addaudithook(_audit)


@pytest.fixture
def reads():
    """The watched secret files opened during the test (should stay empty)."""
    global _opened
    _opened = []
    try:
        yield _opened
    finally:
        _opened = None


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve or connect is recorded and fails."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


# --- the project -------------------------------------------------------------------------------------------


class Project:
    def __init__(self, tmp_path: Path, monkeypatch, capsys):
        self.capsys = capsys
        self.root = tmp_path / "project"
        self.outside = tmp_path / "outside"
        self.outside.mkdir()
        (self.outside / "spindle-secret.txt").write_text(MARKER + "\n", encoding="utf-8")
        (self.outside / "spindle-secret.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="20">'
            f'<text x="0" y="15">{MARKER}</text></svg>\n', encoding="utf-8")
        (self.outside / "spindle-secret.png").write_bytes(PNG_1x1 + MARKER.encode())
        (self.outside / "spindle-secret.css").write_text(f'body::before {{ content: "{MARKER}"; }}\n', encoding="utf-8")
        (self.outside / "spindle-secret.md").write_text(f"---\ntitle: Secret\n---\n{MARKER}\n", encoding="utf-8")
        (self.root / "manuscript" / "figures").mkdir(parents=True)
        (self.root / "manuscript" / "figures" / "chart.svg").write_text(SVG, encoding="utf-8")
        self.toml("")
        self.chapter("Safe text.\n")
        monkeypatch.chdir(self.root)
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)

    def toml(self, extra: str, chapters: str = '["manuscript/01-alpha.md"]') -> None:
        (self.root / "book.toml").write_text(
            f'[book]\ntitle = "Safe Book"\n\n[contents]\nchapters = {chapters}\n{extra}', encoding="utf-8")

    def chapter(self, body: str) -> None:
        (self.root / "manuscript" / "01-alpha.md").write_text(f"---\ntitle: Alpha\n---\n{body}", encoding="utf-8")

    def build(self, *args: str) -> tuple[int, str, str]:
        # --jobs 1: lay out in this process, where the audit hook sees every file opened
        # (worker processes would open them out of its sight)
        code = run(["build", "--jobs", "1", *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def outputs(self) -> list[str]:
        folder = self.root / "build"
        return sorted(p.name for p in folder.iterdir()) if folder.exists() else []

    def tree(self, name: str) -> dict[str, bytes]:
        folder = self.root / name
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path, monkeypatch, capsys) -> Project:
    return Project(tmp_path, monkeypatch, capsys)


def one_error(code: int, out: str, err: str, exit_code: int = 1) -> str:
    assert "Traceback" not in out + err
    assert code == exit_code, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0][len("error: "):]


def test_audit_hook_sees_reads(project, reads):
    """Control: the hook does observe reads, by pathlib and by WeasyPrint's fetcher."""
    (project.outside / "spindle-secret.txt").read_bytes()
    assert reads == [str(project.outside / "spindle-secret.txt")]
    reads.clear()
    inside = project.root / "manuscript" / "figures" / "spindle-secret-inside.svg"
    inside.write_text(SVG, encoding="utf-8")
    project.chapter('Text.\n\n<img src="manuscript/figures/spindle-secret-inside.svg" alt="x"/>\n')
    code, _, err = project.build("pdf")
    assert code == 0, err
    assert str(inside) in reads


# --- local files through raw HTML and CSS (the paged editions) ---------------------------------------------------


@pytest.mark.parametrize("url", ["file:///etc/hostname", "file:///etc/passwd", "OUTSIDE/spindle-secret.svg"])
def test_raw_html_img_with_file_url_is_refused(project, reads, url):
    url = url.replace("OUTSIDE", project.outside.as_uri())
    code, _, err = project.build("epub")
    assert code == 0, err
    epub_before = (project.root / "build" / "safe-book.epub").read_bytes()

    project.chapter(f'Text.\n\n<img src="{url}" alt="x"/>\n')
    message = one_error(*project.build("pdf", "epub"))
    assert message.startswith(f"manuscript/01-alpha.md:6: image '{url}'")  # refused while parsing, naming the line
    assert "outside the project" in message
    assert project.outputs() == ["safe-book.epub"], "no pdf may be written"
    assert (project.root / "build" / "safe-book.epub").read_bytes() == epub_before
    assert reads == []


def test_relative_path_escaping_the_project_is_refused(project, reads):
    project.chapter('Text.\n\n<img src="../outside/spindle-secret.svg" alt="x"/>\n')
    message = one_error(*project.build("pdf"))
    assert message.startswith("manuscript/01-alpha.md:6: image '../outside/spindle-secret.svg' lies outside the project")
    assert project.outputs() == []
    assert reads == []


def test_allow_remote_does_not_allow_local_files(project, reads, no_network):
    project.chapter('Text.\n\n<img src="file:///etc/hostname" alt="x"/>\n')
    message = one_error(*project.build("pdf", "--allow-remote"))
    assert message.startswith("manuscript/01-alpha.md:6: image 'file:///etc/hostname' lies outside the project")
    assert project.outputs() == []
    assert reads == []


def test_link_attachment_is_never_read(project, reads):
    """WeasyPrint embeds <link rel="attachment"> files in the PDF: the file
    outside the project must not be read and no PDF may be written."""
    secret = (project.outside / "spindle-secret.txt").as_uri()
    project.chapter(f'Text.\n\n<link rel="attachment" href="{secret}"/>\n\n'
                    f'<a rel="attachment" href="file:///etc/passwd">x</a>\n')
    # (RefusedURL derives from WeasyPrint's FatalURLFetchingError, a BaseException)
    with pytest.raises(BaseException) as info:
        builder.build(load("book.toml"), ["pdf"], project.root / "build")
    assert "refused to read" in str(info.value)
    assert project.outputs() == []
    assert reads == []


def test_link_element_in_raw_html_is_dropped_unread(project, reads):
    """A <link> in a chapter is not XHTML body content: the Markdown stage drops it
    with a warning naming file and line, so WeasyPrint never sees (or reads) it."""
    secret = (project.outside / "spindle-secret.txt").as_uri()
    project.chapter(f'Text.\n\n<link rel="attachment" href="{secret}"/>\n')
    code, out, err = project.build("pdf")
    assert code == 0, err
    assert "warning: manuscript/01-alpha.md:6: <link> is not allowed in the book and was dropped" in err
    assert reads == []


@pytest.mark.parametrize("html", [
    '<a rel="attachment" href="file:///etc/passwd">attached</a>',
])
def test_link_attachment_is_refused_with_a_clean_error(project, html):
    """The refusal of an attachment happens while WeasyPrint writes the PDF;
    it must still be one 'error:' line and exit 1, not a traceback."""
    project.chapter(f"Text.\n\n{html}\n")
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    proc = subprocess.run([sys.executable, "-m", "spindle", "build", "pdf"], cwd=project.root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    assert proc.stderr == ("error: refused to read 'file:///etc/passwd': it lies outside the project; "
                           "move the file into the project\n")
    assert project.outputs() == []


def test_symlink_to_outside_is_refused(project, reads):
    link = project.root / "manuscript" / "figures" / "innocent.svg"
    link.symlink_to(project.outside / "spindle-secret.svg")
    # as a Markdown image: refused while parsing, naming file and line
    project.chapter("Text.\n\n![A chart](figures/innocent.svg)\n")
    message = one_error(*project.build("epub"))
    assert message == ("manuscript/01-alpha.md:6: image 'figures/innocent.svg' lies outside the project; "
                       "move it inside")
    # as raw HTML: refused while parsing too
    project.chapter('Text.\n\n<img src="manuscript/figures/innocent.svg" alt="x"/>\n')
    message = one_error(*project.build("pdf"))
    assert message.startswith("manuscript/01-alpha.md:6: image 'manuscript/figures/innocent.svg' lies outside the project")
    assert project.outputs() == []
    assert reads == []


def test_stylesheet_cannot_import_outside_files(project, reads):
    (project.root / "styles").mkdir()
    secret = (project.outside / "spindle-secret.css").as_uri()
    (project.root / "styles" / "custom.css").write_text(
        f'@import url("{secret}");\nbody {{ background: url("file:///etc/passwd"); }}\n', encoding="utf-8")
    message = one_error(*project.build("pdf"))
    assert message.startswith(f"styles/custom.css:1: url '{secret}' lies outside the project")  # checked before layout
    assert project.outputs() == []
    assert reads == []


@pytest.mark.parametrize("src", ["/etc/passwd", "../../outside/spindle-secret.png", "../../outside/spindle-secret.svg"])
def test_markdown_image_outside_project_is_refused(project, reads, src):
    project.chapter(f"Text.\n\n![A picture]({src})\n")
    message = one_error(*project.build("epub"))
    assert message.startswith("manuscript/01-alpha.md:6: ")
    assert src in message
    assert project.outputs() == []
    assert reads == []


def test_markdown_file_url_is_not_read(project, reads):
    """markdown-it does not even treat a file: URL as an image; either way the
    file must not be read or linked into the output."""
    project.chapter("Text.\n\n![A picture](file:///etc/passwd)\n")
    code, out, err = project.build("epub")
    assert "Traceback" not in out + err
    if code == 0:
        with zipfile.ZipFile(project.root / "build" / "safe-book.epub") as z:
            assert b'src="file:' not in z.read("EPUB/alpha.xhtml")
    assert reads == []


# --- the network ----------------------------------------------------------------------------------------------------


def test_remote_markdown_image_refused_without_allow_remote(project, no_network):
    # refused offline with a warning naming file and line (issue 5); the alt text stands in
    project.chapter("Text.\n\nMore text.\n\n![x](https://example.org/x.png)\n")
    code, out, err = project.build("epub")
    assert code == 0, err
    assert err == ("warning: manuscript/01-alpha.md:8: remote image 'https://example.org/x.png' is not fetched "
                   "(its alt text stands in); download it into the project or build with --allow-remote\n")
    assert no_network == []
    with zipfile.ZipFile(project.root / "build" / "safe-book.epub") as z:
        assert b"example.org" not in z.read("EPUB/alpha.xhtml")
    message = one_error(*project.build("epub", "--strict"))
    assert "remote image 'https://example.org/x.png' is not fetched" in message


def test_remote_raw_html_image_refused_without_allow_remote(project, no_network):
    project.chapter('Text.\n\n<img src="https://example.org/x.png" alt="x"/>\n')
    message = one_error(*project.build("pdf", "--strict"))
    assert message == ("manuscript/01-alpha.md:6: remote image "
                       "'https://example.org/x.png' is not fetched (its alt text stands in); "
                       "download it into the project or build with --allow-remote; --strict makes warnings errors")
    assert no_network == []
    assert project.outputs() == []


# --- where spindle writes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("out", ["manuscript", "manuscript/", "manuscript/build", "./manuscript/../manuscript",
                                 "templates", "styles/out", "ABS/manuscript"])
def test_out_into_sources_is_refused(project, out):
    (project.root / "templates").mkdir()
    (project.root / "styles").mkdir()
    out = out.replace("ABS", str(project.root))
    before = {name: project.tree(name) for name in ("manuscript", "templates", "styles")}
    message = one_error(*project.build("epub", "--out", out), exit_code=2)
    assert "refusing to write into the project's" in message
    assert "choose another folder" in message
    assert {name: project.tree(name) for name in ("manuscript", "templates", "styles")} == before
    assert not (project.root / "manuscript" / "safe-book.epub").exists()
    assert not (project.root / "manuscript" / "build").exists()


def test_out_into_configured_theme_folder_is_refused(project):
    project.toml('\n[theme]\ntemplates = "design/tpl"\n')
    (project.root / "design" / "tpl").mkdir(parents=True)
    message = one_error(*project.build("epub", "--out", "design/tpl"), exit_code=2)
    assert "refusing to write into the project's design/tpl/" in message
    assert list((project.root / "design" / "tpl").iterdir()) == []


def test_out_elsewhere_is_fine(project, tmp_path):
    code, _, err = project.build("epub", "--out", str(tmp_path / "dist"))
    assert code == 0, err
    assert (tmp_path / "dist" / "safe-book.epub").is_file()


# --- what the config may point at --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["../outside/spindle-secret.md", "ABS", "manuscript/../../outside/spindle-secret.md"])
def test_chapter_outside_project_is_refused(project, reads, path):
    path = path.replace("ABS", str(project.outside / "spindle-secret.md"))
    project.toml("", chapters=f'["manuscript/01-alpha.md", "{path}"]')
    message = one_error(*project.build("epub"), exit_code=2)
    assert message == f"book.toml: contents: '{path}' lies outside the project; move it inside"
    assert project.outputs() == []
    assert reads == []


def test_symlinked_chapter_to_outside_is_refused(project, reads):
    (project.root / "manuscript" / "02-link.md").symlink_to(project.outside / "spindle-secret.md")
    project.toml("", chapters='["manuscript/01-alpha.md", "manuscript/02-link.md"]')
    message = one_error(*project.build("epub"), exit_code=2)
    assert "lies outside the project" in message
    assert reads == []


@pytest.mark.parametrize("key, folder", [("templates", "../outside/templates"), ("styles", "/etc"),
                                         ("templates", "LINK")])
def test_theme_folder_outside_project_is_refused(project, reads, key, folder):
    evil = project.outside / "templates" / "partials"
    evil.mkdir(parents=True)
    (evil / "titlepage.html").write_text('{% include "../spindle-secret.txt" %}\n', encoding="utf-8")
    if folder == "LINK":
        (project.root / "looks-local").symlink_to(project.outside / "templates")
        folder = "looks-local"
    project.toml(f'\n[theme]\n{key} = "{folder}"\n')
    message = one_error(*project.build("epub"), exit_code=2)
    assert message == (f"book.toml: theme.{key}: '{folder}' lies outside the project; "
                       "use a folder inside it")
    assert project.outputs() == []
    assert reads == []


def test_template_include_cannot_climb_out(project, reads):
    partials = project.root / "templates" / "partials"
    partials.mkdir(parents=True)
    (partials / "titlepage.html").write_text('{% include "../../../outside/spindle-secret.txt" %}\n',
                                             encoding="utf-8")
    message = one_error(*project.build("epub"))
    assert "not found" in message
    assert project.outputs() == []
    assert reads == []


def test_epub_cover_outside_project_is_refused(project, reads):
    """editions.epub.cover must lie inside the project like every other input;
    a cover path such as '../outside/x.png' must not be read into the EPUB."""
    project.toml('\n[editions.epub]\ncover = "../outside/spindle-secret.png"\n')
    code, out, err = project.build("epub")
    epub = project.root / "build" / "safe-book.epub"
    if epub.exists():
        with zipfile.ZipFile(epub) as z:
            leaked = any(MARKER.encode() in z.read(name) for name in z.namelist())
        assert not leaked, "the file outside the project was copied into the EPUB"
    assert reads == []
    assert code != 0
    assert err.startswith("error: ") and "cover" in err
