"""A marketing funnel shaped like a marketplace's public funnel export: marketing-qualified leads (first contact,
landing page, origin) and the closed deals (won date, sales rep, business segment, lead type). There are no
order lines: the lead history is the data.

Wins are planted by the lead's origin. The closed-deal columns (sales rep, segment, lead type) are filled only for
won deals, as in such exports: a model that used them would read the outcome from them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

__all__ = ["FUNNEL_PERIOD", "write_funnel"]

#: The period the fixture's history ends with.
FUNNEL_PERIOD = "2018Q3"

_ORIGINS = {
    "organic_search": 0.14,
    "paid_search": 0.12,
    "social": 0.06,
    "direct_traffic": 0.10,
    "email": 0.03,
    "referral": 0.20,
    "unknown": 0.05,
}


def _mapping() -> dict:
    """The mapping a consultant writes from the README for this funnel."""
    old = "first_contact_date < DATE '2018-09-30' - INTERVAL 90 DAY"  # no news after 90 days: lost
    return {
        "name": "marketing_funnel",
        "title": "Marketing funnel (fixture)",
        "currency": "BRL",
        "reporting_currency": "BRL",
        "decimal_mark": ".",
        "ids": {"case": "keep", "leading_zeros": "keep", "inner_spaces": "keep"},
        "date_formats": ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S"],
        "tables": {
            "leads": {
                "files": ["marketing_qualified_leads.csv"],
                "join": [{"files": ["closed_deals.csv"], "on": "mql_id", "name": "deals", "required": False}],
                "columns": {
                    "lead_id": "mql_id",
                    "created_date": "first_contact_date",
                    "source": "origin",
                    "owner": "sr_id",
                    "industry": "business_segment",
                    "customer_id": "seller_id",
                },
                "derive": {
                    "outcome": f"CASE WHEN won_date IS NOT NULL THEN 'won' WHEN {old} THEN 'lost' ELSE 'open' END",
                    "closed_date": f"CASE WHEN won_date IS NOT NULL THEN CAST(won_date AS DATE) WHEN {old} "
                    "THEN CAST(first_contact_date AS DATE) + INTERVAL 90 DAY END",
                },
            },
        },
    }


def write_funnel(folder: Path, *, leads: int = 4000, seed: int = 11) -> Path:
    """Write the funnel's two files and its mapping into ``folder``; returns the mapping's path."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    origin = rng.choice(list(_ORIGINS), leads, p=[0.3, 0.2, 0.12, 0.1, 0.08, 0.1, 0.1])
    first = pd.Timestamp("2017-07-01") + pd.to_timedelta(rng.integers(0, 456, leads), unit="D")
    won = rng.random(leads) < np.array([_ORIGINS[o] for o in origin]) * 1.6
    days = rng.gamma(1.5, 30, leads).round().astype(int) + 1
    won_date = first + pd.to_timedelta(days, unit="D")
    won &= won_date <= pd.Timestamp("2018-09-30")
    ids = [f"{rng.integers(0, 2**63):016x}" for _ in range(leads)]
    pd.DataFrame(
        {
            "mql_id": ids,
            "first_contact_date": first.strftime("%Y-%m-%d"),
            "landing_page_id": rng.choice([f"lp{i}" for i in range(30)], leads),
            "origin": np.where(origin == "unknown", "", origin),
        }
    ).to_csv(folder / "marketing_qualified_leads.csv", index=False)
    n = int(won.sum())
    pd.DataFrame(
        {
            "mql_id": np.array(ids)[won],
            "seller_id": [f"s{i:05d}" for i in range(n)],
            "sdr_id": rng.choice([f"sdr{i}" for i in range(8)], n),
            "sr_id": rng.choice([f"sr{i}" for i in range(6)], n),
            "won_date": won_date[won].strftime("%Y-%m-%d %H:%M:%S"),
            "business_segment": rng.choice(["home_decor", "health_beauty", "car_accessories", "computers"], n),
            "lead_type": rng.choice(["online_medium", "online_big", "industry", "offline"], n),
            "declared_monthly_revenue": 0.0,
        }
    ).to_csv(folder / "closed_deals.csv", index=False)
    path = folder / "mapping.yaml"
    path.write_text(yaml.safe_dump(_mapping(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
