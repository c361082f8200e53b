"""What stage 03's report shows: tables and notes built from the segmentation, CLV and scorecard results.

The notebook stays a sequence of short calls; the wording and number formats
for reviewers live here, next to each other.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from helpers.clv import CLV_COLUMNS, PeriodClv, horizon_units
from helpers.config import ClvSettings, GradingSettings, RfmSettings, Scorecard
from helpers.display import Table, note
from helpers.grading_table import GRADING_COLUMNS, labelled, write_workbook
from helpers.gradings import GRADING_LABELS
from helpers.kpis import concentration
from helpers.rfm import RFM_CLASS_BY_HIGH, RFM_CLASS_LABELS
from helpers.scorecard import SCORECARD_CLASS_LABELS
from helpers.stage import Stage

#: Labels of every class-key column of the grading table.
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "rfm_class": RFM_CLASS_LABELS,
    "scorecard_class": SCORECARD_CLASS_LABELS,
    "score_tier": SCORECARD_CLASS_LABELS,
    **GRADING_LABELS,
}
_UNIT = {"W": "weeks", "D": "days"}


def _label(column: str, key: object) -> str:
    zh, en = LABELS.get(column, {}).get(key, (str(key), ""))
    return f"{zh} {en}".strip()


# --------------------------------------------------------------------------- RFM
def rfm_method_note(segments: pd.DataFrame, settings: RfmSettings, currency: str) -> None:
    """How high and low were cut, which rules overrode the cut, who is not graded."""
    cuts = segments.attrs.get("cuts", {})
    how = {"median": "the median", "mean": "the mean", "quantile": f"the {settings.quantile:.0%} quantile",
           "fixed": "fixed thresholds"}[settings.cut]
    if settings.cut == "quantile":
        how += f" (for R, the {1 - settings.quantile:.0%} quantile: smaller is better)"
    strict = settings.cut != "fixed"
    r, f, m = cuts.get("recency_days"), cuts.get("frequency"), cuts.get("monetary")
    lines = [
        f"**{len(segments):,} customers graded.** Each of R, F and M is split into high and low at {how} of "
        f"these customers (`rfm.cut`): R is high when the last order is {'under' if strict else 'at most'} "
        f"**{r:,.0f} days** ago, F when the customer placed {'more than' if strict else 'at least'} "
        f"**{f:,.0f} orders**, M when net spend is {'above' if strict else 'at least'} **{m:,.2f} {currency}** "
        "(orders and spend over the look-back window).",
        f"Scores 1–{settings.score_bins} ({settings.score_bins} = best) rank customers on each dimension by their mid-rank percentile: customers with the "
        "same value always share a score, so a dimension with few distinct values (most customers with 1 order) "
        "uses fewer than five scores rather than splitting equal customers at random.",
    ]
    excluded = segments.attrs.get("excluded", {})
    if excluded and excluded.get("count"):
        lines.append(f"{excluded['count']:,} known customers are not graded: {excluded.get('reason', '')}.")
    matched = segments["rfm_class_source"].ne("cut")
    by_cut = pd.Series([RFM_CLASS_BY_HIGH[k] for k in zip(segments["r_high"], segments["f_high"], segments["m_high"])],
                       index=segments.index)
    changed = matched & by_cut.ne(segments["rfm_class"])
    if settings.overrides:
        rules = "; ".join(f"*{o.name}*" for o in settings.overrides)
        lines.append(f"Override rules (`rfm.overrides`): {rules} — **{int(matched.sum()):,}** customers match; "
                     f"for {int(changed.sum()):,} of them the rule changed the class the cut gives.")
    note("\n\n".join(lines))


def segment_summary_table(summary: pd.DataFrame, currency: str) -> Table:
    """The segment summary: customers, revenue, order value and typical R/F/M per class."""
    frame = summary.reset_index()
    frame["class"] = [f"{zh} {en}" if key != "total" else "Total 合计"
                      for key, zh, en in zip(frame.iloc[:, 0], frame["class_zh"], frame["class_en"])]
    frame["share"] *= 100
    frame["revenue_share"] *= 100
    out = frame[["class", "customers", "share", "revenue", "revenue_share", "avg_order_value",
                 "median_recency_days", "median_frequency", "median_monetary"]].rename(columns={
        "class": "RFM class (RFM分层)", "customers": "Customers", "share": "% of customers",
        "revenue": f"Revenue, {currency}", "revenue_share": "% of revenue",
        "avg_order_value": f"Avg order value, {currency}", "median_recency_days": "Median R, days",
        "median_frequency": "Median F, orders", "median_monetary": f"Median M, {currency}",
    })
    return Table(out, ints=["Customers", "Median R, days"], pct=["% of customers", "% of revenue"],
                 money=[f"Revenue, {currency}", f"Avg order value, {currency}", f"Median M, {currency}"],
                 decimals=["Median F, orders"], caption="Segment summary (客户分层汇总)", uid="segments")


def rfm_flags_note(segments: pd.DataFrame) -> None:
    """How many customers carry each flag (e.g. churn risk)."""
    flags = segments["rfm_flags"].fillna("").str.split("; ").explode()
    counts = flags[flags != ""].value_counts()
    if counts.empty:
        note("No customer matches a flag rule (`rfm.flags`).")
        return
    text = ", ".join(f"**{label}**: {n:,} customers" for label, n in counts.items())
    note(f"Flags (`rfm.flags`): {text}. The heat maps show where customers and revenue sit by R and F score.")


# --------------------------------------------------------------------------- other gradings
def gradings_table(gradings: pd.DataFrame) -> Table:
    """Customers per class of each grading, side by side."""
    rows = []
    for column in gradings.columns:
        counts = gradings[column].value_counts()
        for key in LABELS[column]:
            if key in counts.index:
                rows.append({"grading": column.replace("_", " "), "class": _label(column, key),
                             "customers": int(counts[key]), "share": counts[key] / len(gradings) * 100})
    return Table(pd.DataFrame(rows), ints=["customers"], pct=["share"],
                 caption="Customers per class of each grading (各维度分级)", uid="gradings")


def gradings_notes(gradings: dict[str, pd.Series], settings: GradingSettings) -> None:
    """The rules in words, and why a grading is not available."""
    b, s = settings.behaviour, settings.satisfaction
    lines = [
        f"**Behaviour:** active = last order at most {b.active_max_days} days ago; churned = {b.churned_min_days} "
        "days or more; dormant in between (`gradings.behaviour`).",
        f"**Value tier:** top {settings.value_tier.high_top_share:.0%} high, next up to "
        f"{settings.value_tier.medium_top_share:.0%} medium, by "
        + str(gradings["value_tier"].attrs.get("basis", "")) + ".",
        f"**Satisfaction:** unsatisfied = CSAT below {s.unsatisfied_max_csat:.0%}, an NPS detractor or "
        f"{s.unsatisfied_min_complaints}+ complaints; satisfied = CSAT at least {s.satisfied_min_csat:.0%} or a "
        "promoter; otherwise neutral.",
    ]
    for column, values in gradings.items():
        for name, reason in values.attrs.get("unavailable", {}).items():
            lines.append(f"*{column.replace('_', ' ')} — {name.replace('_', ' ')} not available:* {reason}.")
    note("\n\n".join(lines))


# --------------------------------------------------------------------------- CLV
def clv_method_note(clv: PeriodClv, settings: ClvSettings, currency: str) -> None:
    """What was fitted on what, and anything not available."""
    if clv.fit is None:
        note("**Lifetime value is not available for this period.** " + " ".join(clv.notes))
        return
    f = clv.fit
    how = ("maximum a posteriori with flat priors, i.e. maximum likelihood" if f.method == "map"
           else f"full Bayesian sampling ({settings.mcmc.chains} chains × {settings.mcmc.draws} draws)")
    horizon = horizon_units(settings.horizon_months, settings.time_unit)
    spend = (f"and Gamma-Gamma (spend per purchase) on the {f.spend_customers:,} repeat buyers with a positive spend"
             if f.gamma_gamma is not None else "(the spend model could not be fitted)")
    text = (
        f"BG/NBD (purchases and dropout) was fitted on **{f.customers:,} customers**, {f.repeat_customers:,} of them "
        f"with repeat purchases, {spend}; {how}, time in {_UNIT[settings.time_unit]}, all purchases up to the as-of date "
        f"(same-day purchases count once). Fit time {f.seconds:.1f} s. Predictions look "
        f"**{settings.horizon_months} months** ahead ({horizon:.1f} {_UNIT[settings.time_unit]}); CLV discounts "
        f"at {settings.annual_discount_rate:.0%} a year, in {currency}, and is revenue, not profit."
    )
    note(text + ("\n\n" + "\n\n".join(clv.notes) if clv.notes else ""))


def params_frame(clv: PeriodClv) -> pd.DataFrame:
    """The fitted parameters as a table (empty with the right columns when not fitted)."""
    if clv.fit is None:
        return pd.DataFrame({"model": pd.Series(dtype="string"), "parameter": pd.Series(dtype="string"),
                             "value": pd.Series(dtype=float)})
    return clv.fit.params


def clv_params_table(clv: PeriodClv) -> Table | None:
    """Fitted parameters with what they mean."""
    if clv.fit is None:
        return None
    meaning = {
        "r": "shape of the purchase-rate distribution", "alpha": "scale of the purchase-rate distribution",
        "a": "dropout: Beta shape a", "b": "dropout: Beta shape b",
        "p": "shape of each purchase's spend", "q": "shape of the customers' mean-spend distribution",
        "v": "scale of the customers' mean-spend distribution (γ in the paper)",
    }
    frame = params_frame(clv).assign(meaning=lambda d: d["parameter"].map(meaning))
    caption = "Fitted model parameters (模型参数)"
    if clv.fit.method == "map":
        caption += f" — BG/NBD log-likelihood {clv.fit.log_likelihood:,.1f}"
    return Table(frame, decimals=[c for c in ("value", "low", "high") if c in frame], caption=caption, uid="params")


def clv_summary_table(predictions: pd.DataFrame, currency: str) -> Table:
    """Distribution of the per-customer CLV figures."""
    rows = []
    for column, meaning in CLV_COLUMNS.items():
        v = predictions[column].dropna()
        rows.append({"figure": meaning.split(":")[0].split(" (")[0] + f" ({column})",
                     "customers": len(v), "total": v.sum() if column not in ("p_alive", "expected_spend") else np.nan,
                     "mean": v.mean(), "median": v.median(), "p90": v.quantile(0.9) if len(v) else np.nan})
    return Table(pd.DataFrame(rows), ints=["customers"], decimals=["total", "mean", "median", "p90"],
                 caption=f"Per-customer CLV figures ({currency} where money)", uid="clvsummary")


def validation_table(validation) -> Table:
    """Error figures of the holdout check."""
    e = validation.errors
    rows = [
        ("Calibration period ends", f"{validation.calibration_end:%Y-%m-%d}"),
        ("Holdout period ends", f"{validation.observation_end:%Y-%m-%d}"),
        ("Customers (first purchase in the calibration period)", f"{e['customers']:,.0f}"),
        ("Actual purchases in the holdout", f"{e['actual_total']:,.0f}"),
        ("Predicted purchases in the holdout", f"{e['predicted_total']:,.1f}"),
        ("Error of the total", f"{e['total_error_pct']:+.1f}%"),
        ("Mean absolute error per customer", f"{e['mae']:.2f} purchases"),
        ("Root mean squared error per customer", f"{e['rmse']:.2f} purchases"),
        ("Correlation, predicted vs actual per customer", f"{e['correlation']:.2f}"),
    ]
    return Table(pd.DataFrame(rows, columns=["check", "value"]), right=["value"],
                 caption="Holdout check of the purchase model (模型验证)", uid="validation")


def clv_record(clv: PeriodClv, compile_cache: Path) -> dict[str, object]:
    """What ``clv.json`` keeps: parameters, fit time, validation errors and notes."""
    record: dict[str, object] = {"fitted": clv.fit is not None, "notes": clv.notes,
                                 "compile_cache": str(compile_cache)}
    if clv.fit is not None:
        record |= {"method": clv.fit.method, "time_unit": clv.fit.time_unit, "seconds": round(clv.fit.seconds, 3),
                   "log_likelihood": None if np.isnan(clv.fit.log_likelihood) else clv.fit.log_likelihood,
                   "customers": clv.fit.customers, "repeat_customers": clv.fit.repeat_customers,
                   "params": json.loads(clv.fit.params.to_json(orient="records"))}
    if clv.validation is not None:
        record["validation"] = {k: float(v) for k, v in clv.validation.errors.items()}
    return record


# --------------------------------------------------------------------------- value matrix, concentration
def value_matrix_table(matrix: pd.Series, predictions: pd.DataFrame, indicators: pd.DataFrame,
                       currency: str) -> Table:
    """Customers, CLV and profit per value-matrix class."""
    frame = pd.DataFrame({"class": matrix, "clv": predictions["clv"].reindex(matrix.index),
                          "profit": indicators["gross_profit"].reindex(matrix.index)})
    rows = []
    for key in LABELS["value_matrix"]:
        part = frame[frame["class"] == key]
        if len(part):
            rows.append({"class": _label("value_matrix", key), "customers": len(part),
                         "share": len(part) / len(frame) * 100, "clv": part["clv"].sum(min_count=1),
                         "profit": part["profit"].sum(min_count=1)})
    cuts = matrix.attrs.get("cuts", {})
    cut_text = ", ".join(f"{k.replace('_', ' ')} {v:,.2f}" for k, v in cuts.items() if pd.notna(v))
    return Table(pd.DataFrame(rows).rename(columns={"clv": f"CLV, {currency}", "profit": f"Profit, {currency}"}),
                 ints=["customers"], pct=["share"], money=[f"CLV, {currency}", f"Profit, {currency}"],
                 caption=f"Value matrix CLV × profit contribution (价值矩阵); cuts: {cut_text or 'n/a'}", uid="matrix")


def concentration_table(revenue: pd.Series, clv: pd.Series) -> Table:
    """Gini and top-10% / top-20% shares of past revenue and of CLV."""
    rows = []
    for name, values in (("Revenue in the look-back window (窗口期收入)", revenue), ("CLV (未来价值)", clv)):
        c = concentration(values)
        rows.append({"measure": name, "customers": c["customers"], "top 10%": c["top_10pct_share"] * 100,
                     "top 20%": c["top_20pct_share"] * 100, "gini": c["gini"],
                     "customers for 80%": c["customers_for_80pct_share"] * 100})
    return Table(pd.DataFrame(rows), ints=["customers"], pct=["top 10%", "top 20%", "customers for 80%"],
                 decimals=["gini"], caption="Concentration: share made by the top customers, Gini (集中度)",
                 uid="concentration")


# --------------------------------------------------------------------------- scorecard
def manual_input_note(path: Path | None, manual: pd.DataFrame | None, root: Path) -> None:
    """Which manual sheet was read, and how to provide one."""
    if path is None:
        note("**No manual input sheet for this period**, so the scorecard rests on the factors computed from the "
             "data. Fill in the template written below (`reports/<period>/scorecard_manual_template_<period>.xlsx`), "
             "save it as `data/manual/scorecard_<period>.xlsx` and run again.")
        return
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    assessed = int(manual.notna().any(axis=1).sum()) if manual is not None else 0
    note(f"**Manual input:** `{shown}` — {assessed:,} customers assessed on at least one manual factor.")


def factor_table_view(table: pd.DataFrame) -> Table:
    """The 13 factors: weight, coverage and level mix, and why a factor is missing."""
    frame = table.assign(factor=table["number"].astype(str) + " " + table["name_zh"] + " " + table["name_en"],
                         weight_share=table["weight_share"] * 100, coverage=table["coverage"] * 100)
    frame["reason"] = frame["reason"].fillna("")
    cols = ["factor", "source", "weight_share", "customers", "coverage", "level_4", "level_3", "level_2", "level_1",
            "status", "reason"]
    return Table(frame[cols].rename(columns={"weight_share": "weight %", "coverage": "coverage %"}),
                 pct=["weight %", "coverage %"], ints=["customers", "level_4", "level_3", "level_2", "level_1"],
                 caption="Scorecard factors (评分因子): weight, customers with a level, level mix", uid="factors")


def scorecard_classes_table(classes: pd.DataFrame, scores: pd.DataFrame) -> Table:
    """Customers and score range per scorecard class."""
    frame = classes.join(scores[["score", "provisional"]])
    rows = []
    for key in SCORECARD_CLASS_LABELS:
        part = frame[frame["scorecard_class"] == key]
        if len(part):
            rows.append({"class": _label("scorecard_class", key), "customers": len(part),
                         "share": len(part) / len(frame) * 100, "min score": part["score"].min(),
                         "max score": part["score"].max(), "provisional": int(part["provisional"].sum())})
    return Table(pd.DataFrame(rows), ints=["customers", "provisional"], pct=["share"],
                 decimals=["min score", "max score"], caption="Scorecard classes (客户等级)", uid="classes")


def pyramid_table(pyramid: pd.DataFrame) -> Table:
    """The pyramid check, with its verdict as the caption."""
    frame = pyramid.reset_index()
    frame["tier"] = [_label("score_tier", k) for k in frame["score_tier"]]
    frame = frame.assign(share=frame["share"] * 100, target=frame["target"] * 100,
                         deviation=frame["deviation"] * 100,
                         check=np.where(frame["within_tolerance"], "ok", "off target"))
    caption = "Pyramid check (金字塔检验): " + str(pyramid.attrs.get("summary", ""))
    return Table(frame[["tier", "customers", "share", "target", "deviation", "check"]],
                 ints=["customers"], pct=["share", "target", "deviation"], caption=caption, uid="pyramid")


def pyramid_advice(pyramid: pd.DataFrame, scorecard: Scorecard) -> None:
    """What to change when the tiers miss the typical pyramid."""
    if pyramid.attrs.get("within_tolerance", True) or scorecard.classes.method != "thresholds":
        return
    top = pyramid.loc[["core", "important"], "deviation"].sum()
    way = "lower" if top < 0 else "raise"
    note(f"The score thresholds (`classes.thresholds` in `config/scorecard.yaml`) put {abs(top):.0%} "
         f"{'fewer' if top < 0 else 'more'} customers in the top two tiers than the typical pyramid: {way} them "
         "if these customers should follow it, or set `classes.method: quota` to grade by rank.")


def scorecard_currency_note(scorecard: Scorecard, currency: str) -> None:
    """Warn when the money cut points were set for another currency than the data's."""
    if scorecard.currency != currency:
        note(f"**The money cut points of factors 1–3 are in {scorecard.currency}** (`currency` in "
             f"`config/scorecard.yaml`), but the data are in {currency}: set cut points for {currency} before "
             "reading those levels.")


def template_customers(grades: pd.DataFrame) -> pd.DataFrame:
    """Customers for the manual-input template: id, name and context, largest spend first."""
    cols = [c for c in ("customer_id", "customer_name", "industry", "rfm_class", "monetary", "scorecard_class")
            if c in grades]
    frame = labelled(grades[cols], LABELS).sort_values(["monetary", "customer_id"], ascending=[False, True],
                                                       kind="stable")
    return frame.set_index("customer_id")


# --------------------------------------------------------------------------- outputs
def write_grading_workbook(path: Path, grades: pd.DataFrame, summary: pd.DataFrame, levels: pd.DataFrame,
                           scorecard: Scorecard, pyramid: pd.DataFrame, clv: PeriodClv, stage: Stage,
                           cleaning: dict[str, object]) -> Path:
    """The consultant's Excel workbook (客户分级管理分析表)."""
    names = {f.key: f"{f.number} {f.name_zh} {f.name_en}" for f in scorecard.factors}
    factor_sheet = levels.rename_axis("customer_id").reset_index().rename(columns=names)
    sheets: dict[str, tuple[pd.DataFrame, dict[str, str]]] = {
        "客户分级 Grading": (labelled(grades, LABELS), GRADING_COLUMNS),
        "分层汇总 Segments": (summary.reset_index(), {}),
        "评分因子 Factor levels": (factor_sheet, {}),
        "金字塔 Pyramid": (pyramid.reset_index(), {}),
        "CLV参数 CLV model": (params_frame(clv), {}),
    }
    if clv.validation is not None:
        sheets["CLV验证 Holdout"] = (clv.validation.by_frequency, {})
    about = {
        "报告 Report": "客户分级管理分析表 Customer grading table",
        "期间 Period": f"{stage.period.label} ({stage.period.start:%Y-%m-%d} – {stage.period.end:%Y-%m-%d})",
        "截止日期 As of": f"{stage.period.as_of:%Y-%m-%d}",
        "数据 Data": str(cleaning.get("mapping_title", "")),
        "币种 Currency": str(cleaning.get("reporting_currency", "")),
        "客户数 Customers graded": f"{len(grades):,}",
        "设置 Settings": "config/settings.yaml (rfm, gradings, value_matrix, clv) and config/scorecard.yaml",
        "说明 Notes": "One row per customer who bought up to the as-of date. Contact data are not included.",
    }
    return write_workbook(path, sheets, about)


def outputs_table(written: dict[str, Path], files: Sequence[Path], root: Path) -> Table:
    """Parquet tables for the next stages and the files for the consultant."""
    rows = [{"output": name, "file": str(p.relative_to(root)), "rows": pq.ParquetFile(p).metadata.num_rows}
            for name, p in written.items()]
    rows += [{"output": p.stem, "file": str(p.relative_to(root)), "rows": np.nan} for p in files]
    return Table(pd.DataFrame(rows), ints=["rows"], caption="Outputs (输出文件)", uid="outputs")
