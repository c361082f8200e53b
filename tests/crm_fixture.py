"""A CRM sales pipeline shaped like a B2B CRM's exports (English, USD): deals with stage, agent, product, account
and close value; accounts with sector and employees; the product price list. Won deals are also the order lines.

Wins are planted by a known logit: the sales agent, the product, the sector and a large account move the odds, so
a model fitted on the pipeline can beat an expert score that sees only size and industry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

__all__ = ["CRM_PERIOD", "write_crm"]

#: The period the fixture's history ends with.
CRM_PERIOD = "2024Q4"

_PRODUCTS = {"GTX Basic": 550, "GTX Pro": 4821, "MG Special": 55, "MG Advanced": 3393, "GTX Plus Pro": 5482}
_SECTORS = ["technolgy", "software", "retail", "medical", "finance", "marketing", "telecommunications"]


def _mapping() -> dict:
    pipeline_join = [
        {"files": ["accounts.csv"], "on": "account", "name": "accounts", "required": False},
        {"files": ["products.csv"], "on": "product", "name": "products", "required": True},
    ]
    return {
        "name": "crm_pipeline",
        "title": "B2B CRM pipeline (fixture)",
        "currency": "USD",
        "reporting_currency": "USD",
        "decimal_mark": ".",
        "ids": {"case": "keep", "leading_zeros": "keep", "inner_spaces": "keep"},
        "date_formats": ["%Y-%m-%d"],
        "tables": {
            "orders": {
                "files": ["sales_pipeline.csv"],
                "join": pipeline_join,
                "columns": {
                    "order_id": "opportunity_id",
                    "customer_id": "account",
                    "order_date": "close_date",
                    "product_id": "product",
                    "amount": "close_value",
                },
                "constants": {"quantity": 1},
                "derive": {"status": "CASE WHEN deal_stage = 'Won' THEN 'completed' ELSE 'cancelled' END"},
            },
            "customers": {
                "files": ["accounts.csv"],
                "columns": {"customer_id": "account", "customer_name": "account", "industry": "sector"},
                "derive": {
                    "company_size": "CASE WHEN employees >= 1000 THEN 'large' WHEN employees >= 50 THEN 'medium' "
                    "ELSE 'small' END"
                },
            },
            "leads": {
                "files": ["sales_pipeline.csv"],
                "join": pipeline_join,
                "columns": {
                    "lead_id": "opportunity_id",
                    "company_name": "account",
                    "customer_id": "account",
                    "industry": "sector",
                    "created_date": "engage_date",
                    "engaged_date": "engage_date",
                    "closed_date": "close_date",
                    "stage": "deal_stage",
                    "outcome": "deal_stage",
                    "owner": "sales_agent",
                    "product": "product",
                },
                "values": {"outcome": {"Won": "won", "Lost": "lost", "Engaging": "open", "Prospecting": "open"}},
                "derive": {
                    # won: what was closed; lost or open: the product's list price (a lost deal's value reads 0)
                    "deal_value": "CASE WHEN deal_stage = 'Won' THEN close_value ELSE sales_price END",
                    "company_size": "CASE WHEN employees >= 1000 THEN 'large' WHEN employees >= 50 THEN 'medium' "
                    "WHEN employees IS NULL THEN NULL ELSE 'small' END",
                },
            },
        },
    }


def write_crm(folder: Path, *, deals: int = 2000, accounts: int = 80, agents: int = 12, seed: int = 7) -> Path:
    """Write the CRM export and its mapping into ``folder``; returns the mapping's path.

    Deals are engaged over the two years up to the end of :data:`CRM_PERIOD`; those engaged in its last weeks
    are still open (Prospecting or Engaging).
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"Account {i:03d}" for i in range(accounts)]
    employees = rng.lognormal(5.5, 1.6, accounts).round().astype(int) + 3
    sector = rng.choice(_SECTORS, accounts)
    pd.DataFrame({"account": names, "sector": sector, "employees": employees}).to_csv(
        folder / "accounts.csv", index=False
    )
    pd.DataFrame({"product": list(_PRODUCTS), "sales_price": list(_PRODUCTS.values())}).to_csv(
        folder / "products.csv", index=False
    )
    agent_names = [f"Agent {chr(65 + i)}" for i in range(agents)]
    agent_effect = dict(zip(agent_names, rng.normal(0, 0.9, agents), strict=True))
    product_effect = dict(zip(_PRODUCTS, [0.6, -0.5, 0.4, 0.0, -0.6], strict=True))
    sector_effect = dict(zip(_SECTORS, rng.normal(0, 0.3, len(_SECTORS)), strict=True))

    account = rng.integers(0, accounts, deals)
    agent = rng.choice(agent_names, deals)
    product = rng.choice(list(_PRODUCTS), deals, p=[0.3, 0.15, 0.3, 0.15, 0.1])
    end = pd.Timestamp("2024-12-31")
    engage = end - pd.to_timedelta(rng.integers(0, 730, deals), unit="D")
    days = rng.gamma(2.0, 25.0, deals).round().astype(int) + 1
    close = engage + pd.to_timedelta(days, unit="D")
    logit = (
        -0.6
        + np.array([agent_effect[a] for a in agent])
        + np.array([product_effect[p] for p in product])
        + np.array([sector_effect[sector[a]] for a in account])
        + 0.5 * (employees[account] >= 1000)
    )
    won = rng.random(deals) < 1 / (1 + np.exp(-logit))
    is_open = close > end
    stage = np.where(is_open, rng.choice(["Prospecting", "Engaging"], deals), np.where(won, "Won", "Lost"))
    price = np.array([_PRODUCTS[p] for p in product])
    value = np.where(stage == "Won", (price * rng.uniform(0.85, 1.1, deals)).round(), np.where(is_open, np.nan, 0))
    pd.DataFrame(
        {
            "opportunity_id": [f"OPP{i:05d}" for i in range(deals)],
            "sales_agent": agent,
            "product": product,
            "account": np.array(names)[account],
            "deal_stage": stage,
            "engage_date": engage.strftime("%Y-%m-%d"),
            "close_date": np.where(is_open, "", close.strftime("%Y-%m-%d")),
            "close_value": value,
        }
    ).to_csv(folder / "sales_pipeline.csv", index=False)
    path = folder / "mapping.yaml"
    path.write_text(yaml.safe_dump(_mapping(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
