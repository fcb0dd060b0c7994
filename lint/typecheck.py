"""Run mypy over the project and hold the exemption ledger to its one rule: it may only shrink.

mypy reads its settings from pyproject.toml (normal mode everywhere, every strict flag for the
Kafka transport, the attribution logic and the delivery machinery). This wrapper then applies
lint/mypy-exemptions.txt: errors in a listed module are tolerated, and the run fails when

- an error is in a module that is not listed (printed as mypy prints it);
- the ledger lists a module that git HEAD's ledger does not (HZ101: the ledger grew);
- a listed module has no errors left, or no longer exists (HZ102: delete the line).

The ledger is compared with git HEAD's copy by default; CI, where HEAD is the change itself,
passes `--against origin/main` (or the merge base). Without git, or before the ledger is first
committed, the growth check is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LEDGER = "lint/mypy-exemptions.txt"
TARGETS = (
    "hazelnut",
    "ingest",
    "attribution",
    "postbacks",
    "analytics",
    "proto",
    "bench",
    "lint",
    "tests",
    "manage.py",
)


@dataclass(frozen=True)
class Finding:
    """One mypy message (an error, or a note that explains the error before it)."""

    file: str
    line: int
    severity: str
    message: str
    code: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        code = f"  [{self.code}]" if self.code else ""
        text = f"{self.file}:{self.line}: {self.severity}: {self.message}{code}"
        if self.hint:
            text += "".join(f"\n{self.file}:{self.line}: note: {h}" for h in self.hint.splitlines())
        return text


def parse_ledger(text: str) -> dict[str, int]:
    """Ledger entry -> its line number; blank lines and `#` comments are skipped."""
    entries: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if entry:
            entries.setdefault(entry, number)
    return entries


def ledger_problems(
    current: str,
    baseline: str | None,
    errors_per_file: Counter[str],
    exists: set[str] | None = None,
) -> list[str]:
    """What is wrong with the ledger `current`, given HEAD's copy and this run's errors.

    `exists`, when given, is the set of entries that are files on disk.
    """
    problems = []
    entries = parse_ledger(current)
    allowed = parse_ledger(baseline) if baseline is not None else None
    for entry, number in entries.items():
        where = f"{LEDGER}:{number}:"
        if allowed is not None and entry not in allowed:
            problems.append(
                f"{where} HZ101 new exemption {entry}: the ledger may only shrink; fix the errors"
            )
        if exists is not None and entry not in exists:
            problems.append(f"{where} HZ102 {entry} does not exist; delete the line")
        elif errors_per_file[entry] == 0:
            problems.append(f"{where} HZ102 {entry} passes mypy now; delete the line")
    return problems


def head_ledger(root: Path, revision: str = "HEAD") -> str | None:
    """The ledger as committed at `revision`, or None when there is no such commit or file."""
    try:
        shown = subprocess.run(
            ["git", "show", f"{revision}:{LEDGER}"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    return shown.stdout if shown.returncode == 0 else None


def run_mypy(root: Path, targets: Iterable[str]) -> list[Finding]:
    command = [sys.executable, "-m", "mypy", "--output", "json", *targets]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        raise RuntimeError(f"mypy exited {done.returncode}:\n{done.stdout}{done.stderr}")
    findings = []
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            raw = json.loads(line)
            findings.append(
                Finding(
                    file=raw["file"],
                    line=raw["line"],
                    severity=raw["severity"],
                    message=raw["message"],
                    code=raw.get("code"),
                    hint=raw.get("hint"),
                )
            )
    return findings


def existing_targets(root: Path) -> list[str]:
    """The targets that exist and hold Python (mypy refuses an empty directory)."""
    return [
        target
        for target in TARGETS
        if (root / target).is_file() or any((root / target).rglob("*.py"))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lint.typecheck", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--against", default="HEAD", help="git revision the ledger may not outgrow")
    arguments = parser.parse_args(argv)

    try:
        findings = run_mypy(arguments.root, existing_targets(arguments.root))
    except RuntimeError as error:  # the tree does not even load (settings, plugin): say so
        sys.stderr.write(f"lint.typecheck: {error}\n")
        return 2
    return judge(findings, arguments.root, arguments.against)


def judge(findings: list[Finding], root: Path, against: str) -> int:
    """Print what fails (errors outside the ledger, then ledger problems); 1 if anything does."""
    ledger_text = (root / LEDGER).read_text(encoding="utf-8")
    exempt = set(parse_ledger(ledger_text))
    errors = Counter(f.file for f in findings if f.severity == "error")
    baseline = head_ledger(root, against)
    if baseline is None:
        sys.stderr.write(f"lint.typecheck: no {LEDGER} at {against}; growth check skipped\n")
    on_disk = {entry for entry in exempt if (root / entry).is_file()}

    reported = [f for f in findings if f.file not in exempt]
    problems = ledger_problems(ledger_text, baseline, errors, on_disk)
    sys.stdout.writelines(f"{line}\n" for line in [*map(str, reported), *problems])

    failed = sum(f.severity == "error" for f in reported) + len(problems)
    tolerated = sum(errors[entry] for entry in exempt)
    sys.stderr.write(
        f"lint.typecheck: {failed} problem(s); {tolerated} error(s) tolerated in "
        f"{len(exempt)} exempted module(s)\n"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
