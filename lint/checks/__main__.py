"""Command line: `python -m lint.checks [--root DIR] PATH...`; exits 1 on any violation."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from lint.checks.runner import check_paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lint.checks", description=__doc__)
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="project root: rule scopes and reported paths are relative to it (default: .)",
    )
    arguments = parser.parse_args(argv)

    violations = check_paths(arguments.paths, arguments.root)
    sys.stdout.writelines(f"{violation}\n" for violation in violations)
    if violations:
        counts = Counter(violation.rule for violation in violations)
        summary = ", ".join(f"{rule} {count}" for rule, count in sorted(counts.items()))
        sys.stderr.write(f"lint.checks: {len(violations)} violation(s): {summary}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
