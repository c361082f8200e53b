"""``docs/contracts.md`` from the stage declarations: what each stage reads and writes.

The part between the markers is generated; the rest of the file is written by
hand. ``python -m helpers.pipeline.contracts`` rewrites it, and a test fails
when the file and the declarations disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from helpers.core.schema import TABLES
from helpers.io.files import write_text
from helpers.pipeline import registry
from helpers.pipeline.spec import Stage

__all__ = ["BEGIN", "END", "generated_section", "update_contracts"]

BEGIN = "<!-- BEGIN GENERATED: stage contracts (python -m helpers.pipeline.contracts) -->"
END = "<!-- END GENERATED -->"
DOC = Path(__file__).resolve().parents[3] / "docs" / "contracts.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _stage_section(stage: Stage) -> list[str]:
    catalog = registry.catalog()
    lines = [f"### Stage {stage.key[:2]}: {stage.title_en} ({stage.title_zh})", "", stage.question, ""]
    reads = [
        f"`{name}` (stage {catalog.producer(name)[:2]}{', optional' if catalog[name].optional else ''})"
        for name in stage.table_inputs
    ]
    reads += [f"{e.description} (`{e.name}`)" for e in stage.externals]
    lines += [
        f"- **Notebook:** `notebooks/{stage.notebook}`",
        f"- **Reads:** {', '.join(reads)}",
        "- **Settings:** "
        + ", ".join(
            [f"`{s}` in `config/settings.yaml`" for s in stage.sections] + [f"`config/{f}`" for f in stage.config_files]
        ),
    ]
    if stage.params:
        lines.append(
            "- **Parameters:** "
            + "; ".join(f"`{p.name}` ({p.option}, default `{p.default!r}`): {p.help}" for p in stage.params)
        )
    if stage.deliver is not None:
        summary = (stage.deliver.__doc__ or "").strip().splitlines()[0].rstrip(".")
        lines.append(
            f"- **After a good run:** {summary} — the runner calls `{stage.deliver.__module__}."
            f"{stage.deliver.__name__}` once the period is committed; `grading send --period <period>` delivers "
            "what did not go out"
        )
    lines += ["", "| output | file | one row per | holds |", "|---|---|---|---|"]
    for o in stage.outputs:
        folder = "data/processed" if o.place == "processed" else "reports"
        holds = o.description + (f": {o.columns}" if o.columns else "")
        if o.optional:
            holds += " *Written only when the data have it.*"
        lines.append(f"| `{o.name}` | `{folder}/<period>/{o.file}` | {_cell(o.row) or '—'} | {_cell(holds)} |")
    return lines + [""]


def _canonical_tables() -> list[str]:
    """Every canonical raw table and its columns (from :mod:`helpers.core.schema`): what a mapping may name."""
    lines = [
        "### The canonical tables a mapping feeds",
        "",
        "A mapping's `tables.<table>.columns`, `constants` and `derive` name these columns (kinds: `id` text key, "
        "`text`, `date`, `number`, `int` whole number, `bool` yes/no). Required columns must be mapped when the "
        "table is.",
        "",
    ]
    for table, columns in TABLES.items():
        lines += [f"**`{table}`**", "", "| column | kind | required | what it holds |", "|---|---|---|---|"]
        for c in columns.values():
            lines.append(f"| `{c.name}` | {c.kind} | {'yes' if c.required else ''} | {_cell(c.description)} |")
        lines.append("")
    return lines


def generated_section() -> str:
    """The generated part of the contracts, from the declarations."""
    lines = [
        BEGIN,
        "",
        *_canonical_tables(),
        "## 2. The stages",
        "",
        "Generated from the stage declarations (`src/helpers/<stage>/stage.py`). Column names are the contract "
        "between stages: a later stage may rely on every column listed for the tables it reads. `{period}` is "
        "the period label.",
        "",
    ]
    for stage in registry.stages():
        lines += _stage_section(stage)
    return "\n".join(lines) + END


def update_contracts(path: Path = DOC) -> bool:
    """Rewrite the generated part of ``path``; return whether it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    new = text[:start] + generated_section() + text[end:]
    if new == text:
        return False
    write_text(path, new)
    return True


if __name__ == "__main__":  # pragma: no cover - a developer's command
    changed = update_contracts()
    print(f"{DOC}: {'updated' if changed else 'already up to date'}")
    sys.exit(0)
