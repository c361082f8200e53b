"""The report look: one chart style for every notebook, with Chinese that renders on a fresh machine.

:func:`use_report_style` registers a CJK font (Noto Sans CJK SC shipped with
``mplfonts``, else a system one) before anything draws; the number formatters
keep tick labels short and readable.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import seaborn as sns
from matplotlib import font_manager

__all__ = ["chart_text", "compact", "thousands", "use_report_style"]

# System Noto CJK families to fall back on when the mplfonts package is missing.
_SYSTEM_CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC")


def _bundled_cjk_font() -> Path | None:
    """The Noto Sans CJK SC file shipped with mplfonts, when that package is installed."""
    try:
        import mplfonts
    except ImportError:
        return None
    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    return path if path.is_file() else None


def use_report_style() -> str | None:
    """Apply the report look and make Chinese labels render.

    Sets a seaborn white-grid theme, registers Noto Sans CJK SC (from mplfonts,
    else a system Noto/Source Han CJK font) as the first sans-serif font, and
    draws minus signs as ASCII hyphens because CJK fonts lack the Unicode minus
    glyph.

    Returns
    -------
    str or None
        The CJK font family used, or None when none was found (Chinese text
        then shows as empty boxes).
    """
    sns.set_theme(style="whitegrid", context="notebook")
    family = None
    bundled = _bundled_cjk_font()
    if bundled is not None:
        font_manager.fontManager.addfont(str(bundled))
        family = font_manager.FontProperties(fname=str(bundled)).get_name()
    else:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        family = next((name for name in _SYSTEM_CJK_FAMILIES if name in installed), None)
    mpl.rcParams.update(
        {
            "font.family": "sans-serif",
            "axes.unicode_minus": False,
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
        }
    )
    if family is not None:
        mpl.rcParams["font.sans-serif"] = [family] + [f for f in mpl.rcParams["font.sans-serif"] if f != family]
    return family


def chart_text(value: object, limit: int = 32) -> str:
    """A value from data as a chart label: shown as typed, on one line, at most ``limit`` characters.

    Matplotlib reads text between ``$`` signs as math (a name like ``$x^{$``
    would stop the run), so ``$`` is escaped; control characters become
    spaces; a longer text ends in "…".
    """
    text = "".join(" " if ch < " " or ch == "\x7f" else ch for ch in str(value)).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("$", r"\$")


def thousands(x: float, _pos: int) -> str:
    return f"{x:,.0f}"


def compact(x: float) -> str:
    """``1.5M``, ``20k``, ``-300``: short tick labels for wide log axes."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:,.3g}{suffix}"
    return f"{x:,.0f}"
