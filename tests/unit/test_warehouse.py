"""What the Python steps read on either engine (core/warehouse.py)."""

from datetime import date, datetime

import duckdb
import pytest

from core.settings import Settings
from core.warehouse import readable_warehouse


def _spark_settings(tmp_path) -> Settings:
    return Settings.from_env({"TC_WAREHOUSE_DIR": str(tmp_path / "wh"), "TC_ENGINE": "spark"})


def _write_like_spark(folder, sql: str) -> None:
    """A Parquet file as Spark writes a timestamp: an instant (UTC-adjusted)."""
    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"copy ({sql}) to '{folder / 'part-00000.snappy.parquet'}' (format parquet)")
    (folder / "_SUCCESS").touch()
    con.close()


def test_on_duckdb_the_steps_read_the_warehouse_file_itself(tmp_settings):
    with readable_warehouse(tmp_settings) as path:
        assert path == tmp_settings.warehouse_path


def test_on_spark_the_handover_reads_under_the_same_names_and_types(tmp_path):
    s = _spark_settings(tmp_path)
    _write_like_spark(
        s.handover_dir / "marts" / "responsiveness_daily",
        "select date '2026-01-02' as date, 'x' as platform, 3::bigint as inbound, "
        "timestamptz '2026-01-02 10:30:00.25+00' as first_at",
    )
    _write_like_spark(
        s.handover_dir / "staging" / "stg_crm__contacts",
        "select 'C1' as contact_id from range(0) ",
    )
    with readable_warehouse(s) as path:
        assert path.exists() and path.parent == s.spark_dir
        con = duckdb.connect(str(path), read_only=True)
        try:
            row = con.execute("select * from marts.responsiveness_daily").fetchone()
            kinds = con.execute(
                "select column_name, data_type from duckdb_columns() "
                "where table_name = 'responsiveness_daily'"
            ).fetchall()
            empty = con.execute("select count(*) from staging.stg_crm__contacts").fetchone()
        finally:
            con.close()
    assert row == (date(2026, 1, 2), "x", 3, datetime(2026, 1, 2, 10, 30, 0, 250000))
    assert dict(kinds)["first_at"] == "TIMESTAMP"
    assert empty == (0,)
    assert not path.exists()  # throwaway: gone when the step is done


def test_steps_side_by_side_get_their_own_file(tmp_path):
    s = _spark_settings(tmp_path)
    _write_like_spark(s.handover_dir / "marts" / "m", "select 1 as x")
    with readable_warehouse(s) as first, readable_warehouse(s) as second:
        assert first != second
        for path in (first, second):
            con = duckdb.connect(str(path), read_only=True)
            assert con.execute("select x from marts.m").fetchone() == (1,)
            con.close()


def test_before_dbt_ran_on_spark_the_reader_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="not built the models on Spark"):  # noqa: SIM117
        with readable_warehouse(_spark_settings(tmp_path)):
            pass
