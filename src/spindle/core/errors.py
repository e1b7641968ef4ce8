"""One exception tree. Every error a user can cause is a SpindleError with a
one-line message naming the place (file, line) and what to do."""

from __future__ import annotations

from pathlib import Path


class SpindleError(Exception):
    """Base of all errors spindle reports to the user (never with a traceback)."""

    exit_code = 1

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:"
            if self.line is not None:
                where += f"{self.line}:"
            where += " "
        return f"{where}{self.message}"


class ConfigError(SpindleError):
    """book.toml is missing, unreadable or invalid (usage error: exit 2)."""

    exit_code = 2


class ManuscriptError(SpindleError):
    """A manuscript file is missing or invalid."""


class TemplateError(SpindleError):
    """A theme template is missing or fails to render."""


class BuildError(SpindleError):
    """An edition could not be written."""


class InternalError(BuildError):
    """A bug in spindle, not a mistake in the book (core/crash.py): one line naming what spindle was
    doing and the file that holds the traceback (written before this is raised)."""

    def __init__(self, doing: str, report: str | None, outputs: bool = True):
        self.doing, self.report = doing, report
        where = (f"its traceback is in {report}; please report it to spindle's maintainers with that file"
                 if report is not None else "please report it to spindle's maintainers (its traceback "
                 "could not be written to a file)")
        super().__init__(f"internal error while {doing} (a bug in spindle, not in the book): {where}"
                         + ("; the previous outputs are as they were" if outputs else ""))


class TranscriptError(ManuscriptError):
    """An interview transcript cannot be read, recognised or mapped to speakers."""


class ManuscriptProblems(ManuscriptError):
    """The manuscript has errors (diagnostics of level "error"), all of them found in one pass.

    With one error, the exception reads as that error (``path:line: message``); with more, as their
    count, and the CLI prints each one first (``error: path:line: message``), with the warnings."""

    def __init__(self, diagnostics):
        self.diagnostics = tuple(diagnostics)
        self.errors = tuple(d for d in self.diagnostics if d.level == "error")
        if len(self.errors) == 1:
            only = self.errors[0]
            super().__init__(only.message, only.path, only.line)
        else:
            first = self.errors[0] if self.errors else None
            super().__init__(f"{len(self.errors)} errors in the manuscript, the first {first}; fix them and build "
                             "again ('spindle check' lists them with their codes)" if first else
                             "errors in the manuscript")
