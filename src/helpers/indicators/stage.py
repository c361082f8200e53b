"""Stage 02, customer indicators and KPIs (指标体系): the declaration and the computation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from helpers.core.catalog import Output, column_list
from helpers.indicators.customer import INDICATOR_COLUMNS, customer_indicators
from helpers.indicators.kpis import KPI_COLUMNS, kpi_trend
from helpers.indicators.settings import IndicatorSettings
from helpers.pipeline.context import StageContext
from helpers.pipeline.spec import Stage
from helpers.shared import ReadsCleanedData

__all__ = ["STAGE", "IndicatorRun", "compute"]

#: The stage 01 tables the indicators read (all but orders, customers and cleaning are optional).
EVENT_INPUTS = ("tickets", "reviews", "surveys", "interactions", "payments", "leads")


@dataclass
class IndicatorRun(ReadsCleanedData):
    """What stage 02 computed, and the tables it read (for the report).

    Attributes
    ----------
    indicators
        One row per customer known by the as-of date (index ``customer_id``);
        ``attrs["unavailable"]``: indicator -> why the data cannot give it.
    trend
        Company KPIs of the trailing periods, oldest first, ending with this one.
    inputs
        The tables read (``None`` for those the data lack).
    """

    indicators: pd.DataFrame
    trend: pd.DataFrame
    inputs: Mapping[str, Any]
    needs_orders: ClassVar[str] = "the value and behaviour indicators and the order KPIs"

    @property
    def warnings(self) -> list[str]:
        """Data without order lines (a customer snapshot), said once, first."""
        return self.without_orders

    @property
    def outputs(self) -> dict[str, Any]:
        return {"indicators": self.indicators.reset_index(), "kpis": self.trend}


def compute(inputs: Mapping[str, Any], ctx: StageContext) -> IndicatorRun:
    """Customer indicators as of the period and the KPI trend.

    Parameters
    ----------
    inputs
        Stage 01's ``orders``, ``customers`` and ``cleaning``, and the optional
        ``tickets``, ``reviews``, ``surveys``, ``interactions``, ``payments``, ``leads`` (``None`` when absent).
    ctx
        The stage context (period, ``analysis.lookback_days``, the ``indicators`` settings).
    """
    settings: IndicatorSettings = ctx.section
    lookback = ctx.analysis.lookback_days
    tables = {name: inputs.get(name) for name in EVENT_INPUTS}
    indicators = customer_indicators(
        inputs["orders"],
        ctx.period,
        lookback_days=lookback,
        customers=inputs["customers"],
        tickets=tables["tickets"],
        surveys=tables["surveys"],
        interactions=tables["interactions"],
        payments=tables["payments"],
        reviews=tables["reviews"],
        **settings.satisfaction(),
    )
    trend = kpi_trend(
        inputs["orders"],
        ctx.period,
        customers=inputs["customers"],
        tickets=tables["tickets"],
        surveys=tables["surveys"],
        leads=tables["leads"],
        reviews=tables["reviews"],
        lookback_days=lookback,
        churn_horizon_days=ctx.analysis.churn_horizon_days,
        n_periods=settings.trend_periods,
        **settings.satisfaction(),
    )
    return IndicatorRun(indicators, trend, inputs)


STAGE = Stage(
    number=2,
    name="indicators",
    title_zh="指标体系",
    title_en="Customer indicators and KPIs",
    question="How valuable, active and loyal is each customer, and how is the company doing period over period?",
    question_zh="每位客户的价值、活跃度和忠诚度如何？公司各期经营情况如何？",
    inputs=("orders", "customers", "cleaning", *EVENT_INPUTS),
    outputs=(
        Output(
            "indicators",
            "indicators.parquet",
            "value, behaviour and loyalty indicators per customer",
            row="customer known by the as-of date",
            columns=column_list(["customer_id", *INDICATOR_COLUMNS])
            + " (meanings in `helpers.indicators.customer.INDICATOR_DESCRIPTIONS`; NA = not available, never 0)",
        ),
        Output(
            "kpis",
            "kpis.parquet",
            "company KPIs of the trailing periods",
            row="period (the trend, oldest first, ending with this period)",
            columns=column_list(KPI_COLUMNS) + " (meanings in `helpers.indicators.kpis.KPI_DESCRIPTIONS`)",
        ),
    ),
    config_section="indicators",
    settings=IndicatorSettings,
    compute=compute,
)
