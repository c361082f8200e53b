"""What every stage notebook needs first: its period, settings and folders.

Notebooks receive plain parameters from Papermill (``period``, ``data``,
``mapping``, ``project_root``); :func:`open_stage` turns them into the objects
the helpers take, so the derived values live in one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpers.cleaning import Lookups
from helpers.config import Settings, load_settings, load_synonyms, load_taxonomy
from helpers.periods import Period, parse_period
from helpers.plots import use_report_style
from helpers.processed import period_dir


@dataclass(frozen=True)
class Stage:
    """The context of one stage run."""

    root: Path
    period: Period
    settings: Settings
    config_dir: Path
    out_dir: Path

    def lookups(self) -> Lookups:
        """The standardisation lists (industry taxonomy, regions, countries)."""
        return Lookups(
            taxonomy=load_taxonomy(self.config_dir),
            regions=load_synonyms(self.config_dir, "regions.yaml"),
            countries=load_synonyms(self.config_dir, "countries.yaml"),
        )


def open_stage(project_root: str | Path, period: str) -> Stage:
    """Parse the parameters, load the settings, prepare the output folder and chart style."""
    root = Path(project_root).resolve()
    parsed = parse_period(period)
    config_dir = root / "config"
    use_report_style()
    return Stage(
        root=root, period=parsed, settings=load_settings(config_dir), config_dir=config_dir,
        out_dir=period_dir(root, parsed.label),
    )
