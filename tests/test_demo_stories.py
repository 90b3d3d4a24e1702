"""Each planted story of the default scenario moves the scores it should, in the month it should.

The expectations come from the scenario's own parameters (late share, before/after payment
shares, outage length, surge factor), not from the generator's output: e.g. an outage of 10
calendar days from 7 April covers 8 of April's 21 working days, so roughly 8/21 ≈ 38 % of the
commune's April receipts cannot be synced and DOSSIER_SYNC must fall by well over 0.2.
"""

import numpy as np
import pytest

from chiso.counts import count_period, dossier_status, prepare
from chiso.demo import generate, load_scenario
from chiso.methodology import load_methodology
from chiso.periods import parse_period
from chiso.scoring import score_counts

METH = load_methodology()
SCENARIO = load_scenario()
STORIES = {s["kind"]: s for s in SCENARIO["stories"]}


@pytest.fixture(scope="module")
def prep():
    return prepare(generate(), METH)


def ratio(prep, unit, code, period):
    counts = count_period(prep, period)
    row = score_counts(counts[(counts.unit_id == unit) & (counts.indicator == code)], METH).iloc[0]
    return row["ratio"], row["points"], row["denominator"]


def shift(period: str, months: int) -> str:
    return parse_period(period).shift(months).label


def test_the_default_scenario_plants_four_kinds_of_story():
    assert set(STORIES) >= {"on_time_collapse", "online_payment_on", "sync_outage", "petition_surge"}


def test_on_time_collapse_shows_in_the_field_and_the_unit_score(prep):
    story = STORIES["on_time_collapse"]
    before, after = shift(story["from"], -1), shift(story["from"], 2)
    # The planted field alone: at most (1 - late_share) of new dossiers can be on time.
    ds = prep.ds
    field_codes = set(ds.procedures.loc[ds.procedures["field"] == story["field"], "procedure_code"])
    for period, check in ((before, lambda r: r > 1 - story["late_share"] + 0.15),
                          (after, lambda r: r < 1 - story["late_share"] + 0.15)):
        st = dossier_status(prep, period)
        mine = st[(st.unit_id == story["unit_id"]) & st.procedure_code.isin(field_codes) & st.counted]
        assert len(mine) >= 30
        assert check(mine.on_time.mean()), (period, mine.on_time.mean())
    r0, p0, _ = ratio(prep, story["unit_id"], "ON_TIME", before)
    r1, p1, _ = ratio(prep, story["unit_id"], "ON_TIME", after)
    assert r1 < r0 - 0.05
    assert p1 < p0 - 1.0  # at least a point of PROGRESS lost


def test_online_payment_switch_on_moves_online_payment(prep):
    story = STORIES["online_payment_on"]
    r0, p0, n0 = ratio(prep, story["unit_id"], "ONLINE_PAYMENT_DOSSIER", shift(story["from"], -1))
    r1, p1, n1 = ratio(prep, story["unit_id"], "ONLINE_PAYMENT_DOSSIER", shift(story["from"], 1))
    assert n0 >= 20 and n1 >= 20
    assert r0 <= story["before_share"] + 0.05
    assert r1 >= 0.5 * story["after_share"]
    assert p1 - p0 >= 6 * (0.5 * story["after_share"] - story["before_share"] - 0.05)


def test_sync_outage_shows_in_dossier_sync_that_month_only(prep):
    story = STORIES["sync_outage"]
    month = story["start"][:7]
    during, _, n = ratio(prep, story["unit_id"], "DOSSIER_SYNC", month)
    before, _, _ = ratio(prep, story["unit_id"], "DOSSIER_SYNC", shift(month, -1))
    after, _, _ = ratio(prep, story["unit_id"], "DOSSIER_SYNC", shift(month, 1))
    assert n >= 20
    assert before >= 0.85 and after >= 0.85
    assert during < before - 0.2
    # The window itself: every dossier received in it is unsynced.
    d = prep.ds.dossiers
    start = np.datetime64(story["start"])
    window = (d.unit_id == story["unit_id"]) & (d.received_at >= start) & (
        d.received_at < start + np.timedelta64(story["days"], "D"))
    assert window.sum() > 0 and not d.loc[window, "synced"].any()


def test_petition_surge_shows_in_petition_satisfaction(prep):
    story = STORIES["petition_surge"]
    month = story["month"]
    r1, p1, n1 = ratio(prep, story["unit_id"], "PETITION_HANDLING_SATISFACTION", month)
    r0, p0, n0 = ratio(prep, story["unit_id"], "PETITION_HANDLING_SATISFACTION", shift(month, -1))
    assert n1 >= story["factor"] / 2 * max(n0, 1)
    assert r1 <= 1 - story["negative_share"] + 0.1
    assert p1 < p0 - 1.0
