"""Stage 04's helpers: the label, the cut-offs, features without leakage, bands, rules, models, reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import SETTINGS, clean, with_changes
from helpers.churn.features import FEATURES, churn_features
from helpers.churn.models import LogisticModel, TreeModel
from helpers.churn.outcome import at_risk, churn_outcome, horizon_fit, purchase_gaps, windows
from helpers.churn.reasons import top_reasons
from helpers.churn.rules import early_warnings
from helpers.churn.stage import risk_bands
from helpers.churn.training import Rows, evaluate, fit_churn, reliability
from helpers.core.periods import parse_period
from helpers.sample_data import generate

CHURN = SETTINGS.churn
D = pd.Timestamp


def orders(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """Order lines (customer, order, date), each a sale of 100."""
    frame = pd.DataFrame(rows, columns=["customer_id", "order_id", "order_date"])
    return frame.assign(order_date=pd.to_datetime(frame["order_date"]), amount=100.0, line_type="sale")


# --------------------------------------------------------------------------- the label
TIMELINE = orders(
    ("A", "1", "2024-01-10"),
    ("A", "2", "2024-03-20"),  # buys after the cut-off, inside the horizon: stayed
    ("B", "3", "2024-02-01"),  # nothing after: churned
    ("C", "4", "2024-02-28"),
    ("C", "5", "2024-05-31"),  # first purchase after the horizon (cut-off 02-29 + 90 days = 05-29): churned
    ("D", "6", "2024-03-05"),  # first seen after the cut-off: not in the cut-off's rows
    ("E", "7", "2022-01-01"),  # silent for more than the look-back year: already lost, not at risk
    ("F", "8", "2024-02-29"),  # on the cut-off day itself: at risk, and a purchase on day H is in the horizon
    ("F", "9", "2024-05-29"),
)


def test_the_label_counts_only_purchases_in_the_horizon_after_the_cut_off():
    cutoff = D("2024-02-29")
    customers = at_risk(TIMELINE, cutoff, 365)
    assert list(customers) == ["A", "B", "C", "F"]  # D is first seen after, E is long gone
    label = churn_outcome(TIMELINE, cutoff, 90, customers)
    assert label.to_dict() == {"A": False, "B": True, "C": True, "F": False}


def test_returns_are_not_purchases():
    lines = pd.concat([TIMELINE, orders(("B", "R", "2024-03-10")).assign(line_type="return", amount=-50.0)])
    assert churn_outcome(lines, D("2024-02-29"), 90, pd.Index(["B"]))["B"]


def test_windows_keep_every_training_label_before_the_test_cut_off():
    w = windows(D("2024-12-31"), 90, 3, data_start=D("2023-06-01"))
    assert w.test == D("2024-10-02")
    assert w.validation_train == (D("2024-07-04"), D("2024-04-05"), D("2024-01-06"))
    assert w.final_train == (D("2024-10-02"), D("2024-07-04"), D("2024-04-05"))
    assert all(c + pd.Timedelta(days=90) <= w.test for c in w.validation_train)
    # The data start too late for a cut-off with a horizon of history before it: it is dropped, and said.
    short = windows(D("2024-12-31"), 90, 3, data_start=D("2024-03-01"))
    assert short.validation_train == (D("2024-07-04"),) and D("2024-04-05") in short.dropped


def test_horizon_fit_reads_the_gaps_between_purchase_days():
    gaps = purchase_gaps(TIMELINE, D("2024-12-31"))
    assert sorted(gaps) == [70.0, 90.0, 93.0]
    fit = horizon_fit(gaps, 90)
    assert fit["gaps"] == 3 and fit["median"] == 90.0 and fit["within_horizon"] == pytest.approx(2 / 3)
    assert np.isnan(horizon_fit(pd.Series(dtype=float), 90)["median"])


# --------------------------------------------------------------------------- no leakage
@pytest.fixture(scope="module")
def sample_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame | None]:
    folder = tmp_path_factory.mktemp("churn") / "sample"
    generate(folder, n_customers=120, seed=11)
    run = clean(folder, "2025Q4")
    names = ("orders", "customers", "tickets", "reviews", "surveys", "interactions", "payments")
    return {name: run.outputs.get(name) for name in names}


_DATES = {
    "orders": ["order_date"],
    "tickets": ["opened_at"],
    "reviews": ["review_date"],
    "surveys": ["survey_date"],
    "interactions": ["event_date"],
    "payments": ["due_date", "paid_date"],
}


def _features(tables, cutoff, customers=None):
    if customers is None:
        customers = at_risk(tables["orders"], cutoff, 365)
    return churn_features(
        tables,
        cutoff,
        customers,
        like=parse_period("2025Q4"),
        lookback_days=365,
        trend_months=CHURN.trend_months,
        complaints_window_days=90,
        satisfaction=SETTINGS.indicators.satisfaction(),
    )


def _after(frame: pd.DataFrame, column: str, cutoff: pd.Timestamp) -> np.ndarray:
    return (frame[column] >= cutoff + pd.Timedelta(days=1)).to_numpy(dtype=bool)


def test_features_use_nothing_dated_after_the_cut_off(sample_tables):
    """Deleting every row dated after the cut-off, or shuffling those rows' values, leaves the features as they were."""
    cutoff = D("2025-06-30")
    before = _features(sample_tables, cutoff)
    assert len(before) > 50 and {"recency_days", "orders_trend", "complaints_recent", "industry"} <= set(before)

    deleted, shuffled = dict(sample_tables), dict(sample_tables)
    rng = np.random.default_rng(0)
    for name, columns in _DATES.items():
        table = sample_tables.get(name)
        if table is None:
            continue
        later = _after(table, columns[0], cutoff)
        if name == "payments":  # an invoice due later but already paid by the cut-off was known on it
            later = later & ~(table["paid_date"] < cutoff + pd.Timedelta(days=1)).to_numpy(dtype=bool)
        deleted[name] = table.loc[~later]
        # Shuffle every column of the later rows among themselves (customers, amounts, flags, dates).
        mixed = table.copy()
        rows = np.flatnonzero(later)
        for column in table.columns:
            mixed.iloc[rows, mixed.columns.get_loc(column)] = table[column].iloc[rng.permutation(rows)].to_numpy()
        # A payment settled after the cut-off was unpaid on it: its settlement date may move anywhere later.
        if name == "payments":
            paid_later = _after(mixed, "paid_date", cutoff)
            mixed.loc[paid_later, "paid_date"] = mixed.loc[paid_later, "paid_date"] + pd.Timedelta(days=17)
        shuffled[name] = mixed
    pd.testing.assert_frame_equal(_features(deleted, cutoff), before)
    pd.testing.assert_frame_equal(_features(shuffled, cutoff), before)


def test_every_feature_names_its_source_and_has_words(sample_tables):
    from helpers.core.labels import LABELS

    for name, feature in FEATURES.items():
        assert feature.source and LABELS.has("churn_feature", name), name


# --------------------------------------------------------------------------- bands
def test_risk_bands_at_their_thresholds():
    p = pd.Series([0.7, 0.6999, 0.4, 0.3999, 0.0, 1.0, np.nan])
    assert list(risk_bands(p, CHURN)) == ["high", "medium", "medium", "low", "low", "high", "not_scored"]


@given(st.lists(st.floats(0, 1), min_size=2, max_size=30))
def test_a_higher_probability_never_gets_a_lower_band(values):
    order = {"low": 0, "medium": 1, "high": 2}
    p = pd.Series(sorted(values))
    bands = risk_bands(p, CHURN).map(order)
    assert bands.is_monotonic_increasing


# --------------------------------------------------------------------------- the check
def test_evaluate_on_a_perfect_and_a_useless_score():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    perfect = evaluate(y, y * 0.9 + 0.05, 0.7)
    assert perfect["auc"] == 1.0 and perfect["lift_top_decile"] == pytest.approx(5.0)
    assert perfect["capture_top_decile"] == pytest.approx(0.5) and perfect["flagged"] == 2
    assert perfect["precision"] == 1.0 and perfect["recall"] == 1.0
    flat = evaluate(y, np.full(10, 0.2), 0.7)
    assert flat["auc"] == 0.5 and flat["flagged"] == 0 and np.isnan(flat["precision"])
    assert np.isnan(evaluate(np.zeros(5), np.linspace(0, 1, 5), 0.7)["auc"])  # one class: no AUC


def test_reliability_bins_before_and_after_hold_the_same_customers():
    y = np.array([0, 1] * 10)
    raw = np.linspace(0.01, 0.99, 20)
    before = reliability(y, raw, 5)
    after = reliability(y, np.sqrt(raw), 5, order=raw)
    assert list(before["rows"]) == [4] * 5 and list(before["observed"]) == list(after["observed"])


def _rows(n: int, churners: int, seed: int = 0) -> Rows:
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=bool)
    y[:churners] = True
    recency = np.where(y, rng.uniform(60, 300, n), rng.uniform(0, 120, n))
    features = pd.DataFrame(
        {"recency_days": recency, "frequency": rng.integers(1, 20, n).astype(float), "monetary": rng.gamma(2, 500, n)}
    )
    return Rows(features, pd.Series(y), pd.Series([f"C{i}" for i in range(n)]), pd.Series([D("2024-01-01")] * n))


def test_one_class_is_refused_in_plain_words():
    everyone_left = _rows(200, 200)
    fit = fit_churn(everyone_left, _rows(400, 150), _rows(400, 150), CHURN.model, threshold=0.7)
    assert fit.status == "no_model" and not fit.ok
    assert "200 churner(s) and 0 customer(s) who stayed" in fit.reason
    assert fit.model is None and fit.comparison.empty


def test_a_model_that_fails_its_check_gives_no_probabilities():
    noise = _rows(400, 150, seed=1)
    noise.features["recency_days"] = np.random.default_rng(5).uniform(0, 300, 400)  # unrelated to the label
    train = _rows(600, 200, seed=2)
    fit = fit_churn(noise, train, train, with_changes(CHURN.model, min_auc=0.9), threshold=0.7)
    assert fit.status == "failed" and fit.model is None
    assert "no better than AUC" in fit.reason and fit.chosen is not None


def test_a_clear_signal_is_found_calibrated_and_beats_nothing_worse():
    fit = fit_churn(_rows(400, 150, 1), _rows(800, 300, 2), _rows(800, 300, 3), CHURN.model, threshold=0.7)
    assert fit.ok and fit.chosen in {"recency", "logistic", "tree", "boosting"}
    assert fit.comparison.loc[fit.chosen, "auc"] > 0.9
    p = fit.probability(_rows(50, 20, 4).features)
    assert ((p >= 0) & (p <= 1)).all()


def test_the_tree_speaks_plain_rules_and_its_contributions_sum_to_the_prediction():
    rows = _rows(500, 200)
    tree = TreeModel(max_depth=2, min_leaf_share=0.05, seed=0).fit(rows.features, rows.label)
    rules = tree.rules()
    assert rules["rows"].sum() == 500 and rules["churn_share"].is_monotonic_decreasing
    root_share = rows.label.mean()
    total = tree.contributions(rows.features).sum(axis=1) + root_share
    np.testing.assert_allclose(total, tree.predict(rows.features))


def test_logistic_odds_ratios_have_intervals_when_the_fit_is_plain():
    rows = _rows(500, 200)
    model = LogisticModel(seed=0).fit(rows.features, rows.label)
    table = model.coefficients
    assert model.note == "" and table["ci_low"].notna().all()
    recency = table.loc[table["feature"].eq("recency_days")].iloc[0]
    assert recency["odds_ratio"] > 1 and recency["ci_low"] < recency["odds_ratio"] < recency["ci_high"]


# --------------------------------------------------------------------------- reasons
def test_reasons_are_the_risk_raising_features_in_words():
    features = pd.DataFrame(
        {
            "recency_days": [154.0, 10.0],
            "orders_recent": [2.0, 5.0],
            "orders_before": [5.0, 5.0],
            "orders_trend": [np.log1p(2) - np.log1p(5), 0.0],
            "complaints_recent": [2.0, 0.0],
            "complaints_trend": [np.log1p(2) - np.log1p(0), 0.0],
            "avg_gap_days": [np.nan, 30.0],
        },
        index=["A", "B"],
    )
    contributions = pd.DataFrame(
        {
            "recency_days": [0.9, -0.5],
            "orders_trend": [0.5, 0.0],
            "complaints_trend": [0.7, 0.0],
            "avg_gap_days": [0.1, 0.0],
        },
        index=["A", "B"],
    )
    out = top_reasons(contributions, features, 3, currency="CNY", trend_months=3, complaints_days=90, window_days=365)
    assert out.loc["A", "reasons"] == (
        "no order for 154 days; complaints rising: 0 in the 90 days before → 2 in the last 90; "
        "orders down 60% vs the 3 months before (5 → 2)"
    )
    assert out.loc["A", "first"] == "recency_days"
    assert out.loc["B", "reasons"] == "" and pd.isna(out.loc["B", "first"])


def test_a_rising_trend_is_never_given_as_a_reason():
    features = pd.DataFrame(
        {
            "orders_recent": [6.0],
            "orders_before": [2.0],
            "orders_trend": [np.log1p(6) - np.log1p(2)],
            "recency_days": [40.0],
        },
        index=["A"],
    )
    contributions = pd.DataFrame({"orders_trend": [0.8], "recency_days": [0.1]}, index=["A"])
    out = top_reasons(contributions, features, 1, currency="CNY", trend_months=3, complaints_days=90, window_days=365)
    assert out.loc["A", "reasons"] == "no order for 40 days"


# --------------------------------------------------------------------------- rules
def test_the_early_warning_rules_fire_at_their_thresholds():
    period = parse_period("2024Q2")
    lines = orders(
        # P: 10 orders last quarter, 7 this quarter: down 30 % exactly -> fires
        *[("P", f"p{i}", "2024-02-01") for i in range(10)],
        *[("P", f"q{i}", "2024-05-01") for i in range(7)],
        # Q: 10 -> 8, down 20 %: no
        *[("Q", f"r{i}", "2024-02-01") for i in range(10)],
        *[("Q", f"s{i}", "2024-06-20") for i in range(8)],
        # S: bought in March, nothing in May and June: silent for two calendar months
        ("S", "t1", "2024-03-15"),
    )
    tickets = pd.DataFrame(
        {
            "customer_id": ["Q", "Q", "Q", "P"],
            "opened_at": pd.to_datetime(["2024-06-01", "2024-06-10", "2024-02-15", "2024-02-01"]),
            "is_complaint": [True, True, True, True],
        }
    )
    hits = early_warnings(
        {"orders": lines, "tickets": tickets},
        period,
        CHURN.early_warning,
        pd.Index(["P", "Q", "S"]),
        lookback_days=365,
    )
    fired = set(zip(hits["customer_id"], hits["rule"], strict=True))
    # S also dropped from 1 order to 0: both of its rules fire.
    assert fired == {("P", "activity_drop"), ("S", "activity_drop"), ("S", "silent_months"), ("Q", "complaints_rising")}
    seen = hits.loc[hits["customer_id"].ne("S")].set_index("rule")["seen"]
    assert "10 → 7 (-30%) vs 2024Q1" in seen["activity_drop"]
    assert "2 complaint(s) in the last 90 days (1 in the 90 before)" in seen["complaints_rising"]
    off = with_changes(CHURN.early_warning, silent_months=None)
    assert "silent_months" not in set(
        early_warnings({"orders": lines}, period, off, pd.Index(["S"]), lookback_days=365)["rule"]
    )


def test_the_kpi_churn_rate_is_the_share_the_label_calls_churned(sample_tables):
    from helpers.indicators.kpis import period_kpis

    period = parse_period("2025Q4")
    horizon = SETTINGS.analysis.churn_horizon_days
    kpi = period_kpis(
        sample_tables["orders"],
        period,
        lookback_days=365,
        churn_horizon_days=horizon,
        **SETTINGS.indicators.satisfaction(),
    )["churn_rate"]
    cutoff = period.as_of - pd.Timedelta(days=horizon)
    customers = at_risk(sample_tables["orders"], cutoff, 365)
    assert kpi == pytest.approx(churn_outcome(sample_tables["orders"], cutoff, horizon, customers).mean())


def test_every_cut_off_gets_the_same_attribute_columns(sample_tables):
    """A subset of customers all lacking a region still has the region column (NA), as training had it."""
    customers = sample_tables["customers"].copy()
    orders = sample_tables["orders"]
    cutoff = D("2025-06-30")
    few = at_risk(orders, cutoff, 365)[:3]
    customers.loc[customers["customer_id"].isin(few), "region"] = pd.NA
    tables = {**sample_tables, "customers": customers}
    everyone = _features(tables, cutoff)
    subset = _features(tables, cutoff, few)
    assert list(subset.columns) == list(everyone.columns) and subset["region"].isna().all()


def test_top_decile_lift_does_not_depend_on_the_order_of_tied_rows():
    y = np.array([1, 0] * 10)
    p = np.array([0.5] * 20)  # one score for everyone: the top 10 % are as good as anyone
    forward, backward = evaluate(y, p, 0.7), evaluate(y[::-1], p, 0.7)
    assert forward["lift_top_decile"] == backward["lift_top_decile"] == pytest.approx(1.0)
    assert forward["capture_top_decile"] == pytest.approx(0.1)


def test_calibration_folds_must_fit_the_smallest_class():
    with pytest.raises(ValueError, match="calibration_folds"):
        with_changes(CHURN.model, min_class_customers=5, calibration_folds=10)


@pytest.mark.parametrize("language", ["zh", "en", "both"])
def test_every_feature_can_be_said_in_words(language):
    from helpers.churn.reasons import reason_text
    from helpers.core.labels import LABELS

    values: dict[str, object] = {name: 3.0 for name in FEATURES}
    values |= {"orders_before": 5.0, "spend_before": 900.0, "interactions_before": 8.0, "complaints_trend": 1.0}
    values |= {name: "华东" for name, f in FEATURES.items() if f.kind == "category"}
    row = pd.Series(values, dtype=object)
    before = LABELS.language
    LABELS.language = language
    try:
        for name in (n for n, f in FEATURES.items() if f.model):  # only what a model weighs is a reason
            text = reason_text(name, row, currency="CNY", trend_months=3, complaints_days=90, window_days=365)
            assert "{" not in text and "nan" not in text, (name, text)
    finally:
        LABELS.language = before
