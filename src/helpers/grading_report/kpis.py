"""The company KPI panel: each KPI this period, the previous one, the change, and the trend before them.

Stage 02 writes the KPIs of the trailing periods (:mod:`helpers.indicators.kpis`), oldest first and ending with this
period; figures stage 02 does not compute — the mean lifetime value — come per period from earlier runs' outputs.
A KPI a period lacks stays NA, never 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["COUNT_KPIS", "SHARE_KPIS", "kpi_panel"]

#: KPIs that are shares (shown as percentages) and counts (whole numbers), wherever the panel is shown.
SHARE_KPIS = frozenset({"repurchase_rate", "retention_rate", "churn_rate", "csat", "lead_conversion_rate"})
COUNT_KPIS = frozenset({"customers_known", "active_customers", "new_customers", "orders", "nps_responses"})


def kpi_panel(
    kpis: pd.DataFrame, measures: Sequence[str], extra: Mapping[str, pd.Series] | None = None
) -> pd.DataFrame:
    """One row per KPI: ``current``, ``previous``, ``change`` (current − previous) and ``trend`` (every period's
    value, oldest first, this period last).

    Parameters
    ----------
    kpis
        Stage 02's KPI table: one row per period (``period``), oldest first, this period last.
    measures
        The KPI columns shown, in order.
    extra
        Further KPIs by name: a Series indexed by period label (e.g. the mean CLV of each period found).

    Returns
    -------
    pandas.DataFrame
        Index: the KPI name; ``periods``: the period labels of the trend.
    """
    periods = [str(p) for p in kpis["period"]]
    table = kpis.set_index(kpis["period"].astype(str))
    rows = {m: table[m].astype("float64") for m in measures if m in table}
    for name, series in (extra or {}).items():
        rows[name] = series.reindex(periods).astype("float64")
    out = pd.DataFrame(
        {
            "current": [s.iloc[-1] if len(s) else np.nan for s in rows.values()],
            "previous": [s.iloc[-2] if len(s) > 1 else np.nan for s in rows.values()],
            "trend": [s.tolist() for s in rows.values()],
        },
        index=pd.Index(list(rows), name="kpi"),
    )
    out["change"] = out["current"] - out["previous"]
    out.attrs["periods"] = periods
    return out[["current", "previous", "change", "trend"]]
