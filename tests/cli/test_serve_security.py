"""The preview server, hardened (issue 15, point 8), each item against a running `spindle serve`:
it binds to the loopback address only; refuses requests whose Host is not a loopback name (DNS
rebinding); serves no file outside the project's assets and the theme (encoded '..', symlinks
out, hidden files, the manuscript's sources); lists no directory; bounds what a request may
send; stays up under 200 concurrent requests; and its rebuilds take the project's build lock."""

from __future__ import annotations

import fcntl
import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import tinybook

SRC = Path(__file__).resolve().parents[2] / "src"


class Server:
    def __init__(self, root: Path):
        self.root = root
        self.output: list[str] = []
        self.lines: queue.Queue[str] = queue.Queue()
        self.proc = subprocess.Popen([sys.executable, "-m", "spindle", "serve", "--port", "0", "-v"], cwd=root,
                                     env={**os.environ, "PYTHONPATH": str(SRC)}, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 60
        while True:
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            m = re.search(r"at http://127\.0\.0\.1:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)

    def raw(self, request: bytes, timeout: float = 20) -> bytes:
        """Send *request* as it is; the whole answer (until the server closes)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(request)
            chunks = []
            while True:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)

    def get(self, path: str, host: str | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", f"127.0.0.1:{self.port}" if host is None else host)
            connection.endheaders()
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def alive(self) -> bool:
        return self.proc.poll() is None and self.get("/styles/custom.css")[0] == 200

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc.stdout.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("serve-security")
    root = base / "book"
    tinybook.make(root)
    (root / "styles").mkdir()
    (root / "styles" / "custom.css").write_text("h2 { color: rgb(10, 20, 30); }\n", encoding="utf-8")
    (root / ".secret.css").write_text("hidden\n", encoding="utf-8")
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(tinybook.png())
    (outside / "secret.css").write_text("SECRET-OUTSIDE\n", encoding="utf-8")
    os.symlink(outside / "secret.png", root / "manuscript" / "figures" / "link-out.png")
    os.symlink(outside, root / "styles" / "linked-folder")
    server = Server(root)
    yield server
    assert server.stop() == 0, "".join(server.output)


def test_it_listens_on_the_loopback_address_only(server):
    listening = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    ours = [fields[1] for fields in listening if fields[3] == "0A" and fields[1].endswith(f":{server.port:04X}")]
    assert ours == [f"0100007F:{server.port:04X}"]  # 127.0.0.1, not 0.0.0.0
    v6 = Path("/proc/net/tcp6")
    if v6.exists():
        assert not any(line.split()[1].endswith(f":{server.port:04X}") for line in v6.read_text().splitlines()[1:])
    for address in [a for a in _own_addresses() if not a.startswith("127.")]:
        with pytest.raises(OSError):
            socket.create_connection((address, server.port), timeout=3).close()


def _own_addresses() -> list[str]:
    found = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return [a for a in found if ":" not in a]


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:{port}", "127.0.0.1.nip.io:{port}",
                                  "localhost.attacker.example:{port}", "127.0.0.1:1", "0.0.0.0:{port}",
                                  "[::1]:{port}", "", "127.0.0.1:{port}@attacker.example", "LOCALHOST:{port}x"])
def test_a_host_that_is_not_a_loopback_name_is_refused(server, host):
    status, body = server.get("/", host=host.format(port=server.port))
    assert status == 403 and b"<html" not in body.lower()
    status, _ = server.get("/styles/custom.css", host=host.format(port=server.port))
    assert status == 403


def test_loopback_names_are_served_and_a_request_without_host_is_refused(server):
    assert server.get("/", host=f"localhost:{server.port}")[0] == 200
    assert server.get("/", host=f"127.0.0.1:{server.port}")[0] == 200
    answer = server.raw(b"GET / HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 403")


@pytest.mark.parametrize("path", [
    "/../book.toml", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/%2E%2E/etc/hostname", "/manuscript/..%2f..%2f..%2fetc/passwd",
    "/%252e%252e/%252e%252e/etc/passwd", "/..%5c..%5cetc%5cpasswd", "/manuscript/figures/%2e%2e/%2e%2e/book.toml",
    "/%c0%ae%c0%ae/etc/passwd", "/styles/custom.css%00.png", "//etc/passwd", "/etc/passwd",
    "/_theme/../__init__.py", "/_theme/templates/book.html", "/_theme/%2e%2e/__init__.py",
    "/manuscript/figures/link-out.png", "/styles/linked-folder/secret.css", "/.secret.css", "/.spindle-cache/lock",
    "/book.toml", "/manuscript/01-alpha.md", "/manuscript/talk.vtt", "/build/tiny-book.epub",
])
def test_nothing_outside_the_assets_is_served(server, path):
    status, body = server.get(path)
    assert status == 404, (path, status)
    assert b"SECRET-OUTSIDE" not in body and b"root:" not in body


def test_an_absolute_form_request_reaches_only_the_preview(server):
    answer = server.raw(f"GET http://attacker.example/../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                        "Connection: close\r\n\r\n".encode())
    assert answer.split(b"\r\n", 1)[0] in (b"HTTP/1.0 404 Not Found", b"HTTP/1.1 404 Not Found"), answer[:80]
    assert b"root:" not in answer


@pytest.mark.parametrize("path", ["/manuscript/", "/manuscript", "/manuscript/figures/", "/styles/", "/_theme/styles/",
                                  "/_theme/", "/_theme/fonts/", "/build/", "/styles/linked-folder/"])
def test_no_directory_is_listed(server, path):
    status, body = server.get(path)
    assert status == 404, (path, status)
    assert b"custom.css" not in body and b"square.png" not in body


def test_the_assets_themselves_are_served(server):
    assert server.get("/styles/custom.css") == (200, b"h2 { color: rgb(10, 20, 30); }\n")
    status, body = server.get("/manuscript/figures/square.png")
    assert status == 200 and body == (server.root / "manuscript" / "figures" / "square.png").read_bytes()
    assert server.get("/_theme/styles/base.css")[0] == 200


def test_request_sizes_are_bounded(server):
    huge_line = server.raw(b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert huge_line.split(b"\r\n", 1)[0].split(b" ")[1] == b"414", huge_line[:80]
    many = b"".join(b"X-%d: y\r\n" % n for n in range(150))
    too_many = server.raw(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % server.port + many + b"\r\n")
    assert too_many.split(b"\r\n", 1)[0].split(b" ")[1] == b"431", too_many[:80]
    long_header = server.raw(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Long: " % server.port + b"b" * 70_000 + b"\r\n\r\n")
    assert long_header.split(b"\r\n", 1)[0].split(b" ")[1] in (b"400", b"431"), long_header[:80]
    # a request with a large body: not read, refused at once
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 1000000000\r\n\r\n" % server.port + b"z" * 4096)
        answer = s.recv(4096)
    assert answer.split(b"\r\n", 1)[0].split(b" ")[1] == b"501", answer[:80]
    assert time.monotonic() - started < 10
    assert server.alive()


def test_it_stays_up_under_200_concurrent_requests(server):
    paths = ["/", "/styles/custom.css", "/manuscript/figures/square.png", "/_theme/styles/base.css", "/nothing"]
    expected = {"/nothing": 404}

    def one(n: int) -> tuple[str, int]:
        path = paths[n % len(paths)]
        return path, server.get(path)[0]

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(one, range(200)))
    assert len(answers) == 200
    assert all(status == expected.get(path, 200) for path, status in answers), answers
    assert time.monotonic() - started < 120
    # 200 connections opened at once and left idle do not stop it either
    sockets = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(200)]
    try:
        assert server.alive()
    finally:
        for s in sockets:
            s.close()
    assert server.alive()


def test_its_rebuilds_take_the_projects_build_lock(server):
    folder = server.root / ".spindle-cache"
    folder.mkdir(exist_ok=True)
    fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a `spindle build` holding it would
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        assert server.get("/pdf")[0] == 200  # asks for the PDF preview: a build
        deadline = time.monotonic() + 60
        while not any("waiting for another build of this project" in line for line in server.output):
            assert time.monotonic() < deadline, "".join(server.output)
            time.sleep(0.1)
        assert not (server.root / "build" / "preview" / "tiny-book.pdf").exists()
    finally:
        os.close(fd)  # released: the preview's build goes on
    deadline = time.monotonic() + 120
    while not (server.root / "build" / "preview" / "tiny-book.pdf").exists():
        assert time.monotonic() < deadline, "".join(server.output)
        time.sleep(0.2)
    assert any("preview: pdf PDF rebuilt" in line for line in server.output), "".join(server.output)


def test_a_build_during_a_preview_rebuild_both_end_correctly(server):
    """`spindle build all` while the preview rebuilds its PDF: one waits for the other; both end."""
    import zipfile

    import pikepdf

    assert server.get("/pdf")[0] == 200
    before = sum("preview: pdf PDF rebuilt" in line for line in server.output)
    chapter = server.root / "manuscript" / "02-beta.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("Beta text.", "Beta text, edited while serving."),
                       encoding="utf-8")
    build = subprocess.Popen([sys.executable, "-m", "spindle", "build", "all", "-q"], cwd=server.root,
                             env={**os.environ, "PYTHONPATH": str(SRC)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    _, err = build.communicate(timeout=180)
    assert build.returncode == 0, err
    assert "Traceback" not in err
    deadline = time.monotonic() + 120
    while sum("preview: pdf PDF rebuilt" in line for line in server.output) <= before:
        assert time.monotonic() < deadline, "".join(server.output)
        time.sleep(0.2)
    for name in ("tiny-book.pdf", "tiny-book-print.pdf", "tiny-book-cover.pdf", "preview/tiny-book.pdf"):
        with pikepdf.open(server.root / "build" / name) as pdf:
            assert len(pdf.pages) > 0
    with zipfile.ZipFile(server.root / "build" / "tiny-book.epub") as z:
        assert z.testzip() is None
        assert any(b"edited while serving" in z.read(n) for n in z.namelist() if n.endswith(".xhtml"))
    assert server.alive()
