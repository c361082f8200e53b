"""A customer snapshot shaped like a subscription business's export, with churn planted by known rules.

One row per customer, no order history: tenure in months, contract, payment method, services, monthly and
total charges (total charges blank text for customers in their first month, as such exports write them), and a
Yes/No churn column of which a share is left blank (customers still to be scored).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CONTRACTS_MAPPING", "SNAPSHOT_MAPPING", "write_contracts", "write_snapshot"]

#: A mapping for the fixture, written as the README tells a user to write one.
SNAPSHOT_MAPPING = """\
title: Subscription snapshot (test fixture)
currency: USD
reporting_currency: USD
tables:
  customers:
    files: [subscribers.csv]
    columns:
      customer_id: customerID
      tenure_months: tenure
      churned: Churn
    attributes:
      Gender: gender
      Senior citizen: SeniorCitizen
      Partner: Partner
      Internet service: InternetService
      Online security: OnlineSecurity
      Tech support: TechSupport
      Streaming TV: StreamingTV
      Contract: Contract
      Paperless billing: PaperlessBilling
      Payment method: PaymentMethod
      Monthly charges: MonthlyCharges
      Total charges: TotalCharges
      Referral code: Referral
"""


def write_snapshot(folder: Path, n: int = 1500, *, seed: int = 7, blank_share: float = 0.15) -> pd.DataFrame:
    """Write ``subscribers.csv`` into ``folder``; return the truth (``customerID``, ``churn_true``, ``blanked``)."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.21, 0.24])
    internet = rng.choice(["DSL", "Fiber optic", "No"], n, p=[0.34, 0.44, 0.22])
    payment = rng.choice(
        ["Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"],
        n,
        p=[0.34, 0.23, 0.22, 0.21],
    )
    tenure = np.where(contract == "Month-to-month", rng.integers(0, 40, n), rng.integers(0, 73, n))
    has_net = internet != "No"

    def service(p: float) -> np.ndarray:
        return np.where(has_net, np.where(rng.random(n) < p, "Yes", "No"), "No internet service")

    security, support, tv = service(0.35), service(0.35), service(0.5)
    monthly = np.round(
        20
        + np.where(internet == "Fiber optic", 50, np.where(has_net, 25, 0))
        + 10 * (tv == "Yes")
        + rng.normal(0, 4, n),
        2,
    )
    total = np.where(tenure == 0, " ", np.char.mod("%.2f", monthly * np.maximum(tenure, 1)))
    logit = (
        -1.6
        + 1.3 * (contract == "Month-to-month")
        - 1.0 * (contract == "Two year")
        + 0.8 * (internet == "Fiber optic")
        + 0.6 * (payment == "Electronic check")
        - 0.5 * (security == "Yes")
        - 0.035 * tenure
    )
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
    ids = [f"{i:04d}-{''.join(rng.choice(list('ABCDEFGHJKLMNPQRSTUVWXYZ'), 5))}" for i in range(n)]
    blanked = rng.random(n) < blank_share
    frame = pd.DataFrame(
        {
            "customerID": ids,
            "gender": rng.choice(["Female", "Male"], n),
            "SeniorCitizen": (rng.random(n) < 0.16).astype(int),
            "Partner": rng.choice(["Yes", "No"], n),
            "tenure": tenure,
            "InternetService": internet,
            "OnlineSecurity": security,
            "TechSupport": support,
            "StreamingTV": tv,
            "Contract": contract,
            "PaperlessBilling": rng.choice(["Yes", "No"], n, p=[0.6, 0.4]),
            "PaymentMethod": payment,
            "MonthlyCharges": monthly,
            "TotalCharges": total,
            "Referral": "",  # a column the export carries empty
            "Churn": np.where(blanked, "", np.where(churn, "Yes", "No")),
        }
    )
    Path(folder).mkdir(parents=True, exist_ok=True)
    frame.to_csv(Path(folder) / "subscribers.csv", index=False)
    return pd.DataFrame({"customerID": ids, "churn_true": churn, "blanked": blanked})


#: A mapping for :func:`write_contracts`: churn recorded as a closing date, the start as a signing date.
CONTRACTS_MAPPING = """\
title: Contract accounts (test fixture)
currency: EUR
reporting_currency: EUR
date_formats: ["%Y-%m-%d"]
tables:
  customers:
    files: [accounts.csv]
    columns: {customer_id: account_id, registration_date: signed_on, churn_date: closed_on, region: region}
    attributes: {Plan: plan, Seats: seats, Total billed: total_billed}
"""


def write_contracts(
    folder: Path, n: int = 3000, *, seed: int = 5, as_of: str = "2026-09-30", planted: bool = True
) -> pd.DataFrame:
    """Write ``accounts.csv``: accounts signed over four years, closed at a monthly hazard set by their plan and
    seats (``planted=False``: the same hazard for all), blank while open, with the total billed up to the export (a
    running total that stops growing when an account closes: it would give the churn away at a past cut-off).

    Returns the truth: ``account_id``, ``hazard`` (monthly), ``signed_on``, ``closed_on``."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(as_of)
    signed = end - pd.to_timedelta(rng.integers(30, 4 * 365, n), unit="D")
    plan = rng.choice(["Basic", "Pro", "Enterprise"], n, p=[0.5, 0.35, 0.15])
    seats = np.where(plan == "Enterprise", rng.integers(50, 500, n), rng.integers(1, 60, n))
    hazard = np.select([plan == "Basic", plan == "Pro"], [0.035, 0.015], 0.006) * np.where(seats > 20, 0.6, 1.0)
    if not planted:
        hazard = np.full(n, 0.02)
    lifetime = rng.exponential(1 / hazard) * 30.4375
    closed = signed + pd.to_timedelta(np.round(lifetime), unit="D")
    closed = pd.Series(closed).where(pd.Series(closed) <= end)
    months = (closed.fillna(end) - pd.Series(signed)).dt.days / 30.4375
    frame = pd.DataFrame(
        {
            "account_id": [f"A{i:05d}" for i in range(n)],
            "signed_on": signed.strftime("%Y-%m-%d"),
            "closed_on": closed.dt.strftime("%Y-%m-%d").fillna(""),
            "plan": plan,
            "seats": seats,
            "region": rng.choice(["EMEA", "APAC", "North America"], n),
            "total_billed": np.round(months * seats * 12.5, 2),
        }
    )
    Path(folder).mkdir(parents=True, exist_ok=True)
    frame.to_csv(Path(folder) / "accounts.csv", index=False)
    return pd.DataFrame({"account_id": frame["account_id"], "hazard": hazard, "signed_on": signed, "closed_on": closed})
