"""One book's part layouts on a real Dask cluster (dask.distributed.LocalCluster: a scheduler and two
worker processes): ``spindle build --cluster`` lays the parts out on the workers (the scheduler's
task stream says which worker ran which part), sends them only the files the parts name, keeps the
layout cache here, and gives the same bytes as a build here (SOURCE_DATE_EPOCH set), also when a
worker is killed mid-build. A series with one long title and short ones spreads the long one's
parts over the cluster."""

from __future__ import annotations

import re

import os
import shutil
from pathlib import Path

import pytest

import tinybook
from seriesbook import WorkerKiller, digests, make_series
from spindle.build import orchestrate, series
from spindle.project.config import load
from spindle.project.series import load_series

distributed = pytest.importorskip("distributed", reason="the cluster extra (pip install 'spindle[cluster]')")

EPOCH = 1539216000
STYLE = "h1 { background: url(mark.png) no-repeat; }  /* an image the stylesheet names */\n"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=50) as running:
        with distributed.Client(running) as client:  # to watch the scheduler and the workers
            yield running, client


def make(root: Path) -> Path:
    """The tiny book (three chapters: a PNG, an SVG), a stylesheet naming an image, and files no
    part names."""
    tinybook.make(root)
    (root / "styles").mkdir()
    (root / "styles" / "custom.css").write_text(STYLE, encoding="utf-8")
    (root / "styles" / "mark.png").write_bytes(tinybook.png(6, 6))
    (root / "notes").mkdir()
    (root / "notes" / "unused.bin").write_bytes(os.urandom(4096))
    return root / "book.toml"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The book built here (every edition, worker processes here); its outputs kept aside."""
    root = tmp_path_factory.mktemp("parts") / "book"
    make(root)
    orchestrate.build(load(root / "book.toml"), epoch=EPOCH, jobs=2)
    kept = root.parent / "reference"
    shutil.copytree(root / "build", kept)
    return root, digests(kept)


def fresh(root: Path) -> Path:
    """The book as it was before any build (no outputs, no cache), at the same path: the PDFs name
    their images by URL, so the same bytes need the same folder."""
    shutil.rmtree(root / "build", ignore_errors=True)
    shutil.rmtree(root / ".spindle-cache", ignore_errors=True)
    return root


@pytest.fixture
def shipped(monkeypatch):
    """Every file a ClusterPool sent to the cluster, by place."""
    from spindle.editions.paged.remote import ClusterPool

    sent: set[str] = set()
    close = ClusterPool.close

    def closing(self):
        sent.update(self.shipped)
        close(self)

    monkeypatch.setattr(ClusterPool, "close", closing)
    return sent


def parts_by_worker(stream: list[dict]) -> dict[str, list[str]]:
    """The layouts the scheduler saw run, by worker: ``spindle-part-NAME-…`` keys."""
    found: dict[str, list[str]] = {}
    for task in stream:
        key = str(task["key"])
        if key.startswith("spindle-part-"):
            found.setdefault(task["worker"], []).append(key.removeprefix("spindle-part-").rsplit("-", 1)[0].split("@")[0])
    return found


def test_one_book_is_laid_out_on_the_workers_to_the_same_bytes(cluster, reference, shipped):
    running, client = cluster
    root, expected = reference
    fresh(root)
    with distributed.get_task_stream(client) as stream:
        result = orchestrate.build(load(root / "book.toml"), epoch=EPOCH, cluster=running.scheduler_address)
    ran = parts_by_worker(stream.data)
    # every part of the print layout (the screen PDF is made from it) was laid out there, on both
    # workers, none here
    assert set(ran) == set(running.scheduler_info["workers"]), ran
    assert {"front", "alpha", "beta", "talk"} <= {name for names in ran.values() for name in names}
    assert sum(map(len, ran.values())) >= 5  # 4 parts (the front twice: its contents' numbers)
    note = next(n for n in result.notes if "on the cluster" in n)
    assert note.startswith(f"{sum(map(len, ran.values()))} part layout(s) on the cluster (2 worker thread(s))")
    assert digests(root / "build") == expected
    # only the files the parts name went there: images of the HTML and the stylesheet, the stylesheet
    assert shipped == {"@@root@@/manuscript/figures/square.png", "@@root@@/manuscript/figures/chart.svg",
                       "@@root@@/styles/custom.css", "@@root@@/styles/mark.png"}


def test_the_layout_cache_stays_here(cluster, reference):
    """After a one-chapter edit, only that chapter (and the front, whose contents it may move) is
    sent: the cache here was read before sending; what came back was written into it here."""
    running, client = cluster
    root, _ = reference
    fresh(root)
    orchestrate.build(load(root / "book.toml"), ["pdf"], epoch=EPOCH, cluster=running.scheduler_address)
    assert list((root / ".spindle-cache").rglob("*.pdf")), "no part PDF in the cache here"
    chapter = root / "manuscript" / "02-beta.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    try:
        with distributed.get_task_stream(client) as stream:
            orchestrate.build(load(root / "book.toml"), ["pdf"], epoch=EPOCH, cluster=running.scheduler_address)
    finally:
        chapter.write_text(tinybook.BETA, encoding="utf-8")
    names = [n for names in parts_by_worker(stream.data).values() for n in names]
    assert "beta" in names and set(names) <= {"beta", "front"}, names
    assert "alpha" not in names and "talk" not in names  # from the cache here


def test_a_worker_killed_mid_build_still_completes_the_book(cluster, reference):
    running, client = cluster
    root, expected = reference
    fresh(root)
    with WorkerKiller(client, ("spindle-part-", "spindle-number-")) as killer:
        orchestrate.build(load(root / "book.toml"), epoch=EPOCH, cluster=running.scheduler_address)
    killed = killer.killed
    assert killed, "no worker was seen laying out a part"
    assert digests(root / "build") == expected
    running.wait_for_workers(2, timeout=60)  # the nanny starts a new worker


def test_a_long_title_among_short_ones_spreads_its_parts(cluster, tmp_path):
    """Two titles, one far longer than the other: the short one is sent whole, the long one
    is built here with its parts on both workers; the same bytes as the series built here."""
    running, client = cluster
    here = tmp_path / "here"
    make_series(here, 2, editions=("pdf",))
    long_title(here / "one-a", chapters=4)
    there = tmp_path / "there"
    shutil.copytree(here, there)
    # (the PDFs name their images by URL: a series without images builds the same bytes in another folder)
    done = series.build(load_series(here / "series.toml"), epoch=EPOCH, jobs=1)
    assert not done.failed, done.failed
    seen: list[str] = []
    with distributed.get_task_stream(client) as stream:
        done = series.build(load_series(there / "series.toml"), cluster=running.scheduler_address, epoch=EPOCH,
                            report=seen.append)
    assert not done.failed, done.failed
    assert "one-a: building here, its parts laid out on the cluster" in seen
    assert sum("sent to the cluster" in line for line in seen) == 1  # two-b whole
    keys = [str(t["key"]) for t in stream.data]
    parts = [k for k in keys if k.startswith("spindle-part-")]
    assert len(parts) >= 5 and all("@one-a-" in k for k in parts)  # the long title's 5 parts, laid out there
    # the work spread over both workers (the short title whole on one, the long one's parts wherever free)
    assert {t["worker"] for t in stream.data if str(t["key"]).startswith("spindle-")} == set(
        running.scheduler_info["workers"])
    titles = {str(t["key"]).rsplit("-", 1)[0] for t in stream.data if str(t["key"]).startswith("spindle-")
              and not str(t["key"]).startswith(("spindle-part-", "spindle-number-", "spindle-drop-"))}
    assert titles == {"spindle-two-b"}
    assert digests(there / "build") == digests(here / "build")


def long_title(folder: Path, chapters: int) -> None:
    """Title one-a with *chapters* chapters of a page or two each."""
    files = []
    for n in range(1, chapters + 1):
        name = f"manuscript/{n:02d}-chapter.md"
        text = "A longer paragraph of the long title, to fill a page or two. " * 25
        (folder / name).write_text(f"---\ntitle: Chapter {n}\n---\n" + f"{text}\n\n" * 2, encoding="utf-8")
        files.append(f'"{name}"')
    config = folder / "book.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('chapters = ["manuscript/01-opening.md"]', f"chapters = [{', '.join(files)}]"),
                      encoding="utf-8")


def test_the_command_line_lays_a_book_out_on_the_cluster(cluster, tmp_path, monkeypatch, capsys):
    from spindle.cli import run

    running, _ = cluster
    make(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run(["build", "pdf", "-v", "--cluster", running.scheduler_address]) == 0
    err = capsys.readouterr().err
    # (the screen PDF is made from the print edition's layout, which is what the workers laid out)
    # (a part laid out again when its side of the spread changes: chapters open on a right-hand page;
    # the front matter and three chapters, and the signature padding's blank pages, a part of their own)
    assert re.search(r"print: laid out in 5 parts \([5-8] laid out now, the others from the cache\), 2 workers", err), err
    assert "pdf: made from the print edition's layout" in err, err
    assert (tmp_path / "build" / "tiny-book.pdf").is_file()


def test_no_scheduler_for_a_book_is_a_one_line_error_and_leaves_the_outputs(tmp_path, monkeypatch, capsys):
    from spindle.build import remote
    from spindle.cli import run

    monkeypatch.setattr(remote, "CONNECT_TIMEOUT", "2s")
    make(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "tiny-book.pdf").write_bytes(b"the previous build")
    assert run(["build", "pdf", "--cluster", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --cluster tcp://127.0.0.1:9: no Dask scheduler answers there") and err.count("\n") == 1
    assert (tmp_path / "build" / "tiny-book.pdf").read_bytes() == b"the previous build"


def test_an_image_changed_between_two_builds_on_the_same_workers_is_the_new_one(cluster, tmp_path):
    """The workers outlive a build and the URLs are the build's own: a worker must not lay a part out
    with the image it read for an earlier build."""
    import io

    import pikepdf
    from PIL import Image

    running, _ = cluster
    make(tmp_path)
    square = tmp_path / "manuscript" / "figures" / "square.png"

    def colours() -> set:
        found = set()
        with pikepdf.open(tmp_path / "build" / "tiny-book.pdf") as pdf:
            for page in pdf.pages:
                for _, raw in page.images.items():
                    image = pikepdf.PdfImage(raw).as_pil_image().convert("RGB")
                    found.add(image.getpixel((0, 0)))
        return found

    for colour in ((200, 30, 30), (30, 30, 200)):
        out = io.BytesIO()
        Image.new("RGB", (4, 4), colour).save(out, "PNG")
        square.write_bytes(out.getvalue())
        orchestrate.build(load(tmp_path / "book.toml"), ["pdf"], epoch=EPOCH, cluster=running.scheduler_address)
        assert colour in colours()
