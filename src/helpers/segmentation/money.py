"""Money thresholds that travel: amounts set in the config's currency, applied to data in another.

The scorecard's cut points (factors 1-3) and the RFM rules' amounts (``M >=
100,000``) are written for a CNY client. On data in GBP, USD or BRL they would
grade almost every customer *small* and fire the override rules as if pounds
were yuan. :class:`MoneyBasis` says how an amount of the config applies to the
data: unchanged (same currency), converted with the mapping's exchange rate,
or not comparable (no rate) — then the scorecard grades money factors by rank
within the period's customers (``money_fallback: percentiles``) or leaves them
out, and RFM rules that test an amount are not applied. Each case says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from helpers.core.config import Bounds
from helpers.core.labels import LABELS
from helpers.segmentation.settings import MONEY_RULE_COLUMNS, RfmSettings

__all__ = ["MoneyBasis", "money_basis", "rfm_in_data_currency"]


@dataclass(frozen=True)
class MoneyBasis:
    """How amounts written in ``config_currency`` apply to data in ``data_currency``.

    Attributes
    ----------
    config_currency, data_currency
        ISO codes.
    rate
        Units of ``data_currency`` per unit of ``config_currency``; None when the
        mapping gives no rate between them (the amounts are not comparable).
    """

    config_currency: str
    data_currency: str
    rate: float | None

    @property
    def comparable(self) -> bool:
        return self.rate is not None

    @property
    def converted(self) -> bool:
        """Whether amounts change on the way (another currency with a known rate)."""
        return self.rate is not None and self.config_currency != self.data_currency

    def convert(self, amount: float) -> float:
        """An amount of the config in the data's currency.

        Raises
        ------
        ValueError
            When the currencies are not comparable (check :attr:`comparable` first).
        """
        if self.rate is None:
            raise ValueError(f"no exchange rate from {self.config_currency} to {self.data_currency}")
        return amount * self.rate

    def describe(self, amounts: str = "Amounts in the grading rules", amounts_zh: str = "分级规则中的金额") -> str:
        """One plain sentence, in the reports' language: how ``amounts`` (``amounts_zh`` in Chinese: what the
        config's amounts are) were read."""
        config, data = self.config_currency, self.data_currency
        if config == data:
            return LABELS.say(f"{amounts} are in {data}, as the data are.", f"{amounts_zh}以 {data} 计，与数据一致。")
        if self.rate is not None:
            return LABELS.say(
                f"{amounts} are set in {config} and the data are in {data}: they are "
                f"converted at 1 {config} = {self.rate:g} {data}, the rate given with "
                "the data.",
                f"{amounts_zh}以 {config} 设定，数据以 {data} 计：按数据附带的汇率 "
                f"1 {config} = {self.rate:g} {data} 换算。",
            )
        return LABELS.say(
            f"{amounts} are set in {config}, but the data are in {data} and no "
            f"exchange rate for {config} is given with the data: they cannot be compared.",
            f"{amounts_zh}以 {config} 设定，但数据以 {data} 计，且数据未附带 {config} 的汇率：两者无法比较。",
        )


def money_basis(config_currency: str, data_currency: str, fx_to_reporting: Mapping[str, float]) -> MoneyBasis:
    """The basis for config amounts in ``config_currency`` on data in ``data_currency``.

    Parameters
    ----------
    config_currency
        The currency the config's amounts are written in (``currency`` of the scorecard, ``rfm.currency``).
    data_currency
        The data's reporting currency (stage 01's ``reporting_currency``).
    fx_to_reporting
        The mapping's rates: units of the reporting currency per unit of each other currency.

    Returns
    -------
    MoneyBasis
    """
    if config_currency == data_currency:
        return MoneyBasis(config_currency, data_currency, 1.0)
    rate = fx_to_reporting.get(config_currency)
    return MoneyBasis(config_currency, data_currency, float(rate) if rate else None)


def _scaled(bounds: Bounds, rate: float) -> Bounds:
    return Bounds(
        min=None if bounds.min is None else bounds.min * rate,
        max=None if bounds.max is None else bounds.max * rate,
    )


def rfm_in_data_currency(settings: RfmSettings, money: MoneyBasis) -> tuple[RfmSettings, dict[str, str]]:
    """The RFM settings with every amount in the data's currency.

    Amounts are the bounds of rule conditions on money indicators (spend,
    profit, order value, returns, overdue) and the fixed spend cut. With a rate
    they are converted. Without one, a rule testing an amount is not applied and
    a fixed cut falls back to the median (an amount in another currency would
    put every customer on one side).

    Parameters
    ----------
    settings
        The ``rfm`` settings as configured.
    money
        From :func:`money_basis` with ``settings.currency``.

    Returns
    -------
    tuple
        The settings to use, and rule (``"override <name>"`` / ``"flag <name>"``,
        or ``"cut"``) -> why it was changed or left out.
    """
    if money.config_currency == money.data_currency:
        return settings, {}
    notes: dict[str, str] = {}
    update: dict[str, object] = {}
    for kind, field in (("override", "overrides"), ("flag", "flags")):
        kept = []
        for rule in getattr(settings, field):
            amounts = [c for c in rule.when if c in MONEY_RULE_COLUMNS]
            if not amounts:
                kept.append(rule)
            elif money.rate is not None:
                when = {c: _scaled(b, money.rate) if c in amounts else b for c, b in rule.when.items()}
                kept.append(rule.model_copy(update={"when": when}))
            else:
                notes[f"{kind} {rule.name}"] = (
                    f"not applied: it tests an amount in {money.config_currency} and the data are in "
                    f"{money.data_currency}, with no exchange rate between them"
                )
        update[field] = kept
    if settings.cut == "fixed":
        if money.rate is not None:
            update["fixed"] = {**settings.fixed, "monetary": settings.fixed["monetary"] * money.rate}
        else:
            update["cut"] = "median"
            notes["cut"] = (
                f"the fixed spend threshold is in {money.config_currency} and the data are in "
                f"{money.data_currency} with no exchange rate, so R, F and M are cut at their medians instead"
            )
    return settings.model_copy(update=update), notes
