"""Untrusted templates and manuscripts (issue 15, point 7): templates render in Jinja's sandbox
and cannot reach Python's internals, files outside the theme's folders or the environment; the
manuscript's text is never evaluated as a template."""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest

import tinybook
from conftest import PdfPages, normalize
from spindle.cli import run

SECRET = "SPINDLE-SANDBOX-SECRET-4242"


@pytest.fixture
def tiny(tmp_path, monkeypatch, capsys):
    root = tmp_path / "book"
    tinybook.make(root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("SPINDLE_SANDBOX_SECRET", SECRET)
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")

    def build(*editions: str) -> tuple[int, str]:
        code = run(["build", *(editions or ("epub",))])
        return code, capsys.readouterr().err

    return root, build


def chapter_template(root: Path, expression: str) -> None:
    """The project's own copy of the EPUB chapter template, with *expression* added to its body."""
    from spindle.theme import BUILTIN

    source = (BUILTIN / "templates" / "epub" / "chapter.xhtml").read_text(encoding="utf-8")
    target = root / "templates" / "epub" / "chapter.xhtml"
    target.parent.mkdir(parents=True, exist_ok=True)
    assert "<body" in source
    target.write_text(re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "<p>" + expression + "</p>", source, count=1),
                      encoding="utf-8")


def epub_text(root: Path) -> str:
    with zipfile.ZipFile(root / "build" / "tiny-book.epub") as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xhtml"))


ESCAPES = [
    "{{ book.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ labels_for.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.environ }}",
    "{{ lipsum.__globals__['os'].environ }}",
    "{{ book.project.root.parent.joinpath('secret.txt').read_text() }}",
    "{{ book.project.config_path.read_text() }}",
    "{{ (book.project.root / '..' / 'secret.txt').open().read() }}",
    "{{ book.project.path('../secret.txt').read_bytes() }}",
    "{{ '{0.__class__}'.format(book) }}",
    "{{ self.__init__.__globals__ }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_a_template_cannot_reach_python_internals_files_or_the_environment(tiny, expression):
    root, build = tiny
    chapter_template(root, expression)
    code, err = build()
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: templates/epub/chapter.xhtml:"), err
    assert "Traceback" not in err and SECRET not in err
    assert not (root / "build").exists()


def test_the_sandbox_still_renders_what_templates_may_use(tiny):
    root, build = tiny
    chapter_template(root, "{{ book.meta.title|upper }} {{ chapter.title }} {{ range(3)|list|join(',') }} "
                           "{{ book.project.config_path.name }} {{ labels_for('en') is mapping }}")
    code, err = build()
    assert code == 0, err
    assert "TINY BOOK Alpha 0,1,2 book.toml True" in epub_text(root)


def test_a_symlinked_template_leading_outside_the_project_is_refused(tiny, tmp_path):
    root, build = tiny
    (root / "templates" / "partials").mkdir(parents=True)
    os.symlink(tmp_path / "secret.txt", root / "templates" / "partials" / "chapter.html")
    code, err = build()
    assert code == 1, err
    assert err.startswith("error: templates/partials/chapter.html: ") and "outside the theme" in err, err
    assert SECRET not in err and len(err.strip().splitlines()) == 1
    assert not (root / "build").exists()


def test_manuscript_text_is_never_evaluated_as_a_template(tiny):
    root, build = tiny
    text = "Sums: {{ 7*7 }} and {{ 6 + 36 }} and {# no comment #} and ${HOME} here."
    (root / "manuscript" / "02-beta.md").write_text(f"---\ntitle: Beta\n---\n{text}\n", encoding="utf-8")
    code, err = build("epub", "pdf")
    assert code == 0, err
    xhtml = epub_text(root)
    assert "Sums: {{ 7*7 }} and {{ 6 + 36 }} and {# no comment #} and ${HOME} here." in xhtml
    assert ">49<" not in xhtml and " 49 " not in xhtml and " 42 " not in xhtml
    pdf = PdfPages(root / "build" / "tiny-book.pdf")
    flat = " ".join(" ".join(t.split()) for t in pdf.texts)
    assert "{{ 7*7 }}" in flat and "{{ 6 + 36 }}" in flat and "{# no comment #}" in flat, flat
    assert normalize("Sums: 49") not in normalize(flat)
