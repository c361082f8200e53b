"""The weighted-score engine the scorecard and the opportunity score share: its invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.scoring import weighted_score

WEIGHTS = {"size": 20.0, "industry": 25.0, "budget": 30.0, "contact": 25.0}
sub_score = st.one_of(st.none(), st.floats(0, 1))
rows = st.lists(st.fixed_dictionaries({k: sub_score for k in WEIGHTS}), min_size=1, max_size=20)


def _frame(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=list(WEIGHTS), dtype="float64")


@given(rows)
def test_the_score_stays_within_0_and_100_and_is_nan_only_without_any_factor(records):
    scores = weighted_score(_frame(records), WEIGHTS)
    none = _frame(records).isna().all(axis=1)
    assert scores.loc[~none, "score"].between(0, 100).all()
    assert scores.loc[none, "score"].isna().all()
    assert scores["coverage"].between(0, 1).all()


@given(rows, st.sampled_from(list(WEIGHTS)), st.floats(0, 1))
def test_raising_one_sub_score_never_lowers_the_score(records, factor, bump):
    before = _frame(records)
    after = before.copy()
    after[factor] = np.minimum(after[factor] + bump, 1.0)
    a, b = weighted_score(before, WEIGHTS)["score"], weighted_score(after, WEIGHTS)["score"]
    known = a.notna()
    assert (b[known] >= a[known] - 1e-9).all()


@given(rows, st.sampled_from(list(WEIGHTS)))
def test_a_missing_factor_is_left_out_and_the_others_re_weighted(records, factor):
    frame = _frame(records)
    frame[factor] = np.nan
    with_gap = weighted_score(frame, WEIGHTS)
    without = weighted_score(frame.drop(columns=factor), {k: w for k, w in WEIGHTS.items() if k != factor})
    pd.testing.assert_series_equal(with_gap["score"], without["score"])
    assert (with_gap["coverage"] <= 1 - WEIGHTS[factor] / sum(WEIGHTS.values()) + 1e-12).all()
    assert with_gap["factors_missing"].str.contains(factor).all()


def test_the_domain_example_and_the_scale():
    # all points on budget and contact, none on size and industry: 55 of 100
    frame = pd.DataFrame({"size": [0.0], "industry": [0.0], "budget": [1.0], "contact": [1.0]})
    assert weighted_score(frame, WEIGHTS)["score"].iat[0] == pytest.approx(55)
    levels = pd.DataFrame({"a": [4, 1, 2], "b": [4, 1, pd.NA]}, dtype="Int64")
    scored = weighted_score(levels, {"a": 1, "b": 1}, scale=(1, 4))
    assert scored["score"].round(4).tolist() == [100.0, 0.0, 33.3333]
    assert scored["factors_missing"].tolist() == ["", "", "b"]


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="no column for factor"):
        weighted_score(pd.DataFrame({"size": [1.0]}), WEIGHTS)
    with pytest.raises(ValueError, match="off the scale"):
        weighted_score(pd.DataFrame({"a": [1.5]}, index=["L7"]), {"a": 1})
    with pytest.raises(ValueError, match="not all 0"):
        weighted_score(pd.DataFrame({"a": [0.5]}), {"a": 0})
