import pytest

from helpers.errors import GradingError
from helpers.processed import check_same_data, clear_stage_outputs, read_tables, write_json, write_tables


def test_stage_01_leaves_no_table_of_an_earlier_run(tmp_path):
    import pandas as pd

    write_tables(tmp_path, {"orders": pd.DataFrame({"a": [1]}), "tickets": pd.DataFrame({"b": [2]})})
    write_json(tmp_path / "cleaning.json", {"data": "x"})
    write_json(tmp_path / "manifest.json", {"status": "ok"})
    clear_stage_outputs(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]
    assert read_tables(tmp_path, ["orders", "tickets"]) == {}


def test_tables_made_from_other_data_are_refused(tmp_path):
    data = tmp_path / "export.parquet"
    data.touch()
    check_same_data({"data": str(data.resolve())}, data)
    with pytest.raises(GradingError, match="run stage 01 for this data first"):
        check_same_data({"data": str(tmp_path / "other.parquet")}, data)
