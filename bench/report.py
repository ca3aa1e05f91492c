"""Write the measured figures (var/bench/*.json, from the bench_*.py scripts) into docs/performance.md.

    .venv/bin/python bench/report.py

Only the part of docs/performance.md between the two `bench:results` markers is replaced; the text around
it (how the targets were reached, what is missed and what would close it) is written by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "var" / "bench"
DOC = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"
ORDER = ["billing", "portal", "statements", "pdf", "scale"]


def _figure(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def render(results: list[dict]) -> str:
    machine = results[0]["machine"]
    lines = [
        BEGIN,
        "",
        f"Measured by `make bench` on {min(r['measured_at'] for r in results)[:10]}: {machine['cpus']} CPU cores, "
        f"{machine['memory_gib']} GiB, Python {machine['python']}, PostgreSQL {machine['postgresql']}, "
        f"Linux {machine['kernel']}. ✓ met, ✗ missed.",
        "",
        "| benchmark | measured | figure | target | |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        for row in result["rows"]:
            verdict = "" if row["met"] is None else ("✓" if row["met"] else "✗")
            lines.append(
                f"| {result['title']} | {row['what']} | {_figure(row['value'])} {row['unit']} | "
                f"{row['target']} | {verdict} |"
            )
    for result in results:
        lines += [
            "",
            f"**{result['title']}** ({result['measured_at'][:16].replace('T', ' ')} UTC). {result['details']}",
        ]
    lines += ["", END]
    return "\n".join(lines)


def main() -> int:
    files = {path.stem: path for path in RESULTS.glob("*.json")}
    if not files:
        print("No results in var/bench/: run the benchmarks first (make bench).", file=sys.stderr)
        return 1
    names = [n for n in ORDER if n in files] + sorted(set(files) - set(ORDER))
    results = [json.loads(files[name].read_text()) for name in names]
    text = DOC.read_text()
    if BEGIN not in text or END not in text:
        print(f"{DOC} has no {BEGIN} … {END} section to fill.", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(head + render(results) + tail)
    print(f"{DOC.relative_to(REPO)}: {sum(len(r['rows']) for r in results)} figures from {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
