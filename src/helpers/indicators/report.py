"""Tables the indicator report shows (stage 02), built from indicators and KPIs."""

from __future__ import annotations

import pandas as pd

from helpers.core.labels import LABELS
from helpers.core.periods import Period
from helpers.indicators.kpis import KPI_DESCRIPTIONS, kpi_comparison
from helpers.reporting.display import Table, note

__all__ = [
    "availability_table",
    "concentration_note",
    "coverage_note",
    "format_kpi",
    "indicator_summary",
    "kpi_definitions",
    "kpi_table",
    "period_kpi_table",
    "top_customers_table",
]

_RATES = {"repurchase_rate", "retention_rate", "churn_rate", "csat", "lead_conversion_rate"}
_SCORES = {"nps"}  # a score from -100 to 100: it changes in points, a percent change means nothing
_MONEY = {"revenue", "avg_order_value"}
#: Indicators summarised in the distribution table, in order.
_SUMMARISED = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "gross_profit",
    "distinct_products",
    "distinct_categories",
    "interaction_rate",
    "csat",
    "nps_score",
    "tenure_days",
    "avg_days_late",
)
_MONEY_INDICATORS = {"monetary", "avg_order_value", "gross_profit"}
#: Columns of the top-customers table, in order (those the data lack are left out).
_TOP_COLUMNS = (
    "customer_id",
    "customer_name",
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "gross_profit",
    "distinct_products",
    "tenure_days",
)


def format_kpi(kpi: str, value: float, *, change: bool = False) -> str:
    """A KPI value (or, with ``change``, a change) as every table and sentence of the reports prints it."""
    if pd.isna(value):
        return "n/a"
    if kpi in _RATES:
        return f"{value * 100:+.1f} pts" if change else f"{value * 100:.1f}%"
    if kpi in _SCORES:
        return f"{value:+.0f} pts" if change else f"{value:.0f}"
    if kpi in _MONEY:
        return f"{value:+,.2f}" if change else f"{value:,.2f}"
    return f"{value:+,.0f}" if change else f"{value:,.0f}"


def kpi_table(comparison: pd.DataFrame, currency: str) -> Table:
    """The period's KPIs beside the previous period's, formatted per kind (counts, money, rates)."""
    current, previous = comparison.attrs.get("periods", ("this period", "previous period"))
    rows = []
    for kpi, r in comparison.iterrows():
        label = LABELS.text("kpi", kpi) + (f", {currency}" if kpi in _MONEY else "")
        pct = "n/a" if pd.isna(r["pct_change"]) or kpi in _RATES | _SCORES else f"{r['pct_change'] * 100:+.1f}%"
        rows.append(
            (
                label,
                format_kpi(kpi, r["current"]),
                format_kpi(kpi, r["previous"]),
                format_kpi(kpi, r["change"], change=True),
                pct,
            )
        )
    kpi, change, pct_change = (LABELS.text("column", k) for k in ("kpi", "change", "pct_change"))
    frame = pd.DataFrame(rows, columns=[kpi, current, previous, change, pct_change])
    return Table(frame, right=[current, previous, change, pct_change], uid="kpis")


def period_kpi_table(trend: pd.DataFrame, currency: str) -> Table:
    """The last period of the trend beside the one before (with a note when there is none before)."""
    current = trend.iloc[-1]
    if len(trend) > 1:
        return kpi_table(kpi_comparison(current, trend.iloc[-2]), currency)
    note("The previous period is before the start of the data, so there is nothing to compare with.")
    return kpi_table(kpi_comparison(current, pd.Series(pd.NA, index=current.index, dtype=object)), currency)


def kpi_definitions() -> Table:
    """What each KPI means, so a reviewer can check the figures."""
    rows = [
        (LABELS.text("kpi", k), KPI_DESCRIPTIONS[k].split(": ", 1)[1])
        for k in KPI_DESCRIPTIONS
        if k not in ("period", "as_of")
    ]
    columns = [LABELS.text("column", "kpi"), LABELS.text("column", "definition")]
    return Table(pd.DataFrame(rows, columns=columns), caption=LABELS.text("caption", "kpi_definitions"), uid="kpidefs")


def availability_table(unavailable: dict[str, str]) -> Table | None:
    """The indicators the data cannot give, with the reason (None when all are available).

    ``unavailable`` is ``customer_indicators(...).attrs["unavailable"]``: indicator -> reason.
    """
    if not unavailable:
        note("All indicators are available for these data.")
        return None
    frame = pd.DataFrame(
        {
            LABELS.text("column", "indicator"): [LABELS.text("indicator", i) for i in unavailable],
            LABELS.text("column", "unavailable_reason"): list(unavailable.values()),
        }
    )
    return Table(frame, caption=LABELS.text("caption", "unavailable_indicators"), uid="availability")


def indicator_summary(indicators: pd.DataFrame, currency: str) -> Table:
    """Distribution of the main indicators over the customers active in the look-back window."""
    active = indicators[indicators["active_in_window"].fillna(False).astype(bool)]
    rows = []
    for col in _SUMMARISED:
        label = LABELS.text("indicator", col) + (f", {currency}" if col in _MONEY_INDICATORS else "")
        values = pd.to_numeric(active[col], errors="coerce").dropna() if col in active else pd.Series(dtype=float)
        if values.empty:  # unavailable: explained by the availability table
            continue
        q = values.quantile([0.1, 0.5, 0.9])
        rows.append((label, len(values), values.mean(), q[0.1], q[0.5], q[0.9], values.max()))
    headers = LABELS.headers(["indicator", "customers", "mean", "p10", "median", "p90", "max"])
    frame = pd.DataFrame(rows, columns=list(headers.values()))
    stats = [headers[k] for k in ("mean", "p10", "median", "p90", "max")]
    caption = f"{LABELS.text('caption', 'active_customers')}: {len(active):,} / {len(indicators):,}"
    return Table(frame, ints=[headers["customers"]], decimals=stats, caption=caption, uid="summary")


def top_customers_table(indicators: pd.DataFrame, customers: pd.DataFrame | None, currency: str, n: int = 10) -> Table:
    """The top customers by net spend in the look-back window, with their main indicators."""
    top = indicators.sort_values("monetary", ascending=False).head(n).reset_index()
    if customers is not None and "customer_name" in customers and customers["customer_name"].notna().any():
        names = customers.set_index("customer_id")["customer_name"]
        top.insert(1, "customer_name", top["customer_id"].map(names))
    cols = [c for c in _TOP_COLUMNS if c in top and top[c].notna().any()]
    headers = {
        c: LABELS.text("column", c)
        if c in ("customer_id", "customer_name")
        else LABELS.text("indicator", c) + (f", {currency}" if c in _MONEY_INDICATORS else "")
        for c in _TOP_COLUMNS
    }
    frame = top[cols].rename(columns=headers)
    return Table(
        frame,
        ints=[headers[c] for c in ("recency_days", "frequency", "distinct_products", "tenure_days")],
        money=[headers[c] for c in ("monetary", "avg_order_value", "gross_profit")],
        uid="top",
    )


def concentration_note(figures: dict[str, float]) -> None:
    """One paragraph on revenue concentration (Pareto)."""
    note(
        f"The top 10% of customers make **{figures['top_10pct_share'] * 100:.1f}%** of the look-back window's "
        f"revenue and the top 20% make **{figures['top_20pct_share'] * 100:.1f}%**; "
        f"**{figures['customers_for_80pct_share'] * 100:.1f}%** of customers make 80% of it. "
        f"Gini coefficient: **{figures['gini']:.3f}** (0 = everyone buys the same, 1 = one customer buys everything). "
        "Customers with zero or net-negative spend (returns only) are left out of these figures."
    )


def coverage_note(orders: pd.DataFrame, period: Period) -> None:
    """Warn when the data end before the period does, so its KPIs cover only part of it."""
    last = orders["order_date"].max()
    if last < period.end:
        note(
            f"**Note:** the data end on {last:%Y-%m-%d}, before the period's last day ({period.end:%Y-%m-%d}): "
            "this period's KPIs cover only part of it and are not comparable with full periods."
        )
