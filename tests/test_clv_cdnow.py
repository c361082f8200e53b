"""The CLV models against the published CDNOW results (Fader, Hardie & Lee 2005).

The data go through the project's own loader and cleaning (mapping
``cdnow_sample``), so the check covers the whole path from the raw file to the
fitted parameters: weekly units, calibration 1997-01-01 to 1997-09-30 (39 weeks),
holdout to 1998-06-30.

Published: BG/NBD r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4
("Counting your customers the easy way", Marketing Science 24(2)); Gamma-Gamma
p = 6.25, q = 3.74, gamma = 15.44 on the 946 repeat buyers ("RFM and CLV", JMR 42(4)).
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import SETTINGS, clean, shared_file
from helpers.segmentation.clv import clv_summary, fit_clv, predict_clv, validate_clv

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
CLV = SETTINGS.segmentation.clv

BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    orders = clean(shared_file("CDNOW_sample.txt"), "1998Q2", mapping="cdnow_sample").result.tables["orders"]
    assert len(orders) == 6919  # every row of the file is a purchase
    return orders.loc[orders["line_type"] == "sale"]


@pytest.fixture(scope="module")
def calibration_fit(sales):
    settings = CLV
    assert settings.time_unit == "W" and settings.fit_method == "map"
    summary = clv_summary(sales, observation_end="1998-06-30", calibration_end="1997-09-30", time_unit="W")
    return summary, fit_clv(summary, settings)


def _values(fit, model: str) -> dict[str, float]:
    rows = fit.params.loc[fit.params["model"] == model]
    return dict(zip(rows["parameter"], rows["value"]))


def test_bgnbd_reproduces_the_published_parameters(calibration_fit):
    summary, fit = calibration_fit
    assert fit.customers == 2357 and fit.repeat_customers == 946
    got = _values(fit, "BG/NBD")
    for name, published in BGNBD.items():
        assert got[name] == pytest.approx(published, rel=0.01), name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.5)


def test_gamma_gamma_reproduces_the_published_parameters(calibration_fit):
    _, fit = calibration_fit
    assert fit.spend_customers == 946
    got = _values(fit, "Gamma-Gamma")
    for name, published in GAMMA_GAMMA.items():
        assert got[name] == pytest.approx(published, rel=0.01), name


def test_predictions_are_consistent(calibration_fit):
    summary, fit = calibration_fit
    settings = CLV
    pred = predict_clv(fit, summary, settings)
    assert pred.index.equals(summary.index)
    assert pred.notna().all().all()
    assert pred["p_alive"].between(0, 1).all()
    # One-time buyers are "alive" with probability 1 under BG/NBD (they cannot have dropped out yet).
    assert (pred.loc[summary["frequency"] == 0, "p_alive"] == 1).all()
    # Discounting makes CLV smaller than the undiscounted projected sales, never larger.
    assert (pred["clv"] <= pred["projected_sales"] + 1e-9).all()
    assert pred["projected_sales"].equals(pred["expected_purchases"] * pred["expected_spend"])
    # A customer with no repeat purchase gets the population mean spend E[Z] = p v / (q - 1).
    gg = _values(fit, "Gamma-Gamma")
    one_timer = pred.loc[summary["frequency"] == 0, "expected_spend"]
    assert one_timer.to_numpy() == pytest.approx(gg["p"] * gg["v"] / (gg["q"] - 1))


@pytest.fixture(scope="module")
def holdout_check(sales):
    settings = CLV
    return validate_clv(sales, calibration_end="1997-09-30", observation_end="1998-06-30", settings=settings)


def test_holdout_validation(holdout_check):
    check = holdout_check
    e = check.errors
    assert e["customers"] == 2357 and e["holdout_units"] == 39.0
    # Actual repeat purchase days in weeks 40-78 of the sample.
    assert e["actual_total"] == check.customers["actual"].sum() == 1882
    # The model forecasts the holdout in aggregate within 15% and ranks customers usefully.
    assert abs(e["total_error_pct"]) < 15
    assert e["correlation"] > 0.5
    by = check.by_frequency
    assert by["customers"].sum() == 2357
    assert list(by["label"]) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    # Conditional expectations rise with calibration frequency, as in the paper's figure.
    assert by["predicted"].is_monotonic_increasing and by["actual"].is_monotonic_increasing


def test_tracking_curve(holdout_check):
    check = holdout_check
    track = check.tracking
    assert track["date"].iloc[0] == pd.Timestamp("1997-01-01")
    assert track["date"].iloc[-1] == pd.Timestamp("1998-06-30")
    assert track["actual"].is_monotonic_increasing and track["predicted"].is_monotonic_increasing
    at_cut = track.loc[track["date"] <= "1997-09-30"].iloc[-1]
    # Repeat purchase days up to the end of the calibration (the 946 repeaters' frequencies add up to this).
    in_calibration = check.customers["frequency"].sum()
    assert at_cut["actual"] <= in_calibration
    # The fitted model tracks the calibration period closely (it was fitted on it).
    assert at_cut["predicted"] == pytest.approx(in_calibration, rel=0.05)
    end = track.iloc[-1]
    assert end["actual"] == in_calibration + check.errors["actual_total"]
