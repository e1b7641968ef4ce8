"""The theme: Jinja templates and stylesheets, the project's own folders
searched before the built-in theme, file by file."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import jinja2
from markupsafe import Markup

from spindle import __version__
from spindle.project.config import Project
from spindle.core.errors import ConfigError, TemplateError
from spindle.project.i18n import labels

BUILTIN = Path(__file__).parent  # the built-in theme: templates/, styles/ and fonts/ beside this file

# Stylesheets of each edition, in cascade order; page-settings (generated
# from book.toml) goes before custom.css so the project's CSS has the last word.
STYLESHEETS = {
    "pdf": ("fonts.css", "base.css", "paged.css", "pdf.css"),
    "print": ("fonts.css", "base.css", "paged.css", "print.css"),
    "epub": ("fonts.css", "base.css", "epub.css"),
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
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.template_dirs]),
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
