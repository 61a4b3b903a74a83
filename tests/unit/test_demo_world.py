"""The demo world: deterministic, valid against the contract, and the planted
mechanisms are really there (these are the truths later estimators are tested on)."""

import hashlib
import json

import polars as pl
import pytest

from ingestion.contract import ENTITY_BY_NAME
from ingestion.validate import validate
from worlds.world import WorldConfig, generate
from worlds.writer import write_world


@pytest.fixture(scope="module")
def world():
    return generate(WorldConfig(seed=11, scale=0.25))


def test_same_seed_same_world_and_same_files(tmp_path):
    def digest(folder):
        h = hashlib.sha256()
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                h.update(p.relative_to(folder).as_posix().encode() + p.read_bytes())
        return h.hexdigest()

    a = generate(WorldConfig(seed=3, scale=0.05))
    b = generate(WorldConfig(seed=3, scale=0.05))
    write_world(a, tmp_path / "a/landing", tmp_path / "a/truth")
    write_world(b, tmp_path / "b/landing", tmp_path / "b/truth")
    assert digest(tmp_path / "a/landing") == digest(tmp_path / "b/landing")
    c = generate(WorldConfig(seed=4, scale=0.05))
    assert not a.tables["sales/orders"].equals(c.tables["sales/orders"])


def test_every_generated_table_passes_the_landing_contract(world):
    for qualified, frame in world.tables.items():
        entity = ENTITY_BY_NAME[qualified]
        as_landed = frame.select([c for c in entity.column_names if c in frame.columns])
        out = validate(
            entity, as_landed.with_row_index("_line_no", offset=1).cast({"_line_no": pl.Int64})
        )
        assert out.bad.height == 0, (qualified, out.bad.head(3))


def test_default_size_is_twenty_thousand_contacts_over_two_years_and_three_platforms():
    cfg = WorldConfig()
    assert cfg.n_contacts == 20_000 and cfg.months == 24 and len(cfg.uplift) == 3
    assert WorldConfig(scale=50).n_contacts == 1_000_000


def test_writer_mixes_formats_offsets_and_currencies(world, tmp_path):
    write_world(world, tmp_path / "landing", tmp_path / "truth")
    files = [p.name for p in (tmp_path / "landing").rglob("*.*")]
    for ext in (".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".parquet"):
        assert any(f.endswith(ext) for f in files), ext
    texts = "".join(
        p.read_text()
        for p in (tmp_path / "landing/sales/orders").glob("*.csv")
        if "late" not in p.name
    ) + "".join(p.read_text() for p in (tmp_path / "landing/sales/orders").glob("*.jsonl"))
    assert "+01:00" in texts or "+02:00" in texts or "Z" in texts
    assert set(world.tables["sales/orders"]["currency"]) == {"EUR", "USD"}
    truth = json.loads((tmp_path / "truth/truth.json").read_text())
    assert truth["landing"]["broken_rows_planted"] == 5


def test_selection_bias_inflates_naive_attribution(world):
    roi = world.truth["roi"]
    # no uplift on facebook: its only effect is the orders unanswered complaints cost
    fb = roi["facebook"]
    assert fb["uplift"] == 0.0
    assert fb["incremental_revenue"] == -fb["lost_to_unanswered_complaints"] <= 0
    assert roi["twitter"]["incremental_revenue"] > 0
    # naive credits every post-engagement euro: many times the true effect
    assert roi["all"]["naive_revenue"] > 4 * roi["all"]["incremental_revenue"]
    # default world: true ROI negative while the naive ROI looks positive
    assert roi["all"]["roi"] < 0 < roi["all"]["naive_roi"]


def test_engaged_customers_are_higher_value_before_they_engage(world):
    t = world.truth_tables["contacts"]
    orders = world.truth_tables["orders"].filter(~pl.col("is_incremental"))
    per = orders.group_by("contact_id").agg(pl.col("revenue_eur").sum())
    j = t.join(per, on="contact_id", how="left").fill_null(0)
    engaged = j.filter(pl.col("is_engaged"))["revenue_eur"].mean()
    social_not = j.filter(~pl.col("is_engaged") & pl.col("platform").is_not_null())[
        "revenue_eur"
    ].mean()
    assert engaged > 1.3 * social_not


def test_response_times_and_answer_rate_are_as_planted(world):
    r = world.truth["responsiveness"]
    assert abs(r["answered_share_realised"] - 0.78) < 0.02
    assert abs(r["median_first_response_minutes_realised"] - 95) / 95 < 0.08


def test_crises_advocates_silent_and_unlinked_accounts_are_planted(world):
    acts = world.tables["social/activities"]
    accounts = world.tables["social/accounts"]
    amp = world.truth["crises"]["amplified"]
    young = accounts.filter(pl.col("handle").str.starts_with("truth_seeker"))
    assert young.height == amp["young_accounts"]
    burst = acts.filter(pl.col("account_id").is_in(young["account_id"].implode()))
    assert burst["text"].str.contains("(?i)boycott").all()
    assert world.truth["identity"]["unresolved_engaging_account_share"] > 0.05
    assert world.truth["identity"]["lapsed_contacts_who_engaged"] > 0
    assert len(world.truth["advocates"]) >= 6
    assert world.truth["silent_satisfied_count"] > 0
    langs = set(acts["lang"].drop_nulls())
    assert {"en", "fr"} <= langs


def test_followers_are_unrelated_to_customer_value(world):
    t = world.truth_tables["contacts"].filter(~pl.col("is_advocate"))
    ids = world.tables["crm/identities"].filter(pl.col("account_id").is_not_null())
    fol = ids.join(world.tables["social/accounts"], on=["platform", "account_id"]).select(
        "contact_id", "followers"
    )
    rev = world.truth_tables["orders"].group_by("contact_id").agg(pl.col("revenue_eur").sum())
    j = fol.join(t, on="contact_id").join(rev, on="contact_id", how="left").fill_null(0)
    rho = j.select(pl.corr("followers", "revenue_eur", method="spearman")).item()
    assert abs(rho) < 0.1


def test_scale_setting_grows_rows_without_python_loops():
    small = generate(WorldConfig(seed=1, scale=0.1))
    large = generate(WorldConfig(seed=1, scale=1.0))
    ratio = large.tables["sales/orders"].height / small.tables["sales/orders"].height
    assert 8 < ratio < 12


def test_density_settings_multiply_activities_and_orders_per_contact(world):
    dense = generate(WorldConfig(seed=11, scale=0.25, activity_density=3.0, order_density=4.0))
    assert dense.tables["crm/contacts"].height == world.tables["crm/contacts"].height
    activities = dense.tables["social/activities"].height / world.tables["social/activities"].height
    orders = dense.tables["sales/orders"].height / world.tables["sales/orders"].height
    assert 2.4 < activities < 3.2
    assert 3.5 < orders < 4.3
    # density 1 is the planted world itself, draw for draw
    same = generate(WorldConfig(seed=11, scale=0.25, activity_density=1.0, order_density=1.0))
    assert all(same.tables[k].equals(world.tables[k]) for k in world.tables)


def test_planted_labels_name_member_texts_with_their_planted_polarity():

    labelled = generate(WorldConfig(scale=0.05, labelled_texts=150))
    plain = generate(WorldConfig(scale=0.05, labelled_texts=0))
    labels = labelled.tables["social/labelled_texts"]
    assert labels.height == 150 and labels["label_id"].n_unique() == 150
    truth = labelled.truth_tables["activities"].select(
        "platform",
        "activity_id",
        label=pl.col("polarity").replace_strict([-1, 0, 1], ["negative", "neutral", "positive"]),
    )
    joined = labels.join(truth, on=["platform", "activity_id"], suffix="_truth")
    assert joined.height == 150 and (joined["label"] == joined["label_truth"]).all()
    # drawn by a generator of their own: every other landed table is unchanged
    for name, frame in plain.tables.items():
        if name != "social/labelled_texts":
            assert frame.equals(labelled.tables[name]), name


def test_a_five_language_world_writes_each_language():

    world = generate(WorldConfig(scale=0.05, text_languages=("en", "fr", "es", "pt", "de")))
    langs = world.truth_tables["activities"]["lang"].value_counts()
    assert set(langs["lang"]) == {"en", "fr", "es", "pt", "de"}
    assert langs["count"].min() > 50
