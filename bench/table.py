"""Print the latest bench/results/ of each database and size as a Markdown table (for README)."""

from __future__ import annotations

import json

from bench.operations import NAMES
from bench.run import RESULTS

OPERATIONS = ["ceiling", *NAMES]


def latest() -> list[dict]:
    """The newest report for each (database, size), smallest size first."""
    reports: dict[tuple[str, int], dict] = {}
    for path in sorted(RESULTS.glob("*.json")):
        report = json.loads(path.read_text())
        reports[(report["db"], report["tickets"])] = report
    return [reports[key] for key in sorted(reports, key=lambda key: (key[1], key[0]))]


def main() -> None:
    reports = latest()
    print("Each cell: requests/s, p99 ms, and (ratio of requests/s to the ceiling).\n")
    print("| database | tickets | " + " | ".join(OPERATIONS) + " | errors |")
    print("|---|---:|" + "---:|" * len(OPERATIONS) + "---:|")
    for report in reports:
        cells, errors = [], 0
        for name in OPERATIONS:
            row = report["operations"].get(name)
            if row is None:
                cells.append("—")
                continue
            errors += row["errors"]
            ratio = "" if name == "ceiling" else f" ({row['ratio_to_ceiling']:.2f})"
            cells.append(f"{row['requests_per_s']:.0f}, {row['p99_ms']:.0f}{ratio}")
        print(f"| {report['db']} | {report['tickets']:,} | " + " | ".join(cells) + f" | {errors} |")
    if reports:
        machine = reports[-1]["machine"]
        cpu = machine["cpu"]
        if "cpu_model" in machine:
            cpu += f" ({machine['cpu_model']}, {machine.get('cpu_mhz', '?')} MHz)"
        print(
            f"\nMachine: {cpu}, {machine['cpus']} CPUs, {machine['system']}, "
            f"Python {machine['python']}, SQLite {machine['sqlite']}"
            + (f", PostgreSQL {machine['postgresql']}" if "postgresql" in machine else "")
        )


if __name__ == "__main__":
    main()
