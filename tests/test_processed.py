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


def test_tables_made_from_other_data_or_content_are_refused(tmp_path):
    import pandas as pd

    from conftest import CONFIG
    from helpers.loaders import resolve_dataset, sha256

    data = tmp_path / "Online Retail.parquet"
    pd.DataFrame({"InvoiceNo": ["1"], "StockCode": ["A"], "Quantity": [1], "InvoiceDate": [pd.Timestamp("2011-01-01")],
                  "UnitPrice": [1.0], "CustomerID": [1.0]}).to_parquet(data)
    made = {"data": str(data.resolve()), "mapping": "online_retail",
            "inputs": [{"file": str(data.resolve()), "sha256": sha256(data)}]}
    check_same_data(made, data, "", CONFIG)
    with pytest.raises(GradingError, match="run stage 01 for this data first"):
        check_same_data({**made, "data": str(tmp_path / "other.parquet")}, data, "", CONFIG)
    pd.DataFrame({"InvoiceNo": ["2"], "StockCode": ["A"], "Quantity": [1], "InvoiceDate": [pd.Timestamp("2011-01-01")],
                  "UnitPrice": [1.0], "CustomerID": [1.0]}).to_parquet(data)  # same path, new content
    with pytest.raises(GradingError, match="current content"):
        check_same_data(made, data, "", CONFIG)
    with pytest.raises(GradingError, match="older version"):
        check_same_data({}, data, "", CONFIG)
    assert resolve_dataset(data, None, CONFIG).mapping.name == "online_retail"
