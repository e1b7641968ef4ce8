"""The command line: version, help (without importing WeasyPrint), usage
errors, init, build options; in-process through spindle.cli.run and, for a
few end-to-end cases, as `python -m spindle`."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import spindle
from spindle.cli import run

ROOT = Path(__file__).resolve().parents[2]


def make_project(root: Path, body: str = "Hello \"world\".[^1]\n\n[^1]: A note.\n") -> Path:
    (root / "manuscript").mkdir(parents=True, exist_ok=True)
    (root / "manuscript" / "01-alpha.md").write_text(f"---\ntitle: Alpha\n---\n{body}", encoding="utf-8")
    config = root / "book.toml"
    config.write_text('[book]\ntitle = "Tiny CLI Book"\nauthors = ["Ann"]\n\n'
                      '[contents]\nchapters = ["manuscript/01-alpha.md"]\n', encoding="utf-8")
    return config


def spindle_cmd(*args: str, cwd: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "spindle", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


# --- version and help ----------------------------------------------------------------------------


def test_version_in_process(capsys):
    assert run(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"spindle, version {spindle.__version__}"


def test_version_subprocess(tmp_path):
    proc = spindle_cmd("--version", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"spindle, version {spindle.__version__}"
    assert proc.stderr == ""


def test_version_matches_package_metadata():
    with open(ROOT / "pyproject.toml", "rb") as f:
        assert tomllib.load(f)["project"]["version"] == spindle.__version__


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(capsys, flag):
    assert run([flag]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: spindle [OPTIONS] COMMAND [ARGS]...")
    assert "build" in out and "init" in out and "--version" in out


def test_build_help_lists_options(capsys):
    assert run(["build", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--config", "--out", "--strict", "--allow-remote", "--quiet", "--verbose"):
        assert option in out
    assert "pdf|epub|print|all" in out


def test_init_help(capsys):
    assert run(["init", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--title" in out and "--lang" in out


def test_importing_cli_does_not_import_weasyprint():
    code = (
        "import sys, spindle.cli\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'weasyprint', 'ebooklib', 'pypdf', 'pikepdf'})\n"
        "assert not heavy, heavy\n"
        "rc = spindle.cli.run(['--help'])\n"
        "assert rc == 0, rc\n"
        "rc = spindle.cli.run(['build', '--help'])\n"
        "assert rc == 0, rc\n"
        "assert 'weasyprint' not in sys.modules, 'weasyprint imported by --help'\n"
        "assert 'ebooklib' not in sys.modules, 'ebooklib imported by --help'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_help_importtime_has_no_weasyprint(tmp_path):
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "spindle", "--help"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "Usage: spindle" in proc.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    assert "spindle.cli" in imported
    assert not [m for m in imported if m.startswith(("weasyprint", "ebooklib"))]


def test_epub_build_does_not_import_weasyprint(tmp_path):
    make_project(tmp_path)
    code = ("import sys\nfrom spindle.cli import run\nrc = run(['build', 'epub', '-q'])\n"
            "assert rc == 0, rc\nassert 'weasyprint' not in sys.modules\n"
            # nor the layout engine's modules: no worker pool for the EPUB alone
            "assert not [m for m in sys.modules if m.startswith(('spindle.editions.paged.scheduler', "
            "'spindle.editions.paged.worker', 'pikepdf'))]\n")
    _python_passes(code, tmp_path)


def _python_passes(code: str, cwd) -> None:
    """*code* run by a new Python process in *cwd*: its assertions hold (exit 0)."""
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


# --- usage errors -------------------------------------------------------------------------------------


def test_unknown_edition_exits_2(tmp_path, monkeypatch, capsys):
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run(["build", "nope"]) == 2
    captured = capsys.readouterr()
    assert "'nope' is not one of 'pdf', 'epub', 'print', 'all'" in captured.err
    assert "Traceback" not in captured.err
    assert not (tmp_path / "build").exists()


def test_unknown_edition_subprocess(tmp_path):
    make_project(tmp_path)
    proc = spindle_cmd("build", "epub", "paperback", cwd=tmp_path)
    assert proc.returncode == 2
    assert "paperback" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "build").exists()


def test_unknown_option_and_command_exit_2(capsys):
    assert run(["build", "--frobnicate"]) == 2
    assert "--frobnicate" in capsys.readouterr().err
    assert run(["publish"]) == 2
    assert "publish" in capsys.readouterr().err


def test_bad_source_date_epoch(tmp_path, monkeypatch, capsys):
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    assert run(["build", "epub"]) == 2
    err = capsys.readouterr().err
    assert err == "error: SOURCE_DATE_EPOCH: expected whole seconds since 1970, got 'yesterday'\n"
    assert not (tmp_path / "build").exists()


# --- build options ------------------------------------------------------------------------------------


def test_build_epub_default_out_and_summary(tmp_path, monkeypatch, capsys):
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert run(["build", "epub"]) == 0
    captured = capsys.readouterr()
    target = tmp_path / "build" / "tiny-cli-book.epub"
    assert target.is_file()
    assert captured.out.startswith("epub   build/tiny-cli-book.epub  (")
    assert captured.out.count("\n") == 1
    assert captured.err == ""
    assert sorted(p.name for p in (tmp_path / "build").iterdir()) == ["tiny-cli-book.epub"]
    with zipfile.ZipFile(target) as z:
        assert z.namelist()[0] == "mimetype"


def test_build_with_config_and_out_from_elsewhere(tmp_path, monkeypatch, capsys):
    config = make_project(tmp_path / "book")
    monkeypatch.chdir(tmp_path)
    assert run(["build", "epub", "--config", str(config), "--out", "dist", "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert (tmp_path / "dist" / "tiny-cli-book.epub").is_file()
    assert not (tmp_path / "book" / "build").exists()


def test_verbose_reports_progress(tmp_path, monkeypatch, capsys):
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run(["build", "epub", "-v"]) == 0
    assert "building epub" in capsys.readouterr().err


def test_warnings_are_printed_but_do_not_fail(tmp_path, monkeypatch, capsys):
    make_project(tmp_path, body="Text.\n\n# A big heading\n")
    monkeypatch.chdir(tmp_path)
    assert run(["build", "epub"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: manuscript/01-alpha.md:6: a '#' heading inside a chapter")
    assert (tmp_path / "build" / "tiny-cli-book.epub").is_file()


def test_quiet_still_prints_warnings(tmp_path, monkeypatch, capsys):
    make_project(tmp_path, body="Text.\n\n# A big heading\n")
    monkeypatch.chdir(tmp_path)
    assert run(["build", "epub", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("warning: ")


# --- init ------------------------------------------------------------------------------------------------


def test_init_creates_a_project_that_builds(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run(["init", "my-book", "--title", "My First Book"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("created my-book/book.toml")
    assert "spindle build" in out
    project = tmp_path / "my-book"
    for name in ("book.toml", "manuscript/01-first-chapter.md", "styles/custom.css"):
        assert (project / name).is_file(), name
    assert (project / "templates").is_dir()
    with open(project / "book.toml", "rb") as f:
        config = tomllib.load(f)
    assert config["book"]["title"] == "My First Book"
    assert run(["build", "epub", "--config", "my-book/book.toml"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert (project / "build" / "my-first-book.epub").is_file()


def test_init_dutch_with_awkward_title(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    title = 'Samen "sterker" \\ één'
    assert run(["init", "nl-boek", "--title", title, "--lang", "nl"]) == 0
    with open(tmp_path / "nl-boek" / "book.toml", "rb") as f:
        config = tomllib.load(f)
    assert config["book"]["title"] == title
    assert config["book"]["language"] == "nl"
    chapter = (tmp_path / "nl-boek" / "manuscript" / "01-first-chapter.md").read_text(encoding="utf-8")
    assert "lang: nl" in chapter and "Eerste hoofdstuk" in chapter
    monkeypatch.chdir(tmp_path / "nl-boek")
    capsys.readouterr()
    assert run(["build", "epub", "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert (tmp_path / "nl-boek" / "build" / "samen-sterker-een.epub").is_file()


def test_init_refuses_existing_book_toml(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    existing = tmp_path / "book.toml"
    existing.write_text("# mine\n", encoding="utf-8")
    assert run(["init", "."]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "already exists" in err
    assert err.count("\n") == 1
    assert existing.read_text(encoding="utf-8") == "# mine\n"
    assert not (tmp_path / "manuscript").exists()


def test_init_keeps_existing_chapter(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    chapter = tmp_path / "b" / "manuscript" / "01-first-chapter.md"
    chapter.parent.mkdir(parents=True)
    chapter.write_text("---\ntitle: Mine\n---\nMy words.\n", encoding="utf-8")
    assert run(["init", "b"]) == 0
    assert chapter.read_text(encoding="utf-8") == "---\ntitle: Mine\n---\nMy words.\n"


def test_init_then_build_epub_and_pdf_end_to_end(tmp_path):
    """`spindle init` then `spindle build pdf epub` as real processes."""
    proc = spindle_cmd("init", "e2e", "--title", "End To End", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    project = tmp_path / "e2e"
    proc = spindle_cmd("build", "epub", "pdf", cwd=project, env={"SOURCE_DATE_EPOCH": "1539216000"})
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    pdf = project / "build" / "end-to-end.pdf"
    epub = project / "build" / "end-to-end.epub"
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert zipfile.is_zipfile(epub)
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["pdf", "epub"]
    assert "pages" in lines[0]
    assert not (project / "build" / "end-to-end-print.pdf").exists()
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "End To End" in text and "First chapter" in text


def test_init_refuses_existing_subprocess(tmp_path):
    make_project(tmp_path)
    before = (tmp_path / "book.toml").read_bytes()
    proc = spindle_cmd("init", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "already exists" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "book.toml").read_bytes() == before


def test_the_command_leaves_rnc2rng_out_of_lxml(tmp_path):
    """lxml imports rnc2rng (and with it urllib.request, ssl, rply) whenever it is installed; the spindle
    command, which never reads RELAX NG compact syntax, keeps it out: 40 ms of every process."""
    pytest.importorskip("rnc2rng")
    code = ("import sys\nfrom spindle import __main__ as entry\nsys.argv = ['spindle', '--version']\n"
            "try:\n    entry.main()\nexcept SystemExit:\n    pass\n"
            "import lxml.etree\nassert sys.modules.get('rnc2rng') is None, 'rnc2rng imported'\n"
            "assert 'ssl' not in sys.modules, 'ssl imported'\n")
    _python_passes(code, tmp_path)


def test_quick_library_lookup_gives_ctypes_answers():
    """core.libraries answers cffi's lookups of WeasyPrint's libraries from one reading of the ldconfig
    cache: the same answers ctypes.util.find_library gives (which runs ldconfig, gcc and ld for each)."""
    import ctypes.util
    import re
    from pathlib import Path

    from spindle.core import libraries

    if not sys.platform.startswith("linux") or not Path("/sbin/ldconfig").exists():
        pytest.skip("the quick lookup is for Linux with ldconfig")
    ffi = Path(__import__("importlib.util").util.find_spec("weasyprint").submodule_search_locations[0]) / "text" / "ffi.py"
    calls = re.findall(r"_dlopen\(\s*ffi,([^)]*)\)", ffi.read_text(encoding="utf-8"))
    names = [n for call in calls for n in re.findall(r"'([^']+)'", call)]
    assert "pango-1.0" in names and len(names) > 15
    original = ctypes.util.find_library
    try:
        libraries.quicken()
        quick = ctypes.util.find_library
        assert quick is not original
        assert [quick(n) for n in names] == [original(n) for n in names]
        assert quick("pango-1.0")  # the libraries WeasyPrint needs are found
        libraries.quicken()  # once is enough
        assert ctypes.util.find_library is quick
    finally:
        ctypes.util.find_library = original


def test_glibc_fastbins_are_turned_off_by_the_command(tmp_path):
    """core.libraries.tune_allocator (called by the command): glibc's malloc without fastbins, so that
    freeing a merged book costs no consolidation at the next large free (bench/results.md)."""
    import platform

    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc's mallopt")
    _python_passes("from spindle.core import libraries\nassert libraries.tune_allocator() is True\n", tmp_path)
