"""A series built on a real Dask cluster (dask.distributed.LocalCluster: a scheduler and two worker
processes, each task carrying the bytes of its title's files) gives the same bytes as a build
here (SOURCE_DATE_EPOCH set); a worker killed while it builds a title does not stop the series;
a title that fails on the cluster fails alone, with its one-line error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from seriesbook import WorkerKiller, digests, make_series
from spindle.build import series
from spindle.core.errors import ConfigError
from spindle.project.series import load_series

distributed = pytest.importorskip("distributed", reason="the cluster extra (pip install 'spindle[cluster]')")

EPOCH = 1539216000


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=50) as running:
        yield running


@pytest.fixture(scope="module")
def local_build(tmp_path_factory):
    """The reference: three small books, every edition, built here."""
    root = tmp_path_factory.mktemp("here")
    make_series(root, 3)
    done = series.build(load_series(root / "series.toml"), epoch=EPOCH, jobs=1)
    assert not done.failed, done.failed
    return root


def fresh(tmp_path: Path, local_root: Path) -> Path:
    """A copy of the reference series' sources (no outputs, no cache)."""
    shutil.copytree(local_root, tmp_path / "series", ignore=shutil.ignore_patterns("build", ".spindle-cache"))
    return tmp_path / "series"


def test_the_cluster_builds_the_same_bytes_as_a_build_here(cluster, local_build, tmp_path):
    root = fresh(tmp_path, local_build)
    seen: list[str] = []
    done = series.build(load_series(root / "series.toml"), cluster=cluster.scheduler_address, epoch=EPOCH,
                        report=seen.append)
    assert not done.failed, done.failed
    workers = {b.where for b in done.books}
    assert workers <= set(cluster.scheduler_info["workers"]) and workers  # built there, not here
    assert sum("sent to the cluster" in line for line in seen) == 3
    assert digests(root / "build") == digests(local_build / "build")
    # what the cluster built is recorded here, as a build here records it: the next build (here) is a no-op
    assert recorded(root) == recorded(local_build)
    again = series.build(load_series(root / "series.toml"), epoch=EPOCH, report=seen.append)
    assert not again.failed and sum("nothing changed" in line for line in seen) == 3


def recorded(root: Path) -> dict:
    """Each title's up-to-date record: its inputs with their sizes and hashes (times differ)."""
    from spindle.build import uptodate
    from spindle.build.orchestrate import EDITIONS
    from spindle.project.series import book_project

    workspace = load_series(root / "series.toml")
    found = {}
    for title in workspace.titles:
        store, key = uptodate.slot(book_project(workspace, title), list(EDITIONS), workspace.out_for(title),
                                   strict=False, epoch=EPOCH, single_pass=False, allow_remote=False)
        inputs = store.read_json("builds", key)["inputs"]
        found[title.folder] = {path.replace(str(root.resolve()), "ROOT"): stamp if stamp is None or len(stamp) == 1
                               else (stamp[0], stamp[2]) for path, stamp in inputs.items()}
    assert all(found.values())
    return found


def test_a_cluster_build_holds_each_titles_build_lock(cluster, tmp_path, monkeypatch):
    """A title another build (here) is building waits for it, then fails alone; the others build."""
    from spindle.core import lock

    make_series(tmp_path, 2, editions=("epub",))
    monkeypatch.setattr(lock, "WAIT", 0.3)
    with lock.held(tmp_path / "two-b" / ".spindle-cache"):
        done = series.build(load_series(tmp_path / "series.toml"), cluster=cluster.scheduler_address, epoch=EPOCH)
    assert [b.title.folder for b in done.failed] == ["two-b"]
    assert done.failed[0].error.startswith("two-b: another build of this project")
    assert (tmp_path / "build" / "one-a" / "small-book-1.epub").is_file()
    assert not (tmp_path / "build" / "two-b").exists()


def test_a_worker_killed_mid_build_does_not_stop_the_series(cluster, local_build, tmp_path):
    root = fresh(tmp_path, local_build)
    with distributed.Client(cluster) as watcher:
        with WorkerKiller(watcher, ("spindle-",), poll=0.05) as killer:
            done = series.build(load_series(root / "series.toml"), cluster=cluster.scheduler_address, epoch=EPOCH)
    killed = killer.killed
    assert killed, "no worker was seen building a title"
    assert killed["keys"][0].startswith("spindle-")  # it died while building a title ...
    assert not done.failed, done.failed  # ... which another worker then built
    assert killed["address"] not in {b.where for b in done.books}
    assert digests(root / "build") == digests(local_build / "build")
    cluster.wait_for_workers(2, timeout=60)  # the nanny starts a new worker


def test_a_title_failing_on_the_cluster_fails_alone(cluster, tmp_path):
    make_series(tmp_path, 3, editions=("epub",))
    (tmp_path / "three-c" / "manuscript" / "01-opening.md").write_text("---\ntitle: [bad\n---\n", encoding="utf-8")
    done = series.build(load_series(tmp_path / "series.toml"), cluster=cluster.scheduler_address, epoch=EPOCH)
    assert [b.title.folder for b in done.failed] == ["three-c"]
    error = done.failed[0].error
    assert error.startswith("three-c/manuscript/01-opening.md:2: invalid YAML in front matter") and "\n" not in error
    assert "spindle-cluster-" not in error  # no path of the worker's temporary folder
    assert (tmp_path / "build" / "one-a" / "small-book-1.epub").is_file()
    assert (tmp_path / "build" / "two-b" / "small-book-2.epub").is_file()


def test_no_scheduler_at_the_address_is_a_one_line_error(tmp_path, monkeypatch):
    from spindle.build import remote

    monkeypatch.setattr(remote, "CONNECT_TIMEOUT", "2s")
    make_series(tmp_path, 1, editions=("epub",))
    with pytest.raises(ConfigError, match=r"^--cluster tcp://127\.0\.0\.1:9: no Dask scheduler answers there"):
        series.build(load_series(tmp_path / "series.toml"), cluster="tcp://127.0.0.1:9")


def test_the_command_line_and_series_toml_send_titles_to_the_cluster(cluster, tmp_path, monkeypatch, capsys):
    from spindle.cli import run

    make_series(tmp_path, 2, editions=("epub",))
    monkeypatch.chdir(tmp_path)
    assert run(["build", "--cluster", cluster.scheduler_address, "--book", "one-a", "-v"]) == 0
    err = capsys.readouterr().err
    assert "one-a: sent to the cluster" in err and "one-a: built on tcp://" in err
    config = tmp_path / "series.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[build]\n", f'[build]\ncluster = "{cluster.scheduler_address}"\n'), encoding="utf-8")
    assert run(["build", "-v"]) == 0
    err = capsys.readouterr().err
    assert "one-a: nothing changed since the last build" in err  # checked here, not sent
    assert "two-b: sent to the cluster" in err and "two-b: built on tcp://" in err
    assert (tmp_path / "build" / "two-b" / "small-book-2.epub").is_file()


def test_a_refused_url_survives_the_pickling_dask_installs():
    """distributed installs tblib's pickling for the exceptions it handles, which then carry their
    __context__ through pickle; a layout worker's BuildError has a RefusedURL there, and the build
    must still read the worker's answer (it could not once distributed was imported in the process)."""
    import pickle

    from tblib import pickling_support

    from spindle.core.errors import BuildError
    from spindle.editions.paged.fetcher import RefusedURL

    try:
        try:
            raise RefusedURL("file:///elsewhere/secret.png", "it lies outside the project")
        except RefusedURL as exc:
            raise BuildError(str(exc)) from None
    except BuildError as exc:
        error = exc
    pickling_support.install(BuildError)  # as importing distributed does for the exception classes defined by then
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error)
    assert again.__context__.url == "file:///elsewhere/secret.png" and again.__context__.reason.startswith("it lies")
