"""What a check found, and how to fix it: every failure carries the command or edit that fixes it.

Checks append findings instead of raising, so one preflight run lists every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Level = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    level: Level
    check: str
    message: str
    fix: str | None = None

    def render(self) -> str:
        lines = [f"{self.level.upper():4}  [{self.check}] {self.message}"]
        for i, line in enumerate((self.fix or "").splitlines()):
            lines.append(f"      fix: {line}" if i == 0 else f"           {line}")
        return "\n".join(lines)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    def passed(self, check: str, message: str) -> None:
        self.findings.append(Finding("pass", check, message))

    def warn(self, check: str, message: str, fix: str | None = None) -> None:
        self.findings.append(Finding("warn", check, message, fix))

    def fail(self, check: str, message: str, fix: str | None = None) -> None:
        self.findings.append(Finding("fail", check, message, fix))

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "fail"]

    @property
    def ok(self) -> bool:
        return not self.failures

    def of(self, check: str) -> list[Finding]:
        """Findings of one check, for callers (and tests) that care about one."""
        return [f for f in self.findings if f.check == check]

    def render(self) -> str:
        counts = {level: sum(f.level == level for f in self.findings) for level in ("pass", "warn", "fail")}
        summary = f"preflight: {counts['fail']} failed, {counts['warn']} warnings, {counts['pass']} passed"
        return "\n".join([*(f.render() for f in self.findings), summary])
