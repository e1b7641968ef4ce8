"""What the checks report (``spindle check``'s lint, the print preflight): findings, each
at a level, and their errors and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Findings:
    findings: list = field(default_factory=list)  # each with a .level: "error", "warning", ...

    @property
    def errors(self) -> list:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list:
        return [f for f in self.findings if f.level == "warning"]

    def summary(self) -> str:
        return f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
