"""The build cache (.spindle-cache/) and the split of an edition into parts: small,
direct checks of what the fast path relies on (tests/test_fastpath.py builds books)."""

from __future__ import annotations

import json
import os
import time

from spindle.core import cache as caching
from spindle.editions.paged import split as parts

HEAD = '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/><title>T</title></head>\n<body class="edition-pdf">\n'
TAIL = "\n</body>\n</html>\n"


def html(body: str) -> str:
    return HEAD + body + TAIL


# --- splitting ---------------------------------------------------------------------------------------------

def test_split_gives_the_front_and_one_part_per_chapter_with_what_precedes_it():
    body = ('<section class="titlepage" id="titlepage"><h1>Book</h1></section>\n'
            '<nav id="toc"><ol><li><a href="#one">One</a></li></ol></nav>\n'
            '<section class="chapter" id="one"><p>One<br/>text &amp; more</p><img src="a.png" alt=""></section>\n'
            '<section class="part-title" id="two-part"><h1>Part</h1></section>\n'
            '<section class="chapter" id="two"><div><p>Two</p></div></section>\n'
            '<div class="signature-blank"></div>\n'
            '<section class="chapter" id="three"><p>Three</p></section>\n'
            '<div class="signature-blank"></div>\n')
    split = parts.split(html(body), ["one", "two", "three"])
    assert split.problem is None
    # signature padding is a part of its own (the print edition's padding round lays out only it)
    assert [p.name for p in split.parts] == ["front", "one", "two", "three+blanks", "three", "end+blanks"]
    front, one, two, blanks, three, end = (p.html for p in split.parts)
    assert 'id="titlepage"' in front and 'id="toc"' in front and 'id="one"' not in front
    assert 'id="one"' in one and "text &amp; more" in one and 'id="two"' not in one
    assert two.index('id="two-part"') < two.index('id="two"')  # the part title opens the chapter's part
    assert 'id="three"' in three and "signature-blank" not in three
    assert blanks.count("signature-blank") == 1 and 'id="three"' not in blanks
    assert end.count("signature-blank") == 1 and 'id="three"' not in end
    for part in split.parts:  # each a whole document: the book's head, the body's attributes
        assert part.html.startswith(HEAD) and part.html.rstrip().endswith("</html>")
    # the padding parts are marked: nothing refers to them (the scheduler lays out the front matter with
    # its page numbers without waiting for the closing blank pages); not when a blank page has an id
    assert [p.blank for p in split.parts] == [False, False, False, True, False, True]
    marked = parts.split(html(body.replace('<div class="signature-blank"></div>\n'
                                           '<section class="chapter" id="three">',
                                           '<div class="signature-blank" id="b"></div>\n'
                                           '<section class="chapter" id="three">')), ["one", "two", "three"])
    assert [(p.name, p.blank) for p in marked.parts][3:] == [("three+blanks", False), ("three", False),
                                                            ("end+blanks", True)]


def test_padding_among_other_elements_stays_in_its_chapters_part():
    """Only padding that opens a chapter's part, or is all that follows the last chapter, is split
    off: blanks after a part title, or beside other end pages, stay where they are."""
    body = ('<nav id="toc"></nav>\n<section class="chapter" id="one"></section>\n'
            '<section class="part-title" id="two-part"></section>\n<div class="signature-blank"></div>\n'
            '<section class="chapter" id="two"></section>\n'
            '<div class="signature-blank"></div>\n<section id="colophon"></section>\n')
    split = parts.split(html(body), ["one", "two"])
    assert [p.name for p in split.parts] == ["front", "one", "two"]
    assert split.parts[2].html.count("signature-blank") == 2


def test_a_part_title_before_the_first_chapter_belongs_to_it():
    body = ('<nav id="toc"></nav>\n<section class="part-title" id="one-part"></section>\n'
            '<section class="chapter" id="one"></section>\n')
    front, one = parts.split(html(body), ["one"]).parts
    assert 'id="one-part"' in one.html and 'id="one-part"' not in front.html


def test_what_cannot_be_split_is_named():
    wrapped = '<main><section class="chapter" id="one"></section></main>'
    assert "not a child element of <body>" in parts.split(html(wrapped), ["one"]).problem
    stray = 'Loose text<section class="chapter" id="one"></section>'
    assert "text directly in <body>" in parts.split(html(stray), ["one"]).problem
    unbalanced = '<section class="chapter" id="one"><div></section>'
    assert parts.split(html(unbalanced), ["one"]).problem
    order = '<section id="two"></section><section id="one"></section>'
    assert "reading order" in parts.split(html(order), ["one", "two"]).problem


def test_a_parts_digest_covers_its_images():
    a, b = parts.Part("one", "<p/>", "images-1"), parts.Part("one", "<p/>", "images-2")
    assert a.digest != b.digest and a.digest == parts.Part("one", "<p/>", "images-1").digest


# --- the cache folder --------------------------------------------------------------------------------------

def test_entries_round_trip_and_unreadable_ones_are_misses(tmp_path):
    store = caching.Cache(tmp_path / "c")
    store.write_json("table", "ab12", {"pages": 3})
    store.write("parts", "ab12", b"%PDF-1.7", ".pdf")
    assert store.read_json("table", "ab12") == {"pages": 3}
    assert store.read("parts", "ab12", ".pdf") == b"%PDF-1.7"
    (tmp_path / "c" / "table" / "ab" / "ab12.json").write_bytes(caching._seal(b"{not json", "table", "ab12.json"))
    assert store.read_json("table", "ab12") is None
    assert caching.Cache(None).read_json("table", "ab12") is None  # no cache: nothing read or written


def test_the_least_recently_used_entries_go_when_the_folder_is_too_big(tmp_path):
    store = caching.Cache(tmp_path / "c")
    for n in range(6):
        store.write("parts", f"{n:02d}aa", b"x" * 1000, ".pdf")
        path = tmp_path / "c" / "parts" / f"{n:02d}" / f"{n:02d}aa.pdf"
        os.utime(path, (time.time() - 100 + n, time.time() - 100 + n))
    store.read("parts", "00aa", ".pdf")  # used now: kept
    entry = 1000 + caching.HEADER
    store.prune(limit=3 * entry + 500, keep=3 * entry)
    left = sorted(p.name for p in (tmp_path / "c").rglob("*.pdf"))
    assert left == ["00aa.pdf", "04aa.pdf", "05aa.pdf"]
    assert int((tmp_path / "c" / "size").read_text()) == 3 * entry


def test_prune_keeps_crash_reports(tmp_path):
    store = caching.Cache(tmp_path / "c")
    for n in range(4):
        store.write("parts", f"{n:02d}aa", b"x" * 1000, ".pdf")
    report = tmp_path / "c" / "crash-chapter-2.txt"  # what core/crash.py writes after a bug
    report.write_text("Traceback ...\n" * 200, encoding="utf-8")
    old = time.time() - 1000
    os.utime(report, (old, old))  # older than every entry: the first to go, were it an entry
    entry = 1000 + caching.HEADER
    store.prune(limit=2 * entry, keep=entry)
    assert report.is_file(), "the prune removed a crash report"
    assert len(list((tmp_path / "c").rglob("*.pdf"))) == 1


def test_stamps_see_changed_content_not_a_touch(tmp_path):
    root = tmp_path
    (root / "styles").mkdir()
    css = root / "styles" / "custom.css"
    css.write_text("p { color: red; }\n", encoding="utf-8")
    stamps = caching.Stamps()
    stamps.add_tree(root, root / "styles")
    stamps = caching.Stamps(json.loads(json.dumps(stamps.files)))  # as stored in a manifest
    assert stamps.unchanged(root)
    later = time.time() + 10
    os.utime(css, (later, later))
    assert stamps.unchanged(root), "a new modification time with the same content is no change"
    css.write_text("p { color: blue; }\n", encoding="utf-8")
    assert not stamps.unchanged(root)
    css.write_text("p { color: red; }\n", encoding="utf-8")
    assert stamps.unchanged(root)
    (root / "styles" / "print.css").write_text("", encoding="utf-8")
    assert not stamps.unchanged(root), "a new file in the folder overrides the theme: a change"


# --- the code fingerprint ----------------------------------------------------------------------------------

def test_library_versions_are_those_importlib_metadata_gives(tmp_path, monkeypatch):
    """The cache keys name the libraries' versions, read from the dist-info folders' names (cheaper than
    importlib.metadata): the same versions, the first on sys.path winning, '-' for one not installed."""
    from importlib import metadata

    names = ("weasyprint", "pydyf", "fonttools", "pikepdf", "ebooklib", "pillow", "markdown-it-py", "jinja2",
             "no-such-library-here")

    def official(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    assert caching._versions(names) == [official(n) for n in names]
    assert caching._versions(names)[-1] == "-"
    # an older copy later on sys.path does not count; a newer one earlier does
    early, late = tmp_path / "early", tmp_path / "late"
    (early / "Markdown_It_Py-99.1.dist-info").mkdir(parents=True)
    (late / "jinja2-0.1.dist-info").mkdir(parents=True)
    monkeypatch.setattr("sys.path", [str(early)] + list(__import__("sys").path) + [str(late)])
    found = dict(zip(names, caching._versions(names)))
    assert found["markdown-it-py"] == "99.1"
    assert found["jinja2"] == official("jinja2") != "0.1"
