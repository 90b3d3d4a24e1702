"""`explain` recovers every planted story of the default scenario: on the affected unit and month
it names the planted segment as the largest contributor of the right sign."""

import pytest

from chiso.demo import generate, load_scenario
from chiso.explain import Explainer
from chiso.methodology import load_methodology
from chiso.periods import parse_period

METH = load_methodology()
STORIES = {s["kind"]: s for s in load_scenario()["stories"]}


@pytest.fixture(scope="module")
def explainer():
    return Explainer(generate(), METH)


def indicator(attr, code):
    return next(i for g in attr.groups for i in g.indicators if i.indicator == code)


def group(attr, code):
    return next(g for g in attr.groups if g.group == code)


def largest(segments, sign):
    """The segment with the largest contribution of the given sign."""
    return max(segments, key=lambda s: sign * s.contribution)


def test_on_time_collapse_is_the_planted_field(explainer):
    """Two months in against the month before: ON_TIME falls and its largest negative segment by
    field is the planted field; PROGRESS is the unit's most negative group."""
    story = STORIES["on_time_collapse"]
    start = parse_period(story["from"])
    attr = explainer.explain(story["unit_id"], start.shift(1), start.shift(-1), by="field")
    on_time = indicator(attr, "ON_TIME")
    assert on_time.change < 0
    top = largest(on_time.segments, -1)
    assert top.segment == story["field"]
    assert top.contribution < 0 and top.rate_effect < 0
    assert min(attr.groups, key=lambda g: g.change).group == "PROGRESS"
    assert any(story["field"] in sentence for sentence in attr.narrative)


def test_online_payment_switch_is_the_largest_positive_driver(explainer):
    story = STORIES["online_payment_on"]
    attr = explainer.explain(story["unit_id"], story["from"], by="procedure")
    payment = indicator(attr, "ONLINE_PAYMENT_DOSSIER")
    assert payment.change > 0
    # Among indicators with data in both months (a department's handful of petitions can swing
    # between "none" and "some"), online payment moved most.
    comparable = [i for g in attr.groups for i in g.indicators if i.comparable]
    assert max(comparable, key=lambda i: i.change).indicator == "ONLINE_PAYMENT_DOSSIER"
    top = largest(payment.segments, +1)
    assert top.rate_effect > 0
    assert group(attr, "ONLINE_PAYMENT").change > 0


def test_sync_outage_is_the_commune_within_its_district(explainer):
    story = STORIES["sync_outage"]
    month = story["start"][:7]
    own = explainer.explain(story["unit_id"], month, by="channel")
    assert min((i for g in own.groups for i in g.indicators), key=lambda i: i.change).indicator == "DOSSIER_SYNC"
    parent = explainer.ds.units.set_index("unit_id").loc[story["unit_id"], "parent_id"]
    district = explainer.explain(parent, month, by="child")
    top = largest(indicator(district, "DOSSIER_SYNC").segments, -1)
    assert top.segment == story["unit_id"]


def test_petition_surge_is_the_unit_within_the_province(explainer):
    story = STORIES["petition_surge"]
    own = explainer.explain(story["unit_id"], story["month"], by="child")
    assert min(own.groups, key=lambda g: g.change).group == "SATISFACTION"
    handling = indicator(own, "PETITION_HANDLING_SATISFACTION")
    assert largest(handling.segments, -1).segment == story["unit_id"]
    root = explainer.ds.units.loc[explainer.ds.units["parent_id"].isna(), "unit_id"].iloc[0]
    province = explainer.explain(root, story["month"], by="child")
    assert largest(indicator(province, "PETITION_HANDLING_SATISFACTION").segments, -1).segment == story["unit_id"]
