"""The pipeline declared in code, without kernels: registry, settings, state, writing outputs, labels, layout."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pkgutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from papermill.iorw import load_notebook_node
from pydantic import BaseModel

import helpers
from conftest import CONFIG, ROOT, SETTINGS, context, with_changes
from helpers.cleaning.ledger import REASONS
from helpers.core.catalog import Output, ProjectPaths
from helpers.core.config import Strict
from helpers.core.errors import ConfigError, GradingError
from helpers.core.labels import LABELS, Label, LabelRegistry
from helpers.core.schema import TABLES
from helpers.indicators.customer import INDICATOR_COLUMNS
from helpers.indicators.kpis import KPI_COLUMNS
from helpers.io.excel import Sheet, Workbook
from helpers.pipeline import contracts, registry
from helpers.pipeline.registry import _check, load_settings, settings_model
from helpers.pipeline.spec import COMMON_PARAMETERS, External, Located, Param, Stage
from helpers.pipeline.state import ABSENT, project_version, settings_fingerprint, stage_status
from helpers.segmentation.grading_table import CLASS_COLUMNS, GRADING_COLUMNS
from helpers.segmentation.gradings import GRADING_CLASSES
from helpers.segmentation.settings import RFM_CLASSES, SCORECARD_CLASSES, Scorecard, load_scorecard

SRC = ROOT / "src" / "helpers"


# --------------------------------------------------------------------------- the declarations
def test_stages_are_found_in_order_with_their_notebooks():
    stages = registry.stages()
    assert [s.key for s in stages] == [
        "01_data_cleaning",
        "02_indicators",
        "03_rfm_segmentation",
        "04_churn_model",
        "05_opportunity_scoring",
        "06_grading_report",
    ]
    for s in stages:
        assert (ROOT / "notebooks" / s.notebook).is_file()
    assert registry.stage("3") is registry.stage("03_rfm_segmentation") is registry.stage("rfm_segmentation")
    with pytest.raises(ConfigError, match="no stage '09'"):
        registry.stage("09")


def test_the_catalog_names_every_output_and_who_writes_it():
    catalog = registry.catalog()
    assert catalog.producer("orders") == "01_data_cleaning" and catalog.producer("grading") == "03_rfm_segmentation"
    paths = ProjectPaths(ROOT)
    assert catalog.path(paths, "orders", "2025Q4") == ROOT / "data/processed/2025Q4/orders.parquet"
    assert catalog.path(paths, "grading_workbook", "2025Q4") == ROOT / "reports/2025Q4/customer_grading_2025Q4.xlsx"
    assert catalog.path(paths, "orders", "2025Q4", "r1") == ROOT / "data/processed/.staging/2025Q4.r1/orders.parquet"
    with pytest.raises(ConfigError, match="no stage declares an output named 'nope'"):
        catalog["nope"]


def _stage(number: int, name: str, inputs=(), outputs=(), section: str | None = None) -> Stage:
    class Empty(Strict):
        pass

    return Stage(
        number=number,
        name=name,
        title_zh="测",
        title_en="Test",
        question="?",
        inputs=tuple(inputs),
        outputs=tuple(Output(o, f"{o}.parquet", o) for o in outputs),
        config_section=section or name,
        settings=Empty,
        compute=lambda inputs, ctx: None,
    )


def test_the_graph_is_checked():
    one = _stage(1, "one", outputs=["a"])
    _check([one, _stage(2, "two", inputs=["a"], outputs=["b"])])
    with pytest.raises(ConfigError, match="reads 'b', which no earlier stage declares"):
        _check([one, _stage(2, "two", inputs=["b"], outputs=["c"]), _stage(3, "three", outputs=["b"])])
    with pytest.raises(ConfigError, match="output 'a' is declared by 01_one and 02_two"):
        _check([one, _stage(2, "two", outputs=["a"])])
    with pytest.raises(ConfigError, match="same number"):
        _check([one, _stage(1, "uno")])
    with pytest.raises(ConfigError, match="may not be a shared one"):
        _check([_stage(1, "one", section="analysis")])
    with pytest.raises(ConfigError, match="clash with the common parameters"):
        dataclasses.replace(one, params=(Param("period", "", "no"),))


def test_each_notebook_takes_exactly_its_declared_parameters():
    """The parameters cell names the common parameters and the stage's own, with the declared defaults."""
    for stage in registry.stages():
        nb = load_notebook_node(str(ROOT / "notebooks" / stage.notebook))
        cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(cells) == 1, f"{stage.notebook}: one cell tagged parameters"
        values = {}
        for node in ast.parse(cells[0].source).body:
            assert isinstance(node, ast.Assign), f"{stage.notebook}: the parameters cell holds plain assignments"
            values[node.targets[0].id] = ast.literal_eval(node.value)  # plain values, as Papermill's guidance asks
        assert set(values) == {*COMMON_PARAMETERS, *(p.name for p in stage.params)}, stage.notebook
        for p in stage.params:
            assert values[p.name] == p.default, f"{stage.notebook}: {p.name} default differs from the declaration"


def test_notebooks_are_committed_without_outputs():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = load_notebook_node(str(path))
        assert not any(c.get("outputs") for c in nb.cells), path.name


def test_contracts_doc_matches_the_declarations():
    text = (ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    generated = text[text.index(contracts.BEGIN) : text.index(contracts.END) + len(contracts.END)]
    assert generated == contracts.generated_section(), "run: python -m helpers.pipeline.contracts"
    for s in registry.stages():
        assert f"### Stage {s.key[:2]}: {s.title_en}" in generated
        for o in s.outputs:
            assert f"`{o.name}`" in generated


# --------------------------------------------------------------------------- settings
def _required_everywhere(model: type[BaseModel], where: str) -> list[str]:
    """Fields with a default in a settings section or its nested sections (lists and dicts of rules excepted)."""
    found = []
    for name, field in model.model_fields.items():
        if not field.is_required():
            found.append(f"{where}.{name}")
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found += _required_everywhere(annotation, f"{where}.{name}")
    return found


def test_every_default_stands_in_the_yaml_only():
    """Settings models carry no defaults: a default written twice would drift apart."""
    assert _required_everywhere(settings_model(), "settings") == []
    assert _required_everywhere(Scorecard, "scorecard") == []


def test_settings_have_one_section_per_stage_plus_the_shared_ones():
    assert list(settings_model().model_fields) == [
        "analysis",
        "reports",
        "cleaning",
        "indicators",
        "segmentation",
        "churn",
        "opportunity",
        "grading_report",
    ]
    assert SETTINGS.segmentation.rfm.cut == "median" and SETTINGS.indicators.trend_periods == 12


@pytest.mark.parametrize(
    "edit, message",
    [
        (("lookback_days: 365", "lookback_day: 365"), "analysis.lookback_day: Extra inputs are not permitted"),
        (("  trend_periods: 12", ""), "indicators.trend_periods: Field required"),
        (("cut: median", "cut: medain"), "segmentation.rfm.cut: Input should be"),
        (("holdout_days: 182", "holdout_days: 7"), "segmentation.clv.holdout_days: Input should be greater than"),
    ],
)
def test_a_typo_names_the_file_and_the_key(tmp_path, edit, message):
    (tmp_path / "settings.yaml").write_text(
        (CONFIG / "settings.yaml").read_text(encoding="utf-8").replace(*edit), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="settings.yaml: ") as err:
        load_settings(tmp_path)
    assert message in str(err.value)


def test_the_settings_hash_follows_the_stage_sections():
    cleaning, indicators = context("01", "2025Q4"), context("02", "2025Q4")
    changed = SETTINGS.model_copy(update={"indicators": with_changes(SETTINGS.indicators, trend_periods=6)})
    assert dataclasses.replace(indicators, settings=changed).settings_fingerprint() != indicators.settings_fingerprint()
    assert dataclasses.replace(cleaning, settings=changed).settings_fingerprint() == cleaning.settings_fingerprint()


# --------------------------------------------------------------------------- state
def test_stage_status_says_why():
    spec = registry.stage("02")
    entry = {
        "version": project_version(),
        "settings_sha256": settings_fingerprint({"analysis": "a", "reports": "r", "indicators": "s"}),
        "settings_parts": {"analysis": "a", "reports": "r", "indicators": "s"},
        "parameters": {},
        "inputs": {"orders": "o1", "tickets": ABSENT},
        "outputs": {"indicators": {"sha256": "i"}, "kpis": {"sha256": "k"}},
    }
    now = {
        "period": "2025Q4",
        "outputs_now": {"indicators": "i", "kpis": "k"},
        "inputs_now": {"orders": "o1", "tickets": ABSENT},
        "settings_now": {"analysis": "a", "reports": "r", "indicators": "s"},
        "params_now": {},
    }
    assert stage_status(spec, entry, **now).ok
    assert stage_status(spec, None, **now).reason == "not run for this period yet"
    cases = [
        ({"outputs_now": {"indicators": ABSENT, "kpis": "k"}}, "missing", "its output indicators.parquet is missing"),
        ({"outputs_now": {"indicators": "x", "kpis": "k"}}, "stale", "its output indicators was changed after the run"),
        (
            {"settings_now": {"analysis": "a", "reports": "r", "indicators": "t"}},
            "stale",
            "its settings changed (indicators)",
        ),
        (
            {"settings_now": {"analysis": "b", "reports": "r", "indicators": "t"}},
            "stale",
            "its settings changed (analysis, indicators)",
        ),
        ({"inputs_now": {"orders": "o2", "tickets": ABSENT}}, "stale", "orders changed"),
        ({"inputs_now": {"orders": "o1", "tickets": "t"}}, "stale", "tickets appeared"),
    ]
    for change, state, reason in cases:
        status = stage_status(spec, entry, **{**now, **change})
        assert (status.state, status.reason) == (state, reason)
    assert "made by version 0.0.1" in stage_status(spec, {**entry, "version": "0.0.1"}, **now).reason


def test_a_path_parameter_is_an_input_not_a_setting():
    """The manual sheet's path (given or found) is compared through the sheet's content, not its text."""
    ctx = context("03", "2025Q4", scorecard_input=str(ROOT / "data" / "raw" / "sample" / "manual" / "x.xlsx"))
    assert ctx.stage_params() != {} and ctx.recorded_params() == {}


@dataclasses.dataclass
class _Result:
    outputs: dict


def test_writing_checks_the_declared_outputs(tmp_path):
    ctx = context("02", "2025Q4", root=tmp_path)
    frame = pd.DataFrame({"customer_id": ["a"], "x": [1]})
    with pytest.raises(ConfigError, match="undeclared output"):
        ctx.write(_Result({"indicators": frame, "kpis": frame, "extra": frame}))
    with pytest.raises(ConfigError, match="did not produce its output 'kpis'"):
        ctx.write(_Result({"indicators": frame}))
    written = ctx.write(_Result({"indicators": frame, "kpis": frame}))
    assert written["indicators"]["rows"] == 1 and len(written["kpis"]["sha256"]) == 64
    assert pd.read_parquet(ctx.output_path("kpis")).equals(frame)
    # An optional output a new run no longer has is removed, not left from the earlier run.
    cleaning = context("01", "2025Q4", root=tmp_path)
    stale = cleaning.output_path("tickets")
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"old")
    outputs = {o.name: frame for o in cleaning.spec.outputs if not o.optional and o.kind == "table"}
    cleaning.write(_Result({**outputs, "cleaning": {"a": 1}}))
    assert not stale.exists()


def test_an_interactive_stage_refuses_an_out_of_date_earlier_stage(tmp_path):
    ctx = context("02", "2025Q4", root=tmp_path, data=str(tmp_path))
    with pytest.raises(GradingError, match="stage 01_data_cleaning has not been run for 2025Q4"):
        ctx.run()


def test_externals_are_located_once():
    calls = []

    def locate(ctx):
        calls.append(1)
        return Located("value")

    spec = dataclasses.replace(registry.stage("01"), inputs=(External("raw", "x", locate),))
    ctx = dataclasses.replace(context("01", "2025Q4"), spec=spec)
    assert ctx.locate(spec.externals[0]).value == ctx.locate(spec.externals[0]).value == "value"
    assert calls == [1]


# --------------------------------------------------------------------------- labels
def test_every_word_has_both_languages_and_every_key_a_label():
    for namespace in LABELS.namespaces():
        for key in LABELS.keys(namespace):
            label = LABELS.label(namespace, key)
            assert label.zh.strip() and label.en.strip(), f"{namespace}.{key}"
    needed = {
        "rfm_class": RFM_CLASSES,
        "scorecard_class": (*SCORECARD_CLASSES, "not_available"),
        **GRADING_CLASSES,
        "reason": REASONS,
        "kpi": KPI_COLUMNS,
        "indicator": INDICATOR_COLUMNS,
        "column": GRADING_COLUMNS,
        "table": tuple(TABLES),
        "field": tuple({c for table in TABLES.values() for c in table}),
        "grading": tuple(CLASS_COLUMNS),
    }
    for namespace, keys in needed.items():
        missing = [k for k in keys if not LABELS.has(namespace, k)]
        assert not missing, f"no label for {namespace}: {missing}"
    # In both languages a heading reads "English (中文)": an English text with its own brackets would read
    # "Level 4 (best) (等级4)", so headings put such notes after a comma.
    bracketed = [
        f"{ns}.{k}"
        for ns in LABELS.namespaces()
        if LABELS.style(ns) == "heading"
        for k in LABELS.keys(ns)
        if "(" in LABELS.label(ns, k).en
    ]
    assert not bracketed, bracketed
    factor_keys = {f.key for f in load_scorecard(CONFIG).factors}
    assert factor_keys  # factor names come from config/scorecard.yaml, in both languages (validated there)


def test_labels_render_in_each_language():
    registry_ = LabelRegistry(package=None)
    registry_.add("klass", {"a": ("甲", "alpha")}, style="value")
    registry_.add("head", {"n": ("客户数", "Customers")})
    registry_.add("note", {"m": ("中位数 {v}", "Median {v}")}, style="compact")
    assert registry_.text("klass", "a") == "甲 alpha" and registry_.text("head", "n") == "Customers (客户数)"
    assert registry_.text("klass", "a", "zh") == "甲" and registry_.text("head", "n", "en") == "Customers"
    assert registry_.format("note", "m", v="3") == "Median 3"
    with pytest.raises(ValueError, match="defined twice"):
        registry_.add("head", {"n": ("客户", "Clients")})
    with pytest.raises(ValueError, match="both a Chinese and an English text"):
        registry_.add("head", {"x": ("", "X")})
    with pytest.raises(ValueError, match="is not text"):
        registry_.load_yaml("ns:\n  off: [关, off]\n", "test.yaml")
    with pytest.raises(KeyError, match="no label head.zzz"):
        registry_.text("head", "zzz")
    assert LABELS.label("rfm_class", "important_value") == Label("重要价值客户", "important value")


# --------------------------------------------------------------------------- the shared Excel writer
def test_the_excel_writer_round_trips_a_table_and_keeps_text_as_text(tmp_path):
    frame = pd.DataFrame(
        {
            "name": ["=1+1", "Acme"],
            "share": [0.25, 0.5],
            "amount": [1234.5, 0.0],
            "when": pd.to_datetime(["2025-01-02", None]),
        }
    )
    headers = {"name": "名称 Name", "share": "Share", "amount": "Amount", "when": "When"}
    path = Workbook([Sheet("表 Table", frame, headers=headers, percent=["share"])]).write(tmp_path / "book.xlsx")
    back = pd.read_excel(path, sheet_name="表 Table", engine="openpyxl")
    assert list(back.columns) == ["名称 Name", "Share", "Amount", "When"]
    assert back["名称 Name"].tolist() == ["=1+1", "Acme"]  # a formula-looking text stays text
    assert back["Share"].tolist() == [0.25, 0.5] and back["Amount"].tolist() == [1234.5, 0.0]
    ws = openpyxl.load_workbook(path)["表 Table"]
    assert ws["A2"].data_type == "s" and ws["B2"].number_format == "0.0%" and ws.freeze_panes == "B2"
    first = path.read_bytes()
    Workbook([Sheet("表 Table", frame, headers=headers, percent=["share"])]).write(path)
    assert path.read_bytes() == first  # the same data give the same file
    assert not list(tmp_path.glob(".*tmp"))  # written through a temporary file, renamed


# --------------------------------------------------------------------------- the layout
def _modules(*, packages: bool = True) -> list[str]:
    return [m.name for m in pkgutil.walk_packages(helpers.__path__, "helpers.") if packages or not m.ispkg]


def _imports(module: str) -> set[str]:
    path = Path(importlib.util.find_spec(module).origin)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("helpers"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("helpers")}
    return found


def test_the_layers_depend_downward_only():
    """core ← io ← reporting/pipeline ← stages; a stage may use an earlier stage's helpers (stage 04 computes
    stage 02's indicators as of its cut-offs), never a later stage's, and never another stage's declaration."""
    numbers = {s.key.split("_", 1)[0]: s for s in registry.stages()}
    order = {s.compute.__module__.split(".")[1]: s.number for s in numbers.values()}
    stage_packages = {m.split(".")[1] for m in _modules() if m.endswith(".stage")}
    for module in _modules():
        parts = module.split(".")
        imports = _imports(module)
        imported = {m.split(".")[1] for m in imports if m.count(".")} - {parts[1]}
        if parts[1] == "core":
            assert not imported - {"core"}, f"{module} imports {imported}"
        if parts[1] == "io":
            assert not imported - {"core"}, f"{module} imports {imported}"
        if parts[1] in stage_packages:
            later = {o for o in imported & stage_packages if order[o] > order[parts[1]]}
            assert not later, f"{module} imports a later stage: {later}"
            declarations = {m for m in imports if m.endswith(".stage") and m.split(".")[1] != parts[1]}
            assert not declarations, f"{module} imports another stage's declaration: {declarations}"
        if parts[1] in ("pipeline", "reporting", "shared", "scoring"):
            assert not imported & stage_packages, f"{module} imports a stage: {imported & stage_packages}"


def test_public_modules_declare_all():
    lacking = [
        m
        for m in _modules(packages=False)
        if not m.split(".")[-1].startswith("_")
        and "__all__" not in Path(importlib.util.find_spec(m).origin).read_text(encoding="utf-8")
    ]
    assert not lacking, f"add __all__ to {lacking}"


def test_written_files_get_the_usual_mode(tmp_path):
    """Files are written through a private temporary file, but end up readable as any new file would be."""
    import os
    import stat

    from helpers.io.files import write_text

    umask = os.umask(0o022)
    os.umask(umask)
    path = write_text(tmp_path / "report.html", "<html></html>")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_a_manifest_of_an_older_version_reads_as_not_run(tmp_path):
    """Older manifests held ``stages`` as a list: they must not break a run, the status or the index."""
    import json

    from helpers.io.manifest import read_manifest
    from helpers.reporting.index import write_index

    paths = ProjectPaths(tmp_path)
    paths.folder("processed", "2025Q4").mkdir(parents=True)
    paths.folder("reports", "2025Q4").mkdir(parents=True)
    old = {"status": "ok", "stages": [{"name": "01_data_cleaning", "status": "ok"}], "input_rows": 10}
    paths.manifest("2025Q4").write_text(json.dumps(old), encoding="utf-8")
    assert read_manifest(paths.manifest("2025Q4"))["stages"] == {}
    assert context("01", "2025Q4", root=tmp_path).status().state == "missing"
    assert "2025Q4" in write_index(paths).read_text(encoding="utf-8")


def test_rule_columns_are_columns_of_the_indicator_table():
    """Stage 03's rules name stage 02's columns, listed apart (a stage never imports another): kept in step."""
    from helpers.segmentation.settings import RULE_COLUMNS

    assert set(RULE_COLUMNS) <= set(INDICATOR_COLUMNS)


def test_plausible_ranges_name_only_number_columns(tmp_path):
    """A typo in cleaning.plausible stops the run naming the key, rather than bounding nothing."""
    from helpers.cleaning.settings import PlausibleRanges

    with pytest.raises(ValueError, match="unknown number column"):
        PlausibleRanges.model_validate(
            {"numbers": {"quantitiy": {"max": 5}}, "dates": {"min": "2000-01-01", "max": "2001-01-01"}}
        )
    with pytest.raises(ValueError, match="after max"):
        PlausibleRanges.model_validate({"numbers": {}, "dates": {"min": "2002-01-01", "max": "2001-01-01"}})
