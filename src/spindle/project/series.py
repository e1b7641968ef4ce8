"""series.toml: a repository of books published as one series.

The file sits at the repository root and lists the books (folders, each with its own book.toml),
the series' metadata and a shared theme. It is typed and validated like book.toml: errors name
the file, the key path and the line. :func:`book_project` loads one title as a ``Project`` whose
series name, number and publisher come from the series unless its own book.toml says otherwise,
and whose theme searches the book's own templates/ and styles/, then the series' shared ones,
then the built-in theme."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from spindle.core.errors import ConfigError
from spindle.project.config import Language, Project, Series, _opt, line_of, load, slugify
from spindle.project.schema import SchemaError, convert

FILE = "series.toml"
EDITIONS = ("pdf", "epub", "print")


@dataclass(frozen=True)
class SeriesMetadata:
    name: str = _opt(help="The series' title, printed in each title's metadata and heading the catalogue")
    publisher: str = _opt("", help="Publisher of the series (a book's own book.publisher wins)")
    description: str = _opt("", help="A paragraph about the series, for the catalogue and the index page")
    language: Language = _opt("en", help="Language of the catalogue and the index page: en or nl")
    identifier: str = _opt("", help="The catalogue feed's id (default: a URN derived from the name)")
    url: str = _opt("", help="Address where the output folder is published (makes the feed's links absolute)")

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("name: must not be empty")
        if self.url and not re.fullmatch(r"https?://[^\s]+", self.url):
            raise ValueError(f"url: expected an http:// or https:// address, got {self.url!r}")

    @property
    def slug(self) -> str:
        return slugify(self.name)


@dataclass(frozen=True)
class BookEntry:
    folder: str = _opt(help="The book's folder (holding its book.toml), relative to series.toml")
    number: int | None = _opt(None, help="The title's number in the series (default: its place in the list)")

    @classmethod
    def from_scalar(cls, value: object) -> dict:
        if isinstance(value, str):
            return {"folder": value}
        raise ValueError(f"expected a folder name or a table with folder and number, got {value!r}")

    def __post_init__(self) -> None:
        posix = PurePosixPath(self.folder)
        if not self.folder.strip() or posix.is_absolute() or ".." in posix.parts or "\\" in self.folder:
            raise ValueError(f"folder: expected a folder inside the series, such as 'book-one', got {self.folder!r}")
        if self.number is not None and self.number < 1:
            raise ValueError(f"number: expected 1 or more, got {self.number}")


@dataclass(frozen=True)
class SharedTheme:
    templates: str = _opt("templates", help="Folder of the series' shared templates (a book's own templates/ wins)")
    styles: str = _opt("styles", help="Folder of the series' shared stylesheets and the fonts they use "
                                      "(a book's own styles/ wins)")


@dataclass(frozen=True)
class BuildSettings:
    out: str = _opt("build", help="Output folder: each book's editions go to OUT/FOLDER/, the catalogue "
                                  "(catalogue.xml) and index.html to OUT/")
    editions: tuple[str, ...] = _opt(EDITIONS, help="Editions built for every title: pdf, epub, print")
    cluster: str = _opt("", help="Address of a Dask scheduler (tcp://HOST:8786) to build the books on; "
                                 "empty: local processes (needs spindle[cluster])")
    retries: int = _opt(2, help="With a cluster: times a book is sent again when its worker dies")

    def __post_init__(self) -> None:
        for edition in self.editions:
            if edition not in EDITIONS:
                raise ValueError(f"editions: expected pdf, epub or print, got {edition!r}")
        if self.cluster and not re.fullmatch(r"(tcp|tls|inproc|ucx|ws|wss)://\S+", self.cluster):
            raise ValueError(f"cluster: expected a scheduler address such as 'tcp://HOST:8786', got {self.cluster!r}")
        if not 0 <= self.retries <= 10:
            raise ValueError(f"retries: expected 0 to 10, got {self.retries}")
        posix = PurePosixPath(self.out)
        if posix.is_absolute() or ".." in posix.parts or not self.out.strip():
            raise ValueError(f"out: expected a folder inside the series, got {self.out!r}")


@dataclass(frozen=True)
class SeriesConfig:
    series: SeriesMetadata = _opt(help="Series metadata")
    books: tuple[BookEntry, ...] = _opt(factory=tuple, help="The titles in series order: folders, or tables "
                                                               "with folder and number")
    theme: SharedTheme = _opt(factory=SharedTheme, help="The theme every title shares")
    build: BuildSettings = _opt(factory=BuildSettings, help="How the series is built")


@dataclass(frozen=True)
class Title:
    """One book of the series: its folder, its number, and where its editions go."""

    folder: str
    number: int


@dataclass(frozen=True)
class Workspace:
    """A loaded series: the root folder, series.toml and the validated config."""

    root: Path
    config_path: Path
    config: SeriesConfig
    titles: tuple[Title, ...]
    out_dir: Path | None = None  # spindle build --out (else build.out)

    def path(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    @property
    def out(self) -> Path:
        return self.out_dir if self.out_dir is not None else self.path(self.config.build.out)

    def writing_to(self, folder: Path) -> "Workspace":
        """This series with its outputs going to *folder* (``spindle build --out``): any folder
        but one inside a book (a book's own build would then read its outputs as its files)."""
        out = Path(folder).resolve()
        for title in self.titles:
            book = (self.root / title.folder).resolve()
            if out == book or book in out.parents:
                raise ConfigError(f"--out {folder}: it lies inside the book '{title.folder}'; choose a folder "
                                  "beside the books")
        return dataclasses.replace(self, out_dir=out)

    def out_for(self, title: Title) -> Path:
        return self.out / title.folder

    def title(self, name: str) -> Title:
        """A title by its folder (as listed, or with a trailing slash)."""
        wanted = name.rstrip("/")
        for title in self.titles:
            if title.folder.rstrip("/") == wanted:
                return title
        known = ", ".join(t.folder for t in self.titles)
        raise ConfigError(f"no book '{name}' in the series; the books are: {known}", FILE)


def find(start: Path) -> Path | None:
    """series.toml in *start*, if there is one."""
    path = start / FILE
    return path if path.is_file() else None


def load_series(config_path: str | Path) -> Workspace:
    path = Path(config_path)
    shown = str(config_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no such file; write a series.toml listing the books' folders", shown) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", shown) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        msg = re.sub(r"\s*\(at line.*\)", "", str(exc))
        raise ConfigError(f"invalid TOML: {msg}; fix the syntax", shown, int(m.group(1)) if m else None) from None

    def fail(key_path: tuple[str, ...], message: str) -> ConfigError:
        dotted = SchemaError(key_path, message).dotted
        return ConfigError(f"{dotted}: {message}", shown, line_of(text, key_path))

    try:
        config = convert(data, SeriesConfig)
    except SchemaError as exc:
        raise fail(exc.path, exc.message) from None
    root = path.resolve().parent
    if not config.books:
        raise fail(("books",), "list at least one book folder, e.g. books = [\"book-one\"]")
    titles, folders, numbers = [], {}, {}
    for i, entry in enumerate(config.books):
        folder = PurePosixPath(entry.folder).as_posix()
        where = ("books", str(i), "folder") if isinstance(data.get("books", [None])[i], dict) else ("books", str(i))
        if folder in folders:
            raise fail(where, f"'{folder}' is listed twice (also books[{folders[folder]}])")
        if root not in (root / folder).resolve().parents:
            raise fail(where, f"'{folder}' leads outside the series (a link?); keep every book inside it")
        if not (root / folder / "book.toml").is_file():
            raise fail(where, f"no book.toml in '{folder}'; create the book there (spindle init {folder}) or fix the folder")
        number = entry.number if entry.number is not None else i + 1
        if number in numbers:
            raise fail(where, f"number {number} is also {numbers[number]}'s; give each title its own number")
        folders[folder], numbers[number] = i, folder
        titles.append(Title(folder, number))
    out = (root / config.build.out).resolve()
    for title in titles:
        book = (root / title.folder).resolve()
        if out == book or book in out.parents:
            raise fail(("build", "out"), f"'{config.build.out}' lies inside the book '{title.folder}'; choose a folder beside the books")
    for key in ("templates", "styles"):
        folder = (root / getattr(config.theme, key)).resolve()
        if folder != root and root not in folder.parents:
            raise fail(("theme", key), f"'{getattr(config.theme, key)}' lies outside the series; use a folder inside it")
    return Workspace(root=root, config_path=path.resolve(), config=config, titles=tuple(titles))


def book_project(workspace: Workspace, title: Title) -> Project:
    """The title's Project, with the series' name, number, publisher and shared theme."""
    try:
        project = load(workspace.root / title.folder / "book.toml")
    except ConfigError as exc:  # named from the series root
        raise ConfigError(exc.message, f"{title.folder.rstrip('/')}/book.toml", exc.line) from None
    meta = project.config.book
    series = meta.series or Series(name=workspace.config.series.name)
    if series.number is None:
        series = dataclasses.replace(series, number=title.number)
    meta = dataclasses.replace(meta, series=series, publisher=meta.publisher or workspace.config.series.publisher)
    theme = workspace.config.theme
    return dataclasses.replace(project, config=dataclasses.replace(project.config, book=meta),
                               shared_templates=workspace.path(theme.templates),
                               shared_styles=workspace.path(theme.styles))
