"""Preflight: each problem is one line on stderr, exit code 2, within 5 s, and nothing
in the warehouse is created or changed (before, each of these ran the pipeline: an
empty folder published empty marts after two minutes, a currency without rates
failed a dbt test after 65 s, a second run failed after 80 s on a DuckDB lock)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.preflight import check
from core.settings import Settings

TRUSTCAP = Path(sys.executable).parent / "trustcap"
ORDERS = """order_id,contact_id,ordered_at,currency,amount,status
o1,c1,2025-01-02T10:00:00Z,EUR,10.5,completed
o2,c1,2025-01-03T10:00:00Z,usd,20,completed
o3,,2025-01-04T10:00:00Z,EUR,5,refunded
"""
RATES = '{"date": "2025-01-01", "currency": "USD", "rate_to_reporting": 0.93}\n'


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _landing_with_money(root: Path) -> Path:
    landing = root / "landing"
    _write(landing / "sales/orders/orders 1.csv", ORDERS)
    _write(landing / "reference/fx_rates/rates.jsonl", RATES)
    return landing


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    }


def _trustcap(root: Path, *args: str, **env: str) -> tuple[int, str, str, float]:
    full = dict(os.environ)
    full.update(
        TC_LANDING_DIR=str(root / "landing"),
        TC_WAREHOUSE_DIR=str(root / "warehouse"),
        DAGSTER_HOME=str(root / "dagster_home"),
    )
    full.pop("TC_REPORTING_CURRENCY", None)
    full.update(env)
    started = time.perf_counter()
    proc = subprocess.run(
        [str(TRUSTCAP), *args], env=full, capture_output=True, text=True, timeout=60, check=False
    )
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - started


def _assert_one_line_refusal(root: Path, *args: str, expect: str, **env: str) -> str:
    before = _tree(root / "warehouse")
    code, _, err, seconds = _trustcap(root, *args, **env)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert expect in lines[0], lines[0]
    assert seconds < 5, seconds
    # nothing published or changed
    assert _tree(root / "warehouse") == before
    assert not (root / "dagster_home").exists()
    return lines[0]


def test_a_reporting_currency_without_rates_is_refused(tmp_path):
    _landing_with_money(tmp_path)
    line = _assert_one_line_refusal(
        tmp_path, "run", expect="TC_REPORTING_CURRENCY=XXX", TC_REPORTING_CURRENCY="XXX"
    )
    assert "no rate for EUR" in line and "sales/orders: 2 rows in EUR" in line
    assert "set TC_REPORTING_CURRENCY" in line


def test_a_reporting_currency_that_the_rates_quote_is_refused(tmp_path):
    """The rates convert USD to another currency, so they are not rates to USD."""
    _landing_with_money(tmp_path)
    line = _assert_one_line_refusal(
        tmp_path, "run", expect="quotes USD itself", TC_REPORTING_CURRENCY="USD"
    )
    assert "probably EUR" in line


def test_money_in_the_reporting_currency_or_with_rates_passes(tmp_path):
    _landing_with_money(tmp_path)
    code, out, err, _ = _trustcap(tmp_path, "preflight")
    assert code == 0 and err == "", err
    assert "sales/orders 1, reference/fx_rates 1" in out and "ready to run" in out


def test_a_currency_without_rates_beside_the_reporting_one_is_a_note_not_a_refusal(tmp_path):
    """A few rows in a currency without rates are ingestion's and dbt's to deal with."""
    landing = _landing_with_money(tmp_path)
    _write(landing / "sales/orders/more.csv", ORDERS.replace("o1,", "o9,").replace("usd", "JPY"))
    report = check(
        Settings.from_env(
            {"TC_LANDING_DIR": str(landing), "TC_WAREHOUSE_DIR": str(tmp_path / "wh")}
        )
    )
    assert report.ok
    assert any("sales/orders: 1 rows in JPY" in n for n in report.notes), report.notes


def test_an_empty_landing_folder_is_refused_unless_allowed(tmp_path):
    (tmp_path / "landing").mkdir()
    line = _assert_one_line_refusal(tmp_path, "run", expect="holds no files")
    assert "--allow-empty" in line
    code, out, err, _ = _trustcap(tmp_path, "preflight", "--allow-empty")
    assert code == 0 and "--allow-empty" in out, err


def test_a_missing_landing_folder_is_refused(tmp_path):
    _assert_one_line_refusal(tmp_path, "run", expect="does not exist")


def test_data_files_outside_the_layout_are_refused_and_listed(tmp_path):
    landing = _landing_with_money(tmp_path)
    _write(landing / "sales/order/late.csv", ORDERS)  # a misspelt entity
    _write(landing / "orders.csv", ORDERS)  # at the root
    _write(landing / "README.txt", "notes")  # not a data file: a note only
    line = _assert_one_line_refusal(tmp_path, "run", expect="2 data file(s)")
    assert "orders.csv" in line and "sales/order/late.csv (did you mean sales/orders/?)" in line
    assert "README" not in line


def test_an_unwritable_warehouse_is_refused(tmp_path):
    _landing_with_money(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the warehouse's parent should be")
    code, _, err, seconds = _trustcap(tmp_path, "run", TC_WAREHOUSE_DIR=str(blocker / "wh"))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "cannot be written" in err and "TC_WAREHOUSE_DIR" in err
    assert seconds < 5
    assert not (tmp_path / "dagster_home").exists()


def test_a_warehouse_held_by_another_run_is_refused_naming_the_run(tmp_path):
    _landing_with_money(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from core.run_lock import hold_warehouse
                with hold_warehouse(Path({str(tmp_path / "warehouse")!r}), "run-123", "trustcap run"):
                    print("held", flush=True)
                    time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        line = _assert_one_line_refusal(tmp_path, "run", expect="held by run run-123")
        assert f"pid {holder.pid}" in line and f"kill {holder.pid}" in line
    finally:
        holder.kill()
        holder.wait()
    # the kernel drops the lock with its process, however it ended
    code, _, err, _ = _trustcap(tmp_path, "preflight")
    assert code == 0, err


def test_a_warehouse_open_for_writing_in_another_process_is_refused(tmp_path):
    _landing_with_money(tmp_path)
    (tmp_path / "warehouse").mkdir()
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(tmp_path / 'warehouse' / 'warehouse.duckdb')!r}); "
            "print('open', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "open"
        line = _assert_one_line_refusal(tmp_path, "run", expect="open for writing")
        assert f"process {writer.pid}" in line
    finally:
        writer.kill()
        writer.wait()


def test_preflight_reads_files_by_handle_not_as_patterns(tmp_path):
    """A file named like a pattern is read itself (the currency check opens it)."""
    landing = tmp_path / "landing"
    _write(landing / "sales/orders/[ab].csv", ORDERS.replace("EUR", "GBP").replace("usd", "GBP"))
    _write(landing / "sales/orders/a.csv", ORDERS)
    report = check(
        Settings.from_env(
            {
                "TC_LANDING_DIR": str(landing),
                "TC_WAREHOUSE_DIR": str(tmp_path / "wh"),
                "TC_REPORTING_CURRENCY": "EUR",
            }
        )
    )
    assert any("rows in GBP" in n for n in report.notes), report.notes


@pytest.mark.parametrize("ext", ["csv.gz", "jsonl", "jsonl.gz", "parquet"])
def test_the_currency_check_reads_every_landing_format(tmp_path, ext):
    import polars as pl

    frame = pl.read_csv(ORDERS.encode())
    path = tmp_path / "landing" / "sales" / "orders" / f"o.{ext}"
    path.parent.mkdir(parents=True)
    if ext == "parquet":
        frame.write_parquet(path)
    else:
        import gzip

        text = frame.write_ndjson() if ext.startswith("jsonl") else frame.write_csv()
        data = text.encode()
        path.write_bytes(gzip.compress(data) if ext.endswith(".gz") else data)
    report = check(
        Settings.from_env(
            {
                "TC_LANDING_DIR": str(tmp_path / "landing"),
                "TC_WAREHOUSE_DIR": str(tmp_path / "wh"),
                "TC_REPORTING_CURRENCY": "GBP",
            }
        )
    )
    assert len(report.problems) == 1 and "EUR" in report.problems[0], report.problems
