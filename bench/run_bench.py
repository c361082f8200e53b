"""Benchmark: cleaning + indicators on real and generated data, the engine choice, churn, co-purchase (stage 05's
growth) against one DuckDB query, the report run vs floor.

Run ``make bench`` (or ``python bench/run_bench.py``). Options: ``--lines`` for
the size of the generated table (default 5,000,000), ``--skip-big`` to leave
it out, ``--repeat`` for the report-run timings. Each measurement runs in a
fresh Python process, so its peak memory (max RSS) is its own. Results go to
``bench/results/bench.json`` and a Markdown table is printed.

This is a measurement, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"
BIG_DATA = ROOT / "bench" / "data"
SAMPLE_LINES_PER_CUSTOMER = 31  # measured: 3,126,779 order lines for 100,000 customers


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


# --------------------------------------------------------------------------- in-process tasks
def _project(tmp: str) -> Path:
    """A scratch project using the repository's config and notebooks (outputs go to the scratch folder)."""
    root = Path(tmp)
    for name in ("config", "notebooks"):
        (root / name).symlink_to(ROOT / name)
    return root


def task_pipeline(data: str, period: str) -> dict[str, float]:
    """Stages 01 (load + clean) and 02 (indicators + KPI trend) through their own computations, in memory."""
    from helpers.pipeline.memory import run_in_memory

    with tempfile.TemporaryDirectory() as tmp:
        run = run_in_memory(_project(tmp), period, data=data, last=2)
    cleaning = run.results["01_data_cleaning"]
    return {
        "raw_order_lines": len(cleaning.loaded["orders"].data),
        "kept_order_lines": len(cleaning.result.tables["orders"]),
        "customers": len(cleaning.result.tables["customers"]),
        "load_and_clean_s": run.seconds["01_data_cleaning"],
        "indicators_s": run.seconds["02_indicators"],
        "total_s": sum(run.seconds.values()),
        "peak_rss_mb": _peak_mb(),
    }


def task_engines(data: str, period: str) -> dict[str, float]:
    """The core R/F/M aggregation three ways on the same clean orders, checked to agree."""
    import duckdb
    import pandas as pd

    from helpers.indicators.customer import customer_indicators
    from helpers.pipeline.memory import run_in_memory

    with tempfile.TemporaryDirectory() as tmp:
        run = run_in_memory(_project(tmp), period, data=data, last=1)
        ctx = run.results["01_data_cleaning"]
    orders = ctx.result.tables["orders"]
    from helpers.core.periods import parse_period

    parsed = parse_period(period)
    as_of, end = parsed.as_of, parsed.end_exclusive
    start = end - pd.Timedelta(days=365)
    window = orders[(orders["order_date"] >= start) & (orders["order_date"] < end)]

    def vectorised() -> pd.DataFrame:
        sales = window[window["line_type"] == "sale"]
        return pd.DataFrame(
            {
                "recency": (as_of - sales.groupby("customer_id")["order_date"].max().dt.normalize()).dt.days,
                "frequency": sales.groupby("customer_id")["order_id"].nunique(),
                "monetary": window.groupby("customer_id")["amount"].sum(),
            }
        ).dropna(subset=["frequency"])

    def naive() -> pd.DataFrame:
        def one(g: pd.DataFrame) -> pd.Series:
            s = g[g["line_type"] == "sale"]
            return pd.Series(
                {
                    "recency": (as_of - s["order_date"].max().normalize()).days if len(s) else None,
                    "frequency": s["order_id"].nunique() if len(s) else None,
                    "monetary": g["amount"].sum(),
                }
            )

        return window.groupby("customer_id").apply(one, include_groups=False).dropna(subset=["frequency"])

    def sql() -> pd.DataFrame:
        con = duckdb.connect()
        con.register("w", window[["customer_id", "order_id", "order_date", "amount", "line_type"]])
        frame = (
            con.execute(
                """SELECT customer_id,
                      date_diff('day', max(order_date) FILTER (WHERE line_type = 'sale'), ?::TIMESTAMP) AS recency,
                      count(DISTINCT order_id) FILTER (WHERE line_type = 'sale') AS frequency,
                      sum(amount) AS monetary
               FROM w GROUP BY customer_id HAVING count(*) FILTER (WHERE line_type = 'sale') > 0""",
                [as_of],
            )
            .df()
            .set_index("customer_id")
        )
        con.close()
        return frame

    timings, results = {}, {}
    for name, fn in (("pandas_vectorised_s", vectorised), ("duckdb_sql_s", sql), ("pandas_groupby_apply_s", naive)):
        runs = []
        for _ in range(3 if name != "pandas_groupby_apply_s" else 1):
            t = time.perf_counter()
            results[name] = fn()
            runs.append(time.perf_counter() - t)
        timings[name] = min(runs)
    base = results["pandas_vectorised_s"].sort_index()
    for name, frame in results.items():
        other = frame.sort_index().astype("float64")
        if not (other.index.equals(base.index) and ((other - base.astype("float64")).abs().max() < 1e-6).all()):
            raise AssertionError(f"{name} disagrees with the vectorised result")
    t = time.perf_counter()
    customer_indicators(
        orders, parsed, lookback_days=365, csat_satisfied_min=4, nps_promoter_min=9, nps_detractor_max=6
    )
    timings["customer_indicators_full_s"] = time.perf_counter() - t
    timings["window_lines"] = len(window)
    return timings


def task_grading(data: str, period: str, cache: str) -> dict[str, float]:
    """Stage 03's computation on stages 01-02's outputs: the whole stage, and its CLV fit, prediction and check.

    ``cache`` is the PyTensor compile folder: empty for a cold run (first use: the models are compiled),
    filled by an earlier process for a warm one.
    """
    os.environ["PYTENSOR_FLAGS"] = f"base_compiledir={cache}"
    from helpers.pipeline.memory import run_in_memory

    with tempfile.TemporaryDirectory() as tmp:
        run = run_in_memory(_project(tmp), period, data=data, last=3)
    grading = run.results["03_rfm_segmentation"]
    clv = grading.clv
    return {
        "customers": len(grading.segments),
        "stage_03_s": run.seconds["03_rfm_segmentation"],
        "clv_fit_s": clv.fit.seconds if clv.fit else float("nan"),  # the chosen purchase model + Gamma-Gamma
        "holdout_refit_s": clv.validation.fit.seconds if clv.validation else float("nan"),  # the chosen model only
    }


def task_churn(data: str, period: str) -> dict[str, float]:
    """Stage 04's computation on stages 01-03's outputs, and where its time goes."""
    from helpers.pipeline.memory import run_in_memory

    with tempfile.TemporaryDirectory() as tmp:
        run = run_in_memory(_project(tmp), period, data=data, last=4)
    churn = run.results["04_churn_model"]
    fit = churn.fit
    return {
        "customers_scored": len(churn.table),
        "training_rows": fit.sizes["train"]["rows"] + fit.sizes["final_train"]["rows"],
        "stage_04_s": run.seconds["04_churn_model"],
        **{f"{phase}_s": value for phase, value in churn.seconds.items()},
        **{f"auc_{name}": float(fit.comparison.loc[name, "auc"]) for name in fit.comparison.index},
    }


def _co_purchase_sql(spend, min_buyers: int, max_items: int):
    """The obvious alternative to :func:`helpers.opportunity.growth.co_purchase`: one DuckDB query (pairs by a
    self-join, the best "buyers of j also buy k" per customer and item not bought)."""
    import duckdb
    import pandas as pd

    long = spend.rename_axis(index="customer_id", columns="item").stack().rename("amount").reset_index()
    long = long.loc[long["amount"] > 0, ["customer_id", "item"]]
    long["item"] = long["item"].astype(str)
    con = duckdb.connect()
    con.register("b0", long)
    return (
        con.execute(
            f"""
        WITH n AS (SELECT item, count(*) AS buyers FROM b0 GROUP BY item HAVING count(*) >= {min_buyers}
                   ORDER BY buyers DESC, item LIMIT {max_items}),
             b AS (SELECT b0.* FROM b0 JOIN n USING (item)),
             pair AS (SELECT x.item AS j, y.item AS k, count(*) AS both_ FROM b x JOIN b y
                      ON x.customer_id = y.customer_id AND x.item <> y.item GROUP BY 1, 2),
             share AS (SELECT j, k, both_ / buyers AS share FROM pair JOIN n ON n.item = j),
             cand AS (SELECT b.customer_id, share.k AS item, max(share.share) AS propensity
                      FROM b JOIN share ON b.item = share.j GROUP BY 1, 2)
        SELECT * FROM cand ANTI JOIN b USING (customer_id, item)
        """
        )
        .df()
        .pipe(lambda d: d.set_index(["customer_id", "item"])["propensity"].astype(pd.Float64Dtype()))
    )


def task_growth(data: str, period: str) -> dict[str, float]:
    """Co-purchase propensities (stage 05's growth) against one DuckDB query, on real order lines and on a
    generated 100,000 customers x 200 items; and stage 05 as a whole."""
    import numpy as np
    import pandas as pd

    from helpers.opportunity.growth import co_purchase
    from helpers.pipeline.memory import run_in_memory

    with tempfile.TemporaryDirectory() as tmp:
        run = run_in_memory(_project(tmp), period, data=data, last=5)
    orders = run.outputs["orders"]
    item = run.results["05_opportunity_scoring"].growth_item
    real = orders.dropna(subset=[item]).groupby(["customer_id", item])["amount"].sum().unstack(fill_value=0.0)
    rng = np.random.default_rng(1)
    taste = rng.dirichlet(np.full(200, 0.3), 20)[rng.integers(0, 20, 100_000)]  # 20 kinds of customer
    generated = pd.DataFrame((rng.random((100_000, 200)) < taste * 8) * 100.0, columns=[f"i{k}" for k in range(200)])
    out: dict[str, float] = {"stage_05_s": run.seconds["05_opportunity_scoring"]}
    for name, spend in (("real", real), ("generated", generated)):
        started = time.perf_counter()
        propensity, _, _ = co_purchase(spend, min_buyers=10, max_items=200)
        ours = time.perf_counter() - started
        started = time.perf_counter()
        sql = _co_purchase_sql(spend, 10, 200)
        duck = time.perf_counter() - started
        mine = propensity.rename_axis(index="customer_id", columns="item").stack()
        mine = mine[mine > 0]
        mine.index = mine.index.set_levels(mine.index.levels[1].astype(str), level=1)
        both = pd.concat([mine.rename("ours"), sql.astype(float).rename("sql")], axis=1).fillna(0.0)
        out |= {
            f"{name}_customers": float(len(spend)),
            f"{name}_items": float(propensity.shape[1]),
            f"{name}_numpy_s": ours,
            f"{name}_duckdb_s": duck,
            f"{name}_max_abs_difference": float((both["ours"] - both["sql"]).abs().max()),
        }
    return out


def task_report(root: str, data: str, period: str, floor: bool) -> dict[str, float]:
    """One ``grading run`` of every stage, or the floor: as many empty notebooks through Papermill + nbconvert."""
    import nbformat

    from helpers.core.catalog import ProjectPaths
    from helpers.core.periods import parse_period
    from helpers.pipeline import registry
    from helpers.pipeline.runner import run_period

    project = _project(root)
    paths = ProjectPaths(project)
    t = time.perf_counter()
    if floor:
        empty_dir = project / "empty"
        empty_dir.mkdir()
        for stage in registry.stages():
            empty = nbformat.v4.new_notebook()
            cell = nbformat.v4.new_code_cell("period = ''\ndata = ''\nmapping = ''\nproject_root = ''\nrun_id = ''")
            cell.metadata["tags"] = ["parameters"]
            empty.cells = [cell]
            empty.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
            nbformat.write(empty, empty_dir / stage.notebook)
            _floor_notebook(empty_dir / stage.notebook, empty_dir / "out", period)
        stages = len(registry.stages())
    else:
        settings = registry.load_settings(paths.config)
        params = {"data": data, "mapping": ""}
        with open(os.devnull, "w") as quiet:
            outcome = run_period(paths, parse_period(period), settings, params, out=quiet)
        if not outcome.ok:
            raise RuntimeError(f"report run failed: {outcome.error}")
        stages = len(outcome.stages)
    return {"seconds": time.perf_counter() - t, "stages": stages}


def _floor_notebook(notebook: Path, out_dir: Path, period: str) -> None:
    """The same Papermill + nbconvert path as a stage, on a notebook that does nothing."""
    import papermill

    from helpers.reporting.html import export_html

    out_dir.mkdir(exist_ok=True)
    executed = out_dir / notebook.name
    papermill.execute_notebook(
        str(notebook),
        str(executed),
        parameters={"period": period},
        kernel_name="python3",
        progress_bar=False,
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
    )
    export_html(executed, executed.with_suffix(".html"), f"{notebook.stem} — {period}")


# --------------------------------------------------------------------------- orchestration
def _in_subprocess(task: str, **kwargs: object) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--task", task, "--kwargs", json.dumps(kwargs)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"task {task} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _big_table(lines: int) -> Path:
    """Generate (once) a sample export of about ``lines`` order lines, as Parquet."""
    customers = max(lines // SAMPLE_LINES_PER_CUSTOMER, 100)
    folder = BIG_DATA / f"sample_{customers}"
    if not (folder / "orders.parquet").exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "helpers.sample_data",
                "--out",
                str(folder),
                "--customers",
                str(customers),
                "--format",
                "parquet",
            ],
            check=True,
            cwd=ROOT,
        )
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5_000_000, help="order lines of the generated table")
    parser.add_argument("--skip-big", action="store_true", help="leave out the generated big table")
    parser.add_argument("--repeat", type=int, default=3, help="report-run repetitions (the median is kept)")
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--kwargs", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:
        tasks = {
            "pipeline": task_pipeline,
            "engines": task_engines,
            "report": task_report,
            "grading": task_grading,
            "churn": task_churn,
            "growth": task_growth,
        }
        task = tasks[args.task]
        print(json.dumps(task(**json.loads(args.kwargs))))
        return

    out: dict[str, object] = {}
    online_retail = SHARED / "online_retail.parquet"
    sample = ROOT / "data" / "raw" / "sample"
    if online_retail.exists():
        out["online_retail_pipeline"] = _in_subprocess("pipeline", data=str(online_retail), period="2011-11")
        out["online_retail_engines"] = _in_subprocess("engines", data=str(online_retail), period="2011-11")
        with tempfile.TemporaryDirectory() as cache:  # the same empty compile folder: first cold, then warm
            for run in ("cold", "warm"):
                out[f"online_retail_grading_{run}"] = _in_subprocess(
                    "grading", data=str(online_retail), period="2011-11", cache=cache
                )
        # 2011-09: the 90-day outcome of the test cut-off lies inside the data.
        out["online_retail_churn"] = _in_subprocess("churn", data=str(online_retail), period="2011-09")
        out["online_retail_growth"] = _in_subprocess("growth", data=str(online_retail), period="2011-11")
    else:
        print(f"skipping Online Retail: {online_retail} is absent")
    if not args.skip_big:
        out["generated_pipeline"] = _in_subprocess("pipeline", data=str(_big_table(args.lines)), period="2025Q4")
    if not (sample / "orders.xlsx").exists():
        subprocess.run([sys.executable, "-m", "helpers.sample_data", "--out", str(sample)], check=True, cwd=ROOT)
    for floor in (False, True):
        runs = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                run = _in_subprocess("report", root=tmp, data=str(sample), period="2025Q4", floor=floor)
                runs.append(run["seconds"])
        out["report_floor_s" if floor else "report_s"] = statistics.median(runs)

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench.json").write_text(json.dumps(out, indent=2), encoding="utf-8")
    print(_markdown(out))


def _markdown(out: dict[str, object]) -> str:
    lines = ["| measurement | figure |", "|---|---|"]
    for key, value in out.items():
        if isinstance(value, dict):
            lines += [
                f"| {key}: {k} | {v:,.2f} |" if isinstance(v, float) else f"| {key}: {k} | {v:,} |"
                for k, v in value.items()
            ]
        else:
            lines.append(f"| {key} | {value:,.2f} |")
    engines = out.get("online_retail_engines")
    if isinstance(engines, dict):
        base = engines["pandas_vectorised_s"]
        lines.append(f"| ratio groupby.apply / vectorised | {engines['pandas_groupby_apply_s'] / base:,.1f}x |")
        lines.append(f"| ratio DuckDB / vectorised | {engines['duckdb_sql_s'] / base:,.2f}x |")
    growth = out.get("online_retail_growth")
    if isinstance(growth, dict):
        for name in ("real", "generated"):
            ratio = growth[f"{name}_duckdb_s"] / growth[f"{name}_numpy_s"]
            lines.append(f"| co-purchase, {name}: ratio DuckDB / NumPy | {ratio:,.1f}x |")
    if "report_s" in out:
        lines.append(f"| report run / floor | {out['report_s'] / out['report_floor_s']:,.2f}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
