"""The theme: Jinja templates and stylesheets, the project's own folders
searched before the built-in theme, file by file."""

from __future__ import annotations

import functools
import sys
import types
from pathlib import Path, PurePath

import jinja2
import jinja2.sandbox
from markupsafe import Markup

from spindle import __version__
from spindle.project.config import Project
from spindle.core.errors import ConfigError, TemplateError
from spindle.project.i18n import labels

BUILTIN = Path(__file__).parent  # the built-in theme: templates/, styles/ and fonts/ beside this file

# Stylesheets of each edition, in cascade order; page-settings (generated
# from book.toml) goes before custom.css so the project's CSS has the last word.
STYLESHEETS = {
    "pdf": ("fonts.css", "base.css", "code.css", "callouts.css", "paged.css", "pdf.css"),
    "print": ("fonts.css", "base.css", "code.css", "callouts.css", "paged.css", "print.css"),
    "epub": ("fonts.css", "base.css", "code.css", "callouts.css", "epub.css"),
    "cover": ("fonts.css", "base.css", "cover.css"),
}
CUSTOM = "custom.css"
FONTS = tuple(sorted(p.name for p in (BUILTIN / "fonts").glob("*.otf")))


class Theme:
    def __init__(self, project: Project):
        self.project = project
        theme = project.config.theme
        for key in ("templates", "styles"):
            folder = project.path(getattr(theme, key))
            if folder != project.root and project.root not in folder.parents:
                raise ConfigError(f"theme.{key}: '{getattr(theme, key)}' lies outside the project; use a folder inside it",
                                  project.display(project.config_path))
        # a series' shared theme sits between the book's own folders and the built-in theme
        shared_templates = [project.shared_templates] if project.shared_templates else []
        shared_styles = [project.shared_styles] if project.shared_styles else []
        self.template_dirs = [project.path(theme.templates), *shared_templates, BUILTIN / "templates"]
        self.style_dirs = [project.path(theme.styles), *shared_styles, BUILTIN / "styles"]
        self.font_dir = BUILTIN / "fonts"

    @functools.cached_property
    def env(self) -> jinja2.Environment:
        # Templates may come with an untrusted project: the sandbox keeps them from Python's
        # internals (no _attributes, no unsafe callables), and the loader from any file that
        # is not inside the theme's folders once symlinks are resolved.
        env = _Sandbox(
            loader=_ThemeLoader([str(d) for d in self.template_dirs], shown=self._shown_path),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        env.globals.update(version=__version__, labels_for=labels)
        return env

    def stylesheet(self, name: str) -> Path:
        for folder in self.style_dirs:
            path = folder / name
            if path.is_file():
                return path
        raise TemplateError(f"stylesheet '{name}' not found in the project's styles/ or the theme")

    def stylesheets(self, edition: str) -> list[Path]:
        return [self.stylesheet(name) for name in STYLESHEETS[edition]]

    def custom_stylesheet(self) -> Path:
        return self.stylesheet(CUSTOM)

    def render(self, name: str, **context) -> str:
        try:
            template = self.env.get_template(name)
            return template.render(**context)
        except jinja2.TemplateNotFound as exc:
            path, line = _template_frame(sys.exc_info()[2])
            raise TemplateError(
                f"template '{exc.name}' not found; add it to the project's templates/ or fix the name",
                self._shown_path(path) if path else self._shown(name), line,
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"template syntax error: {exc.message}", self._shown(exc.name or name), exc.lineno) from None
        except jinja2.sandbox.SecurityError as exc:
            path, line = _template_frame(sys.exc_info()[2])
            raise TemplateError(f"template not allowed to do this: {str(exc).rstrip('.')}; templates may only use the book's data",
                                self._shown_path(path) if path else self._shown(name), line) from None
        except OverflowError as exc:
            path, line = _template_frame(sys.exc_info()[2])
            raise TemplateError(f"{str(exc).rstrip('.')}; use a smaller range",
                                self._shown_path(path) if path else self._shown(name), line) from None
        except RecursionError:
            path, line = _template_frame(sys.exc_info()[2])
            raise TemplateError("templates include or call each other without end; break the cycle",
                                self._shown_path(path) if path else self._shown(name), line) from None
        except jinja2.UndefinedError as exc:
            path, line = _template_frame(sys.exc_info()[2])
            raise TemplateError(
                f"{exc.message}; check the variable name (see the theme's templates for what is available)",
                self._shown_path(path) if path else self._shown(name), line,
            ) from None

    def _shown(self, name: str) -> str:
        for folder in self.template_dirs:
            if (folder / name).is_file():
                return self._shown_path(str(folder / name))
        return f"templates/{name}"

    def _shown_path(self, path: str) -> str:
        p = Path(path)
        try:
            return str(p.resolve().relative_to(self.project.root))
        except ValueError:
            return f"(built-in theme) {p.relative_to(BUILTIN)}" if BUILTIN in p.parents else str(p)


_PURE_PATH = frozenset({"name", "stem", "suffix", "suffixes", "parts", "as_posix"})
_IO_MODULES = frozenset({"os", "io", "posix", "pathlib", "shutil", "subprocess", "socket", "tempfile", "importlib", "sys"})


class _Sandbox(jinja2.sandbox.SandboxedEnvironment):
    """Jinja's sandbox, which refuses _attributes and unsafe callables; on top of that a
    template may not reach modules or anything that touches files: of a path only its
    name and parts (a template reading ``book.project.root.joinpath(...).read_text()``
    would otherwise see any file)."""

    def is_safe_attribute(self, obj, attr, value) -> bool:
        if isinstance(value, types.ModuleType) or isinstance(obj, types.ModuleType):
            return False
        if isinstance(obj, PurePath) and attr not in _PURE_PATH:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def is_safe_callable(self, obj) -> bool:
        if isinstance(getattr(obj, "__self__", None), PurePath):
            return False
        module = getattr(obj, "__module__", None) or type(obj).__module__ or ""
        if module.split(".")[0] in _IO_MODULES:
            return False
        return super().is_safe_callable(obj)


class _ThemeLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that refuses a template whose real path (symlinks resolved) lies
    outside the folder it was found in."""

    def __init__(self, searchpath, shown):
        super().__init__(searchpath)
        self.shown = shown

    def get_source(self, environment, template):
        try:
            source, filename, uptodate = super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            found = next((Path(d) / template for d in self.searchpath if (Path(d) / template).is_file()), None)
            line = exc.object[: exc.start].count(b"\n") + 1 if isinstance(exc.object, bytes) else None
            raise TemplateError("not valid UTF-8; save the template as UTF-8",
                                self.shown(str(found)) if found else f"templates/{template}", line) from None
        real = Path(filename).resolve()
        if not any(Path(d).resolve() in real.parents for d in self.searchpath):
            raise TemplateError(f"template '{template}' leads outside the theme's folders (a symlink?); "
                                "keep templates inside templates/", f"templates/{template}")
        return source, filename, uptodate


def _template_frame(tb) -> tuple[str | None, int | None]:
    """The innermost traceback frame that belongs to a template file."""
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xhtml", ".css", ".xml")):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def markup(text: str) -> Markup:
    return Markup(text)
