"""The CLV summary on the CDNOW sample, against the published figures and hand-derived rows.

Fader, Hardie & Lee (2005) use weekly units, a 39-week calibration period
(1997-01-01 to 1997-09-30) and a 39-week holdout up to 1998-06-30; their
Gamma-Gamma spend model is fitted on the 946 sample customers with at least one
repeat purchase in the calibration period.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers.segmentation.clv import clv_summary

CDNOW_SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "CDNOW_sample.txt"
pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    if not CDNOW_SAMPLE.is_file():
        pytest.skip(f"CDNOW sample not found at {CDNOW_SAMPLE} (it lives in the shared data folder)")
    raw = pd.read_csv(
        CDNOW_SAMPLE,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "dollars"],
        dtype={"master_id": str, "customer_id": int, "date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return clv_summary(
        raw,
        customer_col="customer_id",
        date_col="date",
        amount_col="dollars",
        observation_end="1998-06-30",
        calibration_end="1997-09-30",
        time_unit="W",
    )


def test_published_counts(summary):
    assert len(summary) == 2357
    # Same-day purchases count once; bucketing by calendar week instead gives 929.
    assert int((summary["frequency"] > 0).sum()) == 946
    assert (summary["duration_holdout"] == 39.0).all()  # 1997-09-30 to 1998-06-30 = 273 days


def test_single_purchase_customer(summary):
    # Customer 3: one row, 19970101 $6.79.
    # T = 1997-09-30 - 1997-01-01 = 272 days = 38.857 weeks; no repeat, no holdout purchase.
    assert summary.loc[3].to_dict() == pytest.approx(
        {
            "frequency": 0.0,
            "recency": 0.0,
            "T": 272 / 7,
            "monetary_value": 0.0,
            "frequency_holdout": 0.0,
            "monetary_value_holdout": 0.0,
            "duration_holdout": 39.0,
        }
    )


def test_two_purchases_on_one_day_are_one_transaction(summary):
    # Customer 26: 19970102 $3.99; 19970113 $166.89 and 19970113 $60.25 (same day -> $227.14).
    # frequency 1 (not 2); recency = 11 days; T = 1997-09-30 - 1997-01-02 = 271 days.
    assert summary.loc[26].to_dict() == pytest.approx(
        {
            "frequency": 1.0,
            "recency": 11 / 7,
            "T": 271 / 7,
            "monetary_value": 227.14,
            "frequency_holdout": 0.0,
            "monetary_value_holdout": 0.0,
            "duration_holdout": 39.0,
        }
    )


def test_repeat_and_holdout_purchases(summary):
    # Customer 61, calibration rows:
    #   19970104 56.27 | 19970120 62.90 + 15.36 = 78.26 | 19970224 63.95 + 24.99 = 88.94
    #   19970303 15.36 | 19970729 31.03
    # -> 5 purchase days, frequency 4; recency = 1997-07-29 - 1997-01-04 = 206 days;
    #    T = 1997-09-30 - 1997-01-04 = 269 days;
    #    monetary_value = (78.26 + 88.94 + 15.36 + 31.03) / 4 = 213.59 / 4 = 53.3975.
    # Holdout rows: 19971217 29.48 | 19971218 28.49 | 19971222 66.97
    # -> frequency_holdout 3, monetary_value_holdout = 124.94 / 3.
    assert summary.loc[61].to_dict() == pytest.approx(
        {
            "frequency": 4.0,
            "recency": 206 / 7,
            "T": 269 / 7,
            "monetary_value": 53.3975,
            "frequency_holdout": 3.0,
            "monetary_value_holdout": 124.94 / 3,
            "duration_holdout": 39.0,
        }
    )
