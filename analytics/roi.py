"""Incremental revenue caused by community engagement: a staggered-adoption
difference-in-differences in multiplicative (Poisson) form.

Model (Wooldridge 2023, nonlinear DiD; docs/reference/methods.md note 1):

    E[revenue_it] = exp(a_i + g_{stratum(i), t} + sum_g b_g * D_git)

- a_i: a fixed effect per contact. It absorbs every time-invariant difference
  between engaged and other customers (their value, country, segment): the reason
  naive attribution is inflated. Pre-engagement revenue level and frequency enter
  here, not through matching on noisy pre-period revenue, which biases ratio
  estimates by regression to the mean (methods note 1).
- g_{s,t}: a month effect per stratum (country x segment x tenure band): each
  engaged contact is compared with not-yet-engaged and never-engaged contacts of
  its own stratum in the same months (the controls), so seasonality may differ
  by stratum Only contacts who could engage - those with a social account linked
  to them - are in the sample (methods note 2): customers with no social presence
  (the silent satisfied, for one) lapse differently and are no controls.
- D_git = 1 in the months after contact i's engagement month, for its treatment
  group g: its platform x engagement quarter (cohort) x months since engagement
  (1-3, 4-6, 7-12, 13+: EVENT_BINS) for the platform figures; in a second fit, its
  campaign x months since engagement instead when the campaign has enough contacts.
  The engagement month itself, partly exposed, is left out for engaged contacts.
  The effect may change with time since engagement (an unanswered complaint makes a
  customer lapse months later; the loss grows): one multiplier per cohort for all
  its post months under-stated such losses by about a quarter (issue 18), because
  the contact effects a_i then absorb part of the late decline. Bins of event time
  let the effect change while keeping each coefficient estimable.
- exp(b_g) - 1 is the proportional effect. By the Poisson score equations the
  fitted total of engaged months equals the observed total Y1, so the revenue
  engagement caused is Y1 (1 - exp(-b_g)), the same for margin with its own Y1;
  cohort effects are summed to months, platforms and the whole window.

Who is estimated: engaged contacts with at least one completed order in the data. A
customer who never bought tells a contact-fixed-effects design nothing (no level to
compare with), so revenue a complaint cost a customer before their first order is
not measured; community_roi_summary counts those contacts apart
(engaged_customers_without_orders). A platform cohort with a thin event-time bin
(fewer than MIN_GROUP_CONTACTS contacts or MIN_GROUP_CONTACTS // 2 buyers) shares
its effects, bin by bin, with the platform's other such cohorts (_merge_thin_cohorts),
and a bin still thin joins the bin before it (_pool_thin_units): alone, a cohort whose
customers all lapsed separates and was credited with no effect at all, and one effect
for all post months under-states a loss that grows after engaging.

Cohorts that engaged with fewer than `min_pre_months` months of history are not
identified (methods note 4) and are left out; the window covered is reported. So
are contacts who engaged before they were customers (engagement month not after
the CRM creation month): with no month as a customer before engaging, their
counterfactual is not identified, only extrapolated from others, and their
effect differs (a complaint can lose a customer before the first order); the
covered population and the naive figures exclude them too (int_engagements_covered).

Diagnostic (pretrend_p_value, pretrend_ok): a placebo test of the months before
engagement. The same model plus, per platform, lead dummies for 1-3 and 4-6 months
before the engagement month (reference: earlier months); a joint Wald test (chi2,
CRV1 by contact) that the platform's leads are all 0 ("all": every lead). A small
p-value says engaged contacts' revenue already moved before they engaged: the
parallel-trends assumption fails and the estimate should not be trusted;
pretrend_ok = p >= PRETREND_ALPHA.
Intervals: 90 %, from contact-clustered (CRV1) covariance and the delta method,
because the same contact appears in many months (methods note 6).

Computation: contacts with the same months, stratum and treatment rows are
exchangeable in this likelihood; the fits sum them into pseudo-contacts of up to
MAX_POOLED_CONTACTS (_pool_exchangeable_contacts). The coefficients are those of the
contact-by-contact fit; the covariance is clustered by pseudo-contact, and pooling
stops where a group or stratum would keep fewer than MIN_CLUSTERS of them. At L it
cut the estimator from 545 s and 15 GB to about 72 s and 3.2 GB (issue 23). A row is
in at most one treatment group and one lead, so the pooling compares those labels and
the 0/1 regressors are made on the pooled rows only (at L 54-59 s -> 42-43 s, 3.1 ->
2.7 GB; the same pseudo-contacts and coefficients).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

METHOD = "poisson_did_contact_month_fe"
Z90 = 1.6448536269514722
MIN_GROUP_CONTACTS = 20  # smaller campaign groups are estimated with their platform
COHORT_BIN_MONTHS = 3  # engagement months pooled into one cohort effect
EVENT_BINS = (3, 6, 12)  # months since engagement: 1-3, 4-6, 7-12, 13+ get their own effect
LEAD_BINS = ((1, 3), (4, 6))  # months before engagement tested by the pre-trend placebo
PRETREND_ALPHA = 0.05


@dataclass
class RoiInputs:
    panel: pl.DataFrame  # contact_id, period (date), revenue, gross_margin, one row per month alive
    engagements: pl.DataFrame  # contact_id, engaged_period, platform, campaign_id
    contacts: pl.DataFrame  # contact_id, created_at, country, segment
    first_period: object
    last_period: object


@dataclass
class RoiResult:
    monthly: pl.DataFrame
    summary: pl.DataFrame
    campaign: pl.DataFrame
    coefficients: pl.DataFrame


def load_inputs(con: duckdb.DuckDBPyConnection, schema: str = "intermediate") -> RoiInputs:
    """Read what the estimator needs from the warehouse (the dense panel is a dbt model)."""
    bounds = con.execute(
        f"select min(period), max(period) from {schema}.int_orders_aggregated_to_contact_months"
    ).fetchone()
    first_period, last_period = bounds
    contacts = con.execute(
        "select contact_id, created_at, coalesce(country, '?') as country, "
        "coalesce(segment, '?') as segment from staging.stg_crm__contacts"
    ).pl()
    engagements = con.execute(
        f"select contact_id, engaged_period, platform, campaign_id "
        f"from {schema}.int_engagements_started"
    ).pl()
    if first_period is None:
        empty = pl.DataFrame(
            schema={
                "contact_id": pl.String,
                "period": pl.Date,
                "revenue": pl.Float64,
                "gross_margin": pl.Float64,
            }
        )
        return RoiInputs(empty, engagements, contacts, None, None)
    # one row per contact and month from its creation (or the first data month) to the
    # last data month, months without an order as zeros: built by dbt
    panel = con.execute(
        f"select contact_id, period, revenue, gross_margin from {schema}.int_contact_months_filled"
    ).pl()
    return RoiInputs(panel, engagements, contacts, first_period, last_period)


def orders_through(con: duckdb.DuckDBPyConnection) -> date | None:
    """The last day with orders in the warehouse (None without orders)."""
    try:
        row = con.execute(
            "select cast(max(ordered_at) as date) from staging.stg_sales__orders"
        ).fetchone()
    except duckdb.Error:  # no sales source in this landing shape
        return None
    return row[0] if row else None


def closed_months(inputs: RoiInputs, last_order_day: date | None) -> RoiInputs:
    """The inputs without the month still open: causal figures are monthly.

    A month is closed once the orders reach its last day; until then its revenue is
    partial. Fitting closed months only also makes the daily run cheap: a new day of
    the open month changes nothing the fit reads (its fingerprint is the same, so the
    last fit is reused, issue 23), while new or corrected data of an earlier month
    changes it and the model is refitted. Engagements and new contacts of the open
    month wait for it to close. The estimate's window_end says which data it covers.
    """
    if inputs.last_period is None or last_order_day is None:
        return inputs
    open_start = inputs.last_period
    if last_order_day >= _add_months(open_start, 1) - timedelta(days=1):
        return inputs
    closed_last = _add_months(open_start, -1)
    if closed_last < inputs.first_period:  # the first month is still open
        return RoiInputs(
            inputs.panel.clear(),
            inputs.engagements.clear(),
            inputs.contacts,
            open_start,
            closed_last,
        )
    created_before = pl.col("created_at").is_null() | (
        pl.col("created_at").cast(pl.Date) < open_start
    )
    closed = inputs.panel.filter(pl.col("period") < open_start)
    # a customer whose first order is in the open month has only zeros in the closed
    # ones: nothing a Poisson fit uses (it drops all-zero contacts), but its rows would
    # change the fingerprint on the day it first buys
    bought = closed.filter(pl.col("revenue") > 0)["contact_id"].unique()
    return RoiInputs(
        closed.filter(pl.col("contact_id").is_in(bought.implode())),
        inputs.engagements.filter(pl.col("engaged_period") < open_start),
        inputs.contacts.filter(created_before),
        inputs.first_period,
        closed_last,
    )


def inputs_fingerprint(inputs: RoiInputs, min_pre_months: int) -> str:
    """What the fit depends on, hashed: its inputs (row order ignored), its setting,
    this module's code and the versions of the libraries that compute it. Equal
    fingerprints give equal estimates, so a run with nothing new may reuse the fit."""
    # the installed version, without importing pyfixest (numba): a reused fit skips it
    fixest_version = importlib.metadata.version("pyfixest")
    digest = hashlib.sha256()
    digest.update(Path(__file__).read_bytes())
    digest.update(f"{pl.__version__}|{fixest_version}|{min_pre_months}".encode())
    digest.update(f"{inputs.first_period}|{inputs.last_period}".encode())
    for frame in (inputs.panel, inputs.engagements, inputs.contacts):
        digest.update(f"{frame.columns}|{frame.dtypes}|{frame.height}".encode())
        # money to 1e-6: dbt rebuilds the panel every run, and DuckDB's parallel sums
        # differ in the last bits from run to run; unrounded, no fit was ever reused
        # at scale M (the same data hashed differently)
        frame = frame.with_columns(pl.col(pl.Float64, pl.Float32).round(6))
        if frame.height:
            # sorted first: DuckDB returns the rows in no fixed order
            rows = frame.sort(frame.columns, nulls_last=True).hash_rows(seed=0)
            digest.update(rows.to_numpy().tobytes())
    return digest.hexdigest()


def _month_index(col: str, first) -> pl.Expr:
    return (pl.col(col).dt.year() - first.year) * 12 + (pl.col(col).dt.month() - first.month)


def estimate(inputs: RoiInputs, min_pre_months: int = 6) -> RoiResult:
    if inputs.first_period is not None and inputs.last_period < inputs.first_period:
        return empty_result("not estimated: no closed month yet (the first month is still open)")
    if inputs.first_period is None or inputs.panel.height == 0:
        return empty_result("not estimated: no completed orders of known contacts")
    first = inputs.first_period
    window_start_idx = min_pre_months
    panel = inputs.panel.with_columns(_month_index("period", first).alias("t"))
    eng = inputs.engagements.with_columns(_month_index("engaged_period", first).alias("e"))
    created = inputs.contacts.select(
        "contact_id", _month_index("created_at", first).alias("created_t")
    )
    eng = eng.join(created, on="contact_id", how="left")
    # early cohorts are not identified, nor are contacts who engaged before they were
    # customers (no month as a customer before engaging): they leave the sample
    identified = (pl.col("e") >= window_start_idx) & (pl.col("created_t") < pl.col("e"))
    early = eng.filter(~identified.fill_null(False))["contact_id"]
    covered = eng.filter(identified.fill_null(False)).drop("created_t")
    covered = _assign_groups(covered)
    panel = panel.filter(~pl.col("contact_id").is_in(early.implode()))
    panel = panel.join(
        covered.select("contact_id", "e", "group", "platform"), on="contact_id", how="left"
    )
    # the engagement month itself is partly exposed: out for engaged contacts
    panel = panel.filter(pl.col("e").is_null() | (pl.col("t") != pl.col("e")))
    panel = panel.with_columns(
        (pl.col("e").is_not_null() & (pl.col("t") > pl.col("e"))).alias("is_post")
    )
    contacts = inputs.contacts.select(
        "contact_id", "country", "segment", _month_index("created_at", first).alias("created_t")
    )
    panel = (
        panel.join(contacts, on="contact_id", how="left")
        .with_columns(_stratum().fill_null("?").alias("stratum"))
        .drop("country", "segment", "created_t")
    )
    if covered.height == 0:
        return empty_result("not estimated: no engaged contact with enough history before engaging")
    # platform figures: one effect per platform and cohort (engagement quarter), the
    # campaign contacts pooled in their platform; campaign figures: a second fit in
    # which large campaigns get their own effect. Cohort-specific effects, aggregated
    # afterwards, keep cohorts with different effects from biasing each other through
    # the already-engaged months (staggered adoption; Wooldridge 2023)
    # cohorts binned by quarter of engagement: a month's cohort on one platform can be
    # a handful of contacts, whose effect is ill-determined (and explodes through
    # the multiplicative back-transform)
    cohort = ((pl.col("e") - window_start_idx) // COHORT_BIN_MONTHS).cast(pl.String)
    platform_unit = pl.concat_str([pl.col("platform"), cohort], separator="|")
    panel = panel.with_columns(_event_bin().alias("event_bin"))
    platform_fit = _fit_groups(panel.with_columns(platform_unit.alias("unit")))
    campaign_fit = _fit_groups(
        panel.with_columns(
            pl.when(pl.col("group") == pl.col("platform"))
            .then(platform_unit)
            .otherwise(pl.col("group"))
            .alias("unit")
        )
    )
    pretrend = _pretrend(panel.with_columns(platform_unit.alias("unit")))
    controls = panel.filter(pl.col("e").is_null() | (pl.col("t") < pl.col("e")))
    controls_by_period = controls.group_by("period").agg(
        pl.col("contact_id").n_unique().cast(pl.Int64).alias("control_customers")
    )
    controls_total = controls["contact_id"].n_unique()

    cells = platform_fit.cells
    monthly_rows = []
    for (period,), frame in cells.group_by("period"):
        for platform in [*sorted(frame["platform"].unique().to_list()), "all"]:
            sub = frame if platform == "all" else frame.filter(pl.col("platform") == platform)
            monthly_rows.append(
                {"period": period, "platform": platform, **platform_fit.effects(sub)}
            )
    monthly = pl.DataFrame(monthly_rows).join(controls_by_period, on="period", how="left")
    summary_rows = []
    for platform in [*sorted(cells["platform"].unique().to_list()), "all"]:
        sub = cells if platform == "all" else cells.filter(pl.col("platform") == platform)
        treated = covered if platform == "all" else covered.filter(pl.col("platform") == platform)
        summary_rows.append(
            {
                "platform": platform,
                "covered_engaged_customers": treated.height,
                "control_customers": controls_total,
                **platform_fit.effects(sub),
                **pretrend.get(platform, {"pretrend_p_value": None, "pretrend_ok": None}),
            }
        )
    summary = pl.DataFrame(
        summary_rows,
        schema_overrides={"pretrend_p_value": pl.Float64, "pretrend_ok": pl.Boolean},
    )
    campaign_rows = []
    for campaign_id in sorted(covered["campaign_id"].drop_nulls().unique().to_list()):
        members = covered.filter(pl.col("campaign_id") == campaign_id)
        own = members["group"][0] == campaign_id
        sub = campaign_fit.cells.filter(pl.col("unit") == campaign_id)
        campaign_rows.append(
            {
                "campaign_id": campaign_id,
                "covered_engaged_customers": members.height,
                "is_pooled_with_platform": not own,
                **(campaign_fit.effects(sub) if own else _null_effects()),
            }
        )
    campaign = pl.DataFrame(
        campaign_rows,
        schema={
            "campaign_id": pl.String,
            "covered_engaged_customers": pl.Int64,
            "is_pooled_with_platform": pl.Boolean,
            **{k: pl.Float64 for k in _null_effects()},
        },
    )
    window_start = _add_months(first, window_start_idx)
    meta = {
        "method": pl.lit(METHOD),
        "window_start": pl.lit(window_start),
        "window_end": pl.lit(_add_months(inputs.last_period, 1) - timedelta(days=1)),
    }
    coefficients = pl.concat(
        [
            platform_fit.coefficients().with_columns(model=pl.lit("platform")),
            campaign_fit.coefficients().with_columns(model=pl.lit("campaign")),
        ]
    )

    # money to the cent, ratios to 1e-8: the fit's multithreaded sums differ in the
    # last bits from run to run, and a rerun must publish identical marts
    def rounded(frame: pl.DataFrame) -> pl.DataFrame:
        money = [c for c in frame.columns if c.startswith("incremental_")]
        ratios = [
            c
            for c in frame.columns
            if c in ("coefficient", "std_error", "pretrend_p_value") or "multiplier" in c
        ]
        return frame.with_columns(pl.col(money).round(2), pl.col(ratios).round(8))

    monthly, summary, campaign, coefficients = (
        rounded(f) for f in (monthly, summary, campaign, coefficients)
    )
    return RoiResult(
        monthly.with_columns(**meta),
        summary.with_columns(**meta),
        campaign.with_columns(**meta),
        coefficients.with_columns(**meta),
    )


@dataclass
class _GroupFit:
    groups: list[str]
    beta: np.ndarray
    vcov: np.ndarray
    cells: pl.DataFrame  # group, unit, platform, period: y1_revenue, y1_margin of engaged months

    def effects(self, cells: pl.DataFrame) -> dict:
        """Incremental revenue and margin of a set of cells, with 90 % intervals.

        sum_g A_g (1 - exp(-b_g)), A_g the observed post-engagement total of group g;
        its variance by the delta method: grad = A_g exp(-b_g).
        """
        index = {g: i for i, g in enumerate(self.groups)}
        out = {}
        for name, col in (
            ("incremental_revenue", "y1_revenue"),
            ("incremental_margin", "y1_margin"),
        ):
            a = np.zeros(len(self.groups))
            for g, total in cells.group_by("group").agg(pl.col(col).sum()).iter_rows():
                a[index[g]] = total
            value = float(np.sum(a * (1 - np.exp(-self.beta))))
            grad = a * np.exp(-self.beta)
            sd = float(math.sqrt(max(grad @ self.vcov @ grad, 0.0)))
            out[name] = value
            out[f"{name}_low"] = value - Z90 * sd
            out[f"{name}_high"] = value + Z90 * sd
        return out

    def coefficients(self) -> pl.DataFrame:
        se = np.sqrt(np.diag(self.vcov))
        return pl.DataFrame(
            {
                "treatment_group": self.groups,
                "coefficient": self.beta,
                "std_error": se,
                "effect_multiplier": np.exp(self.beta),
                "effect_multiplier_low": np.exp(self.beta - Z90 * se),
                "effect_multiplier_high": np.exp(self.beta + Z90 * se),
            }
        )


def _stratum() -> pl.Expr:
    """The comparison stratum of a contact-month: country x segment x tenure band."""
    return pl.concat_str(
        [
            pl.col("country"),
            pl.col("segment"),
            pl.when(pl.col("created_t") < -12).then(pl.lit("tenured")).otherwise(pl.lit("recent")),
        ],
        separator="|",
    )


def _event_bin() -> pl.Expr:
    """Months since engagement, binned: 1-3 -> "m01", 4-6 -> "m04", 7-12 -> "m07", 13+."""
    k = pl.col("t") - pl.col("e")
    expr = pl.lit(f"m{EVENT_BINS[-1] + 1:02d}")
    for low, high in reversed(list(zip((0, *EVENT_BINS[:-1]), EVENT_BINS, strict=True))):
        expr = pl.when(k <= high).then(pl.lit(f"m{low + 1:02d}")).otherwise(expr)
    return expr


def _is_thin(contacts, buyers):
    """Too few contacts, or too few of them buying, to determine an effect: a handful
    of contacts, or all-zero revenue (separation, b -> -inf), explodes through the
    multiplicative back-transform (seen at 4,000 contacts: -5e8). Counts or
    expressions of counts."""
    return (contacts < MIN_GROUP_CONTACTS) | (buyers < MIN_GROUP_CONTACTS // 2)


def _bin_sizes(panel: pl.DataFrame) -> pl.DataFrame:
    """unit, event_bin: contacts and buyers (contacts with revenue) in its post months."""
    return (
        panel.filter(pl.col("is_post"))
        .group_by("unit", "event_bin")
        .agg(
            pl.col("contact_id").n_unique().alias("contacts"),
            pl.col("contact_id").filter(pl.col("revenue") > 0).n_unique().alias("buyers"),
        )
    )


def _pool_thin_units(panel: pl.DataFrame) -> pl.DataFrame:
    """A thin event-time bin joins the bin before it (13+ into 7-12, 7-12 into 4-6,
    ...) until the joined bin is well filled, and a thin first bin joins the next; a
    unit left with one bin gets one effect for all its post months ("pooled").
    Joining neighbours keeps the effect's course over time where the data allow it:
    one multiplier for all post months under-states a loss that grows after engaging
    (a customer lapses months after an unanswered complaint), and at small scale most
    units had a thin bin (issue 18)."""
    sizes = _bin_sizes(panel)
    thin_units = sizes.filter(_is_thin(pl.col("contacts"), pl.col("buyers")))["unit"].unique()
    if thin_units.len() == 0:
        return panel
    # per contact and bin of a thin unit: did it buy? (small: the thin units' post contacts)
    members = (
        panel.filter(pl.col("is_post") & pl.col("unit").is_in(thin_units.implode()))
        .group_by("unit", "event_bin", "contact_id")
        .agg((pl.col("revenue") > 0).any().alias("bought"))
    )
    relabel = []
    for (unit,), frame in members.group_by("unit"):

        def thin(bins: list[str], frame: pl.DataFrame = frame) -> bool:
            chosen = frame.filter(pl.col("event_bin").is_in(bins))
            buyers = chosen.filter(pl.col("bought"))["contact_id"].n_unique()
            return _is_thin(chosen["contact_id"].n_unique(), buyers)

        groups = [[b] for b in sorted(frame["event_bin"].unique().to_list())]
        # from the last bin back: a thin (joined) bin joins the one before it, so
        # every group but the first ends well filled
        for i in range(len(groups) - 1, 0, -1):
            if thin(groups[i]):
                groups[i - 1] += groups.pop(i)
        if len(groups) > 1 and thin(groups[0]):
            groups[0] += groups.pop(1)
        for group in groups:
            label = "pooled" if len(groups) == 1 else group[0]
            relabel += [{"unit": unit, "event_bin": b, "joined_bin": label} for b in group]
    mapping = pl.DataFrame(
        relabel, schema={"unit": pl.String, "event_bin": pl.String, "joined_bin": pl.String}
    )
    return (
        panel.join(mapping, on=["unit", "event_bin"], how="left")
        .with_columns(pl.coalesce("joined_bin", "event_bin").alias("event_bin"))
        .drop("joined_bin")
    )


def _merge_thin_cohorts(panel: pl.DataFrame) -> pl.DataFrame:
    """A platform cohort with a thin event-time bin (too few contacts or buyers, see
    _is_thin) joins its platform's other such cohorts in one unit ("<platform>|thin"),
    which keeps event-time bins. Alone, such a cohort's effect is ill-determined: with
    no buyer at all after engaging (all its customers lapsed) the fit separates
    (b -> -inf, observed Y1 = 0), and Y1 (1 - exp(-b)) credited it with 0 where its
    customers' lost revenue is the effect (seen on development worlds: cohorts of 3 and
    8 contacts, b = -12 and -13); pooled over its post months, it under-stated losses
    that grow after engaging (issue 18). Campaign units are left as they are."""
    cohort_unit = pl.col("unit").str.contains(r"^[^|]+\|\d+$")
    sizes = _bin_sizes(panel.filter(cohort_unit))
    thin = sizes.filter(_is_thin(pl.col("contacts"), pl.col("buyers")))["unit"].unique()
    return panel.with_columns(
        pl.when(pl.col("unit").is_in(thin.implode()))
        .then(pl.concat_str([pl.col("platform"), pl.lit("thin")], separator="|"))
        .otherwise(pl.col("unit"))
        .alias("unit")
    )


def _with_post_groups(panel: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str]]:
    """The panel with its treatment group in the post months (unit @ event-time bin,
    thin cohorts merged, thin units pooled; null otherwise) and {group: regressor name}.
    The regressors, one 0/1 column per group, are made after pooling (_fit_model): a row
    is in at most one group, so its label says as much as the columns would."""
    panel = _pool_thin_units(_merge_thin_cohorts(panel)).with_columns(
        pl.when(pl.col("is_post"))
        .then(pl.concat_str([pl.col("unit"), pl.col("event_bin")], separator="@"))
        .alias("group")
    )
    groups = sorted(panel["group"].drop_nulls().unique().to_list())
    return panel, {g: f"d{i}" for i, g in enumerate(groups)}


def _fit_groups(panel: pl.DataFrame) -> _GroupFit:
    """One effect per treatment unit (platform x cohort, or campaign) and event-time bin."""
    panel, names = _with_post_groups(panel)
    groups = list(names)
    coef, vcov = _fit(panel, {"group": names})
    cells = (
        panel.filter(pl.col("is_post"))
        .group_by("group", "unit", "platform", "period")
        .agg(
            pl.col("revenue").sum().alias("y1_revenue"),
            pl.col("gross_margin").sum().alias("y1_margin"),
        )
    )
    return _GroupFit(groups, np.array([coef[names[g]] for g in groups]), vcov, cells)


def _pretrend(panel: pl.DataFrame) -> dict[str, dict]:
    """Placebo test of the months before engagement (see the module docstring).

    The platform model (post effects per platform x cohort x event-time bin) plus, for
    each platform, leads: 1 in the months 1-3 and 4-6 before the engagement month. The
    joint Wald test (chi2, contact-clustered) that a platform's leads are 0 gives its
    p-value; "all" tests every lead. Returns {} when the test cannot be run.
    """
    panel, post = _with_post_groups(panel)
    platforms = sorted(panel["platform"].drop_nulls().unique().to_list())
    before = pl.col("e") - pl.col("t")
    leads = {
        f"lead_{i}_{j}": (
            p,
            (pl.col("platform") == p) & before.is_between(lo, hi) & pl.col("e").is_not_null(),
        )
        for i, p in enumerate(platforms)
        for j, (lo, hi) in enumerate(LEAD_BINS)
    }
    # a row is in at most one lead (one platform per contact, disjoint bins)
    lead = pl.lit(None, dtype=pl.String)
    for name, (_, cond) in reversed(leads.items()):
        lead = pl.when(cond.fill_null(False)).then(pl.lit(name)).otherwise(lead)
    panel = panel.with_columns(lead.alias("lead"))
    # a lead with no contact-month (a platform whose cohorts all engaged early) is no test
    counted = set(panel["lead"].drop_nulls().unique().to_list())
    present = [name for name in leads if name in counted]
    if not present:
        return {}
    try:
        fit = _fit_model(panel, {"group": post, "lead": {n: n for n in present}})
        names = list(fit.coef().index)
        out = {}
        for platform in [*platforms, "all"]:
            tested = [
                n for n in present if n in names and (platform == "all" or leads[n][0] == platform)
            ]
            if not tested:
                continue
            restriction = np.zeros((len(tested), len(names)))
            for row, n in enumerate(tested):
                restriction[row, names.index(n)] = 1.0
            p_value = float(fit.wald_test(R=restriction, distribution="chi2")["pvalue"])
            if math.isfinite(p_value):
                out[platform] = {
                    "pretrend_p_value": p_value,
                    "pretrend_ok": p_value >= PRETREND_ALPHA,
                }
        return out
    except Exception:  # a diagnostic that cannot be computed leaves its columns null
        return {}


def _assign_groups(covered: pl.DataFrame) -> pl.DataFrame:
    """Treatment group: the campaign when it has enough contacts, else the platform."""
    sizes = covered.group_by("campaign_id").len()
    big = sizes.filter(pl.col("campaign_id").is_not_null() & (pl.col("len") >= MIN_GROUP_CONTACTS))
    return covered.with_columns(
        pl.when(pl.col("campaign_id").is_in(big["campaign_id"].implode()))
        .then(pl.col("campaign_id"))
        .otherwise(pl.col("platform"))
        .alias("group")
    )


# the frame is built for the fit alone, so pyfixest need not copy it or keep it
LEAN_FIT = {"copy_data": False, "store_data": False, "lean": True}
# exchangeable contacts are fitted as one pseudo-contact of at most MAX_POOLED_CONTACTS,
# and only where every treatment group and stratum they are in keeps at least
# MIN_CLUSTERS pseudo-contacts (see _pool_exchangeable_contacts). On the benchmark's M
# warehouse, 200 kept standard errors within 6 % of the contact-by-contact ones, 100
# within 13 % (docs/performance.md, "The estimator at L")
MAX_POOLED_CONTACTS = 16
MIN_CLUSTERS = 200


def _codes(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).cast(pl.Categorical).to_physical()


def _pool_exchangeable_contacts(data: pl.DataFrame, treatments: list[str]) -> pl.DataFrame:
    """Contacts with the same months, stratum and regressors in every month, summed
    into pseudo-contacts: the same coefficients, a fraction of the rows.

    `treatments` are integer columns: in each row, the index of the one regressor of
    that kind which is 1 there, or null (a row is in at most one treatment group and
    one lead), so a row's regressors are those codes.

    Why it is exact: with a contact effect, contact i's Poisson likelihood profiled
    over a_i is sum_t y_it log(mu_t / sum_s mu_s) (mu_t = exp(g_t + x_t b)), which
    depends on the contact only through its months and rows x_t; for contacts sharing
    them the sum over contacts is the same expression in their summed revenue. So the
    fit on pseudo-contacts has the same maximum (to the solver's tolerance), and each
    pseudo-contact's fitted values and residuals are the sums of its members'.

    What it changes: the covariance is clustered by pseudo-contact, a coarser
    clustering of independent contacts (still consistent; its cluster sums add the
    members' cross products, zero in expectation). Few clusters make a noisy
    variance, so a pseudo-contact holds at most MAX_POOLED_CONTACTS contacts, and
    fewer where a treatment group or stratum it is in would be left with under
    MIN_CLUSTERS pseudo-contacts: small groups and thin strata are fitted contact by
    contact, as before. The contact count per group is the data's own.
    """
    # a row's identity: its stratum-month cell and its regressors; a contact's, the set
    rows = data.with_columns(
        pl.struct("stratum_period", *treatments).hash(seed=0).alias("row_hash")
    )
    stratum_contacts = rows.group_by("stratum").agg(pl.col("contact_key").n_unique().alias("n"))
    # the regressors each contact has a 1 in, and how many contacts each has
    memberships = (
        pl.concat([rows.select("contact_key", pl.col(t).alias("regressor")) for t in treatments])
        .drop_nulls()
        .unique()
    )
    smallest_group = (
        memberships.join(memberships.group_by("regressor").len("group_contacts"), on="regressor")
        .group_by("contact_key")
        .agg(pl.col("group_contacts").min())
    )
    per_contact = (
        rows.group_by("contact_key")
        .agg(pl.col("row_hash").sort().alias("row_hashes"), pl.col("stratum").first())
        .with_columns(pl.col("row_hashes").hash(seed=1).alias("signature"))
        .drop("row_hashes")
    )
    # the smallest group or stratum a contact is in, and so the largest pool it may join
    smallest = pl.min_horizontal("n", "group_contacts")
    pooled = (
        per_contact.join(stratum_contacts, on="stratum", how="left")
        .join(smallest_group, on="contact_key", how="left")
        .with_columns(
            (smallest // MIN_CLUSTERS).clip(1, MAX_POOLED_CONTACTS).alias("pool_size"),
            # rank by the contact's own key: the pools do not depend on row order
            pl.col("contact_key").rank("ordinal").over("signature").alias("rank"),
        )
        .select(
            "contact_key",
            _codes(
                pl.concat_str(
                    pl.col("signature"),
                    (pl.col("rank") - 1) // pl.col("pool_size"),
                    separator="|",
                )
            ).alias("contact_id"),
        )
    )
    return (
        rows.join(pooled, on="contact_key", how="left")
        .group_by("contact_id", "period", "stratum_period")
        .agg(pl.col("revenue").sum(), *[pl.col(t).first() for t in treatments])
    )


def _regressor_names(labels: dict[str, dict[str, str]]) -> list[str]:
    """The regressors of {label column: {label: regressor name}}, in the fit's order."""
    return [name for names in labels.values() for name in names.values()]


def _fit_model(panel: pl.DataFrame, labels: dict[str, dict[str, str]]):
    """Poisson fit with contact and stratum-by-month fixed effects, CRV1 by contact
    (by pseudo-contact where exchangeable contacts are pooled). `labels`:
    {label column: {label: regressor name}}, each regressor 1 where its column holds
    its label; the columns are made on the pooled rows, a fraction of the panel."""
    import pyfixest as pf

    names = _regressor_names(labels)
    # each label as the index of its regressor in `names` (pooling compares codes)
    index = {name: i for i, name in enumerate(names)}
    treatments = {
        column: pl.col(column).replace_strict(
            {label: index[name] for label, name in names_of.items()},
            default=None,
            return_dtype=pl.Int32,
        )
        for column, names_of in labels.items()
    }
    # fixed effects and clusters as integer codes: the same groups as the strings,
    # at a fraction of the memory on a panel of millions of contact-months
    pooled = _pool_exchangeable_contacts(
        panel.select(
            pl.col("contact_id").alias("contact_key"),
            _codes(pl.col("period")).alias("period"),
            _codes(pl.col("stratum")).alias("stratum"),
            _codes(pl.concat_str("stratum", pl.col("period").cast(pl.String), separator="|")).alias(
                "stratum_period"
            ),
            "revenue",
            *[expr.alias(column) for column, expr in treatments.items()],
        ),
        list(treatments),
    )
    data = pooled.select(
        "contact_id",
        "period",
        "stratum_period",
        "revenue",
        *[
            (pl.col(column) == index[name]).fill_null(False).cast(pl.Int8).alias(name)
            for column, names_of in labels.items()
            for name in names_of.values()
        ],
    ).to_pandas()
    rhs = " + ".join(names)
    try:
        return pf.fepois(
            f"revenue ~ {rhs} | contact_id + stratum_period",
            data=data,
            vcov={"CRV1": "contact_id"},
            **LEAN_FIT,
        )
    except ValueError:
        # small samples: stratum-by-month effects may not converge; month effects alone
        return pf.fepois(
            f"revenue ~ {rhs} | contact_id + period",
            data=data,
            vcov={"CRV1": "contact_id"},
            **LEAN_FIT,
        )


def _fit(
    panel: pl.DataFrame, labels: dict[str, dict[str, str]]
) -> tuple[dict[str, float], np.ndarray]:
    fit = _fit_model(panel, labels)
    regressors = _regressor_names(labels)
    coef = fit.coef()
    names = list(coef.index)
    full = np.asarray(fit._vcov)
    # a group whose engaged months were all dropped (separation: no revenue at all)
    # has no coefficient; its observed post revenue is 0, so its effect is 0 too
    vcov = np.zeros((len(regressors), len(regressors)))
    present = [i for i, r in enumerate(regressors) if r in names and np.isfinite(coef[r])]
    idx = [names.index(regressors[i]) for i in present]
    vcov[np.ix_(present, present)] = full[np.ix_(idx, idx)]
    values = {
        r: (float(coef[r]) if r in names and np.isfinite(coef[r]) else 0.0) for r in regressors
    }
    return values, np.nan_to_num(vcov)


def _null_effects() -> dict:
    keys = ["incremental_revenue", "incremental_margin"]
    return {f"{k}{s}": None for k in keys for s in ("", "_low", "_high")}


def _add_months(d, k: int):
    y, m = divmod(d.month - 1 + k, 12)
    return d.replace(year=d.year + y, month=m + 1)


def empty_result(reason: str) -> RoiResult:
    """No estimate: empty tables, but for a summary row whose method gives the reason."""
    effects = {k: pl.Float64 for k in _null_effects()}
    meta = {"method": pl.String, "window_start": pl.Date, "window_end": pl.Date}
    return RoiResult(
        pl.DataFrame(
            schema={
                "period": pl.Date,
                "platform": pl.String,
                **effects,
                "control_customers": pl.Int64,
                **meta,
            }
        ),
        # one row saying why, so the summary mart shows the reason
        pl.DataFrame(
            [{"platform": "all", "method": reason}],
            schema={
                "platform": pl.String,
                "covered_engaged_customers": pl.Int64,
                "control_customers": pl.Int64,
                **effects,
                "pretrend_p_value": pl.Float64,
                "pretrend_ok": pl.Boolean,
                **meta,
            },
        ),
        pl.DataFrame(
            schema={
                "campaign_id": pl.String,
                "covered_engaged_customers": pl.Int64,
                "is_pooled_with_platform": pl.Boolean,
                **effects,
                **meta,
            }
        ),
        pl.DataFrame(
            schema={
                "treatment_group": pl.String,
                "coefficient": pl.Float64,
                "std_error": pl.Float64,
                "effect_multiplier": pl.Float64,
                "effect_multiplier_low": pl.Float64,
                "effect_multiplier_high": pl.Float64,
                **meta,
                "model": pl.String,
            }
        ),
    )
