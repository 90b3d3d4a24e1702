"""The synthetic demo province (chiso.demo): contract, determinism, structure, realism, stories.

Expected figures come from the brief, the methodology's calibration or the scenario file itself,
never from the generator's own output.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pytest

from chiso.contract import TABLES, validate_dataset
from chiso.demo import DEFAULT_SCENARIO, DEFAULT_SEED, generate, generate_to, load_scenario
from chiso.workdays import calendar

SMALL = dict(scale=0.05, months=3)
YEAR_SCALE = 0.5  # the default scenario's 12 months at half of scale 1.0 (≈ 300,000 dossiers)

DISTRICTS = {
    "H27.30": "UBND thành phố Bắc Ninh",
    "H27.31": "UBND thành phố Từ Sơn",
    "H27.32": "UBND thị xã Quế Võ",
    "H27.33": "UBND thị xã Thuận Thành",
    "H27.34": "UBND huyện Yên Phong",
    "H27.35": "UBND huyện Tiên Du",
    "H27.36": "UBND huyện Gia Bình",
    "H27.37": "UBND huyện Lương Tài",
}
DEPARTMENTS = [
    "Sở Nội vụ", "Sở Tư pháp", "Sở Kế hoạch và Đầu tư", "Sở Tài chính", "Sở Công Thương",
    "Sở Nông nghiệp và Phát triển nông thôn", "Sở Giao thông vận tải", "Sở Xây dựng",
    "Sở Tài nguyên và Môi trường", "Sở Thông tin và Truyền thông", "Sở Lao động - Thương binh và Xã hội",
    "Sở Văn hóa, Thể thao và Du lịch", "Sở Khoa học và Công nghệ", "Sở Giáo dục và Đào tạo", "Sở Y tế",
    "Sở Ngoại vụ", "Thanh tra tỉnh", "Ban Quản lý các khu công nghiệp",
]


@pytest.fixture(scope="module")
def small():
    return generate(**SMALL)


@pytest.fixture(scope="module")
def year():
    return generate(scale=YEAR_SCALE)


@pytest.fixture(scope="module")
def scenario():
    return load_scenario()


@pytest.fixture(scope="module")
def dossiers(year):
    """Year dossiers joined with their unit and procedure, plus a month label."""
    d = year.dossiers.merge(year.units[["unit_id", "kind"]], on="unit_id", how="left")
    procs = year.procedures[["procedure_code", "field", "level", "agency_id", "has_fee", "time_unit"]]
    d = d.merge(procs, on="procedure_code", how="left")
    d["month"] = d["received_at"].dt.strftime("%Y-%m")
    return d


def story(scenario, kind):
    found = [s for s in scenario["stories"] if s["kind"] == kind]
    assert found, f"the default scenario must plant a '{kind}' story"
    return found[0]


def data_end(ds) -> pd.Timestamp:
    return pd.Period(ds.meta["last_month"], "M").end_time.normalize() + pd.Timedelta(days=1)


def late_mask(d: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """The methodology's overdue: ended (or still open at `end`) after the due date extended by the
    supplement wait, or more than one supplement."""
    wait = (d["supplement_completed_at"].fillna(end) - d["supplement_requested_at"]).fillna(pd.Timedelta(0))
    return (d["ended_at"].fillna(end) > d["due_at"] + wait) | (d["supplement_count"] >= 2)


# ----------------------------------------------------------------------------------- contract
@pytest.mark.parametrize("which", ["small", "year"])
def test_passes_the_contract_unchanged(which, request):
    ds = request.getfixturevalue(which)
    checked = validate_dataset(ds)
    for name in TABLES:
        pd.testing.assert_frame_equal(checked.table(name), ds.table(name))


def test_column_dtypes(small):
    d = small.dossiers
    for col in ("dossier_id", "unit_id", "procedure_code", "end_status", "rating"):
        assert d[col].dtype == "str", col
    for col in ("received_at", "due_at", "ended_at", "supplement_requested_at", "supplement_completed_at"):
        assert d[col].dtype == "datetime64[us]", col
    for col in ("synced", "paid_online", "e_result", "digitized", "reused_data", "personal_store",
                "population_data", "has_petition"):
        assert d[col].dtype == bool, col
    assert d["channel"].dtype == np.int64 and d["supplement_count"].dtype == np.int64
    assert small.units["e_certified_copy"].dtype == "boolean"
    assert small.procedures["decision_date"].dtype == "datetime64[us]"


def test_meta(small, scenario):
    meta = small.meta
    assert meta["source"] == "synthetic" and small.synthetic
    assert meta["generator"] == "chiso.demo"
    assert meta["seed"] == DEFAULT_SEED and meta["scale"] == SMALL["scale"] and meta["months"] == 3
    assert meta["first_month"] == scenario["first_month"] == "2024-07"
    assert meta["last_month"] == "2024-09"
    assert meta["scenario"] == scenario["name"]
    assert meta["province"] == "Bắc Ninh (mô phỏng)"
    assert meta["stories"] == scenario["stories"]
    assert meta["counts"] == {name: len(small.table(name)) for name in TABLES}
    pd.Timestamp(meta["generated_at"])  # an ISO timestamp


def test_default_period_holds_tet_2025(year, scenario):
    assert scenario["months"] == 12
    assert (year.meta["first_month"], year.meta["last_month"]) == ("2024-07", "2025-06")
    received = year.dossiers["received_at"]
    assert received.min() >= pd.Timestamp("2024-07-01") and received.max() < pd.Timestamp("2025-07-01")


# -------------------------------------------------------------------------------- determinism
def test_same_arguments_same_tables(small):
    again = generate(**SMALL)
    for name in TABLES:
        pd.testing.assert_frame_equal(again.table(name), small.table(name))


def test_scenario_path_equals_default(small):
    from_path = generate(scenario=DEFAULT_SCENARIO, **SMALL)
    pd.testing.assert_frame_equal(from_path.dossiers, small.dossiers)


def test_other_seed_other_data(small):
    other = generate(seed=DEFAULT_SEED + 1, **SMALL)
    assert not other.dossiers.equals(small.dossiers)
    assert not other.procedures["procedure_code"].equals(small.procedures["procedure_code"])


def test_parquet_files_are_byte_identical(tmp_path):
    digests = []
    for run in ("a", "b"):
        out = generate_to(tmp_path / run, scale=0.02, months=2)
        assert (out / "dataset.json").exists()
        digests.append({n: hashlib.sha256((out / f"{n}.parquet").read_bytes()).hexdigest() for n in TABLES})
    assert digests[0] == digests[1]


def test_stories_touch_only_their_units():
    """Stories draw from their own streams: without them, other units' dossiers are identical."""
    with_stories = generate(scale=0.05)
    without = generate(scale=0.05, scenario={"stories": []})
    touched = {s["unit_id"] for s in load_scenario()["stories"]}
    a = with_stories.dossiers
    b = without.dossiers
    keep_a, keep_b = ~a["unit_id"].isin(touched), ~b["unit_id"].isin(touched)
    pd.testing.assert_frame_equal(a[keep_a].reset_index(drop=True), b[keep_b].reset_index(drop=True))
    assert len(a) == len(b)
    assert not a.equals(b)


# ---------------------------------------------------------------------------------- structure
def test_unit_tree(small):
    u = small.units.set_index("unit_id")
    roots = u[u["parent_id"].isna()]
    assert list(roots.index) == ["H27"] and roots.loc["H27", "name"] == "UBND tỉnh Bắc Ninh"
    assert roots.loc["H27", "kind"] == "province"
    districts = u[u["kind"] == "district"]
    assert districts["name"].to_dict() == DISTRICTS
    assert (districts["parent_id"] == "H27").all()
    departments = u[u["kind"] == "department"]
    assert sorted(departments["name"]) == sorted(DEPARTMENTS)
    assert (departments["parent_id"] == "H27").all()
    assert all(re.fullmatch(r"H27\.\d\d", i) for i in departments.index)
    communes = u[u["kind"] == "commune"]
    assert len(communes) >= 100
    assert communes["parent_id"].isin(DISTRICTS).all()
    assert communes.groupby("parent_id").size().min() >= 10
    assert all(int(i.split(".")[1]) >= 100 for i in communes.index)
    assert communes["name"].str.match(r"^UBND (xã|phường|thị trấn) \S").all()
    assert communes["name"].is_unique or communes.reset_index().duplicated(["parent_id", "name"]).sum() == 0
    cert = communes["e_certified_copy"]
    assert cert.notna().all() and 0.8 <= cert.mean() < 1.0
    assert u.loc[u["kind"] != "commune", "e_certified_copy"].isna().all()


def test_procedure_catalogue(small):
    p = small.procedures
    assert 120 <= len(p) <= 200
    assert p["procedure_code"].str.fullmatch(r"[12]\.\d{6}").all()
    assert p["name"].is_unique
    assert set(p["level"]) == {"department", "district", "commune"}
    dep = p["level"] == "department"
    kinds = small.units.set_index("unit_id")["kind"]
    assert (p.loc[dep, "agency_id"].map(kinds) == "department").all()
    assert p.loc[~dep, "agency_id"].isna().all()
    # Every unit below the province has procedures under its authority.
    assert set(p.loc[dep, "agency_id"]) == set(kinds[kinds == "department"].index)
    units = p["time_unit"].value_counts(normalize=True)
    assert units["working_days"] > 0.6 and 0 < units["days"] < 0.3 and 0 < units["hours"] < 0.1
    assert set(p["online_level"]) == {"none", "partial", "full"}
    assert 0.2 < p["has_fee"].mean() < 0.8
    assert p["full_content"].mean() > 0.85 and not p["full_content"].all()
    for field in ("Đất đai", "Hộ tịch", "Chứng thực", "Thành lập và hoạt động doanh nghiệp", "Hộ kinh doanh",
                  "Xây dựng", "Bảo trợ xã hội", "Người có công", "Giáo dục và Đào tạo", "Khám bệnh, chữa bệnh",
                  "Đường bộ", "Lý lịch tư pháp", "Việc làm", "Môi trường", "Lưu thông hàng hóa", "Văn hóa"):
        assert field in set(p["field"]), field


def test_publication_dates(year):
    """Some decisions late (< 5 working days before effect), some made public late, a few never."""
    p = year.procedures
    cal = calendar()
    day = lambda s: s.to_numpy().astype("datetime64[D]")  # noqa: E731
    has_eff = p["legal_effective_date"].notna().to_numpy()
    ahead = cal.count(day(p["decision_date"]), day(p["legal_effective_date"]))[has_eff]
    assert 0.02 < (ahead < 5).mean() < 0.4
    public = p["public_date"].notna().to_numpy()
    delay = cal.count(day(p["decision_date"]), day(p["public_date"]))[public]
    assert 0.02 < (delay > 5).mean() < 0.4
    assert 0 < (~public).sum() < 0.1 * len(p)
    in_data = (p["decision_date"] >= "2024-07-01") & (p["decision_date"] < "2025-07-01")
    assert 0.3 < in_data.mean() < 0.9


# ----------------------------------------------------------------------------------- dossiers
def test_dossier_procedure_matches_unit(dossiers):
    assert dossiers["level"].notna().all()
    assert (dossiers["level"] == dossiers["kind"]).all()
    dep = dossiers["kind"] == "department"
    assert (dossiers.loc[dep, "agency_id"] == dossiers.loc[dep, "unit_id"]).all()
    assert (dossiers["kind"] != "province").all()


def test_volumes(year, small):
    # Scale 1.0 over 12 months is about 300,000 dossiers (the brief), so YEAR_SCALE gives that share of it.
    assert abs(len(year.dossiers) - 300_000 * YEAR_SCALE) < 0.15 * 300_000 * YEAR_SCALE
    half = generate(scale=YEAR_SCALE / 2)
    assert 1.9 < len(year.dossiers) / len(half.dossiers) < 2.1
    assert 1.7 < len(year.petitions) / len(half.petitions) < 2.3
    assert len(small.dossiers) < len(half.dossiers) / 4  # 3 months at a third of the scale


def test_volumes_are_skewed_and_calibrated(dossiers):
    per_month = dossiers.groupby(["kind", "unit_id", "month"]).size().groupby(["kind", "unit_id"]).mean()
    dep = per_month["department"]
    assert dep.max() > 10 * dep.median()  # a few huge departments (methodology: very skewed)
    top = set(dep.sort_values().index[-3:])
    assert {"H27.03", "H27.07"} <= top  # business registration and driving licences
    com = per_month["commune"] / YEAR_SCALE  # back to scale 1.0
    # Methodology commune volumes 360-860-1,900 a month scaled down by 6.7 (2 M vs 300 k a year).
    q10, q50, q90 = com.quantile([0.1, 0.5, 0.9])
    assert 360 / 6.7 * 0.6 < q10 and q90 < 1900 / 6.7 * 1.5 and q10 < q50 < q90
    assert q90 / q10 > 3


def test_fields_by_level(dossiers):
    share = dossiers.groupby("kind")["field"].value_counts(normalize=True)
    commune_core = share["commune"].reindex(["Hộ tịch", "Chứng thực", "Bảo trợ xã hội", "Người có công", "Đất đai"])
    assert commune_core.fillna(0).sum() > 0.9
    assert share["district"].get("Đất đai", 0) > 0.3
    fields = dossiers.groupby("unit_id")["field"].agg(lambda s: s.value_counts().index[0])
    assert fields["H27.03"] == "Thành lập và hoạt động doanh nghiệp"
    assert fields["H27.07"] == "Đường bộ"
    assert fields["H27.02"] == "Lý lịch tư pháp"
    assert fields["H27.09"] == "Đất đai"


def test_receipt_times_and_channels(dossiers):
    d = dossiers
    cal = calendar()
    working = cal.is_working_day(d["received_at"].to_numpy().astype("datetime64[D]"))
    assert 0 < (~working).mean() < 0.05
    assert (d.loc[~working, "channel"] == 2).all()  # weekend and holiday receipts are online only
    counter = d[d["channel"] != 2]
    hours = counter["received_at"].dt.hour + counter["received_at"].dt.minute / 60
    assert ((hours >= 7.5) & (hours < 17)).all()
    share = pd.crosstab(d["month"], d["channel"], normalize="index")
    assert (share.loc[share.index < "2025-01", 1] > 0.5).all()  # in person is the majority in 2024
    assert share.loc["2025-06", 2] > share.loc["2024-07", 2] + 0.1
    assert 0 < share[3].mean() < 0.05


def test_tet_dip(dossiers):
    monthly = dossiers.groupby("month").size()
    assert monthly["2025-01"] + monthly["2025-02"] < 2 * monthly.mean()
    day = dossiers["received_at"].dt.normalize()

    def week(first):
        start = pd.Timestamp(first)
        return int(((day >= start) & (day < start + pd.Timedelta(days=7))).sum())

    tet_week = week("2025-01-27")  # Tết Ất Tỵ: 29 January 2025
    assert tet_week < 0.2 * (week("2025-01-20") + week("2025-02-03")) / 2


def test_due_dates_follow_the_calendar(dossiers):
    cal = calendar()
    has_due = dossiers["due_at"].notna()
    assert 0.005 < (~has_due).mean() < 0.05  # brief: some dossiers missing due_at, ~2 %
    assert (dossiers.loc[has_due, "due_at"] >= dossiers.loc[has_due, "received_at"]).all()
    wd = dossiers[has_due & (dossiers["time_unit"] == "working_days")]
    assert cal.is_working_day(wd["due_at"].to_numpy().astype("datetime64[D]")).all()


def test_due_dates_exact(year):
    cal = calendar()
    d = year.dossiers.merge(year.procedures[["procedure_code", "time_limit", "time_unit"]], on="procedure_code")
    wd = d[(d["time_unit"] == "working_days") & d["due_at"].notna()]
    expected = cal.add(wd["received_at"].to_numpy().astype("datetime64[D]"), wd["time_limit"].to_numpy().astype(int))
    assert (wd["due_at"].to_numpy().astype("datetime64[D]") == expected).all()
    cd = d[(d["time_unit"] == "days") & d["due_at"].notna()]
    gap = (cd["due_at"].dt.normalize() - cd["received_at"].dt.normalize()).dt.days
    assert (gap == cd["time_limit"]).all()


def test_processing_and_status(dossiers, year):
    d = dossiers
    end = data_end(year)
    ended = d["ended_at"].notna()
    assert (d.loc[ended, "ended_at"] >= d.loc[ended, "received_at"]).all()
    status = d["end_status"].value_counts(normalize=True)
    assert status["finished"] + status["returned"] > 0.85
    assert {"refused", "stopped", "withdrawn"} <= set(status.index)
    # Open dossiers are mostly the recent ones.
    open_ = d[~ended]
    assert 0 < len(open_) < 0.1 * len(d)
    assert (open_["received_at"] >= end - pd.Timedelta(days=30)).mean() > 0.6
    # Supplements: ~8-12 % once, ~1 % twice; dates inside processing; pending only while open.
    counts = d["supplement_count"].value_counts(normalize=True)
    assert 0.08 <= counts[1] <= 0.12 and 0.005 <= counts[2] <= 0.02
    req, done = d["supplement_requested_at"], d["supplement_completed_at"]
    assert (req.notna() == (d["supplement_count"] > 0)).all()
    assert (req.dropna() >= d.loc[req.notna(), "received_at"]).all()
    both = done.notna() & ended
    assert (d.loc[both, "ended_at"] >= done[both]).all()
    pending = req.notna() & done.isna()
    assert pending.any() and not ended[pending].any()
    # On time: communes near the methodology's calibration (0.77-0.87-0.93 across communes).
    judged = d[d["due_at"].notna() & (d["received_at"] < end - pd.Timedelta(days=60))]
    on_time = ~late_mask(judged, end)
    by_commune = on_time[judged["kind"] == "commune"].groupby(judged["unit_id"]).mean()
    assert 0.77 <= by_commune.median() <= 0.93
    by_department = on_time[judged["kind"] == "department"].groupby(judged["unit_id"]).mean()
    spread = lambda r: r.quantile(0.9) - r.quantile(0.1)  # noqa: E731
    assert spread(by_department) > spread(by_commune)  # departments vary more (methodology)


def test_attributes(dossiers):
    d = dossiers
    sync = d.groupby("unit_id")["synced"].mean()
    assert 0.9 < d["synced"].mean() < 0.995 and sync.std() > 0.005
    free = ~d["has_fee"]
    assert (d.loc[free, "fee_amount"].fillna(0) == 0).all() and d.loc[free, "fee_amount"].isna().any()
    fee_bearing = d["has_fee"]
    assert (d.loc[fee_bearing, "fee_amount"].dropna() >= 0).all()
    assert (d.loc[fee_bearing, "fee_amount"] > 0).mean() > 0.85
    assert not d.loc[free, "paid_online"].any()
    paid = d[d["paid_online"]]
    assert (paid["channel"] == 2).mean() > 0.7
    ended_ok = d["end_status"].isin(["finished", "returned"])
    assert not d.loc[~ended_ok, "e_result"].any() and 0.3 < d.loc[ended_ok, "e_result"].mean() < 0.9
    for col, lo, hi in (("digitized", 0.4, 0.95), ("reused_data", 0.1, 0.6), ("population_data", 0.2, 0.9),
                        ("personal_store", 0.0, 0.1), ("has_petition", 0.0, 0.02)):
        assert lo < d[col].mean() < hi, col
    assert d.loc[d["ended_at"].isna(), "rating"].isna().all()
    ratings = d["rating"].value_counts(normalize=True, dropna=False)
    assert ratings.iloc[0] > 0.7 and pd.isna(ratings.index[0])
    assert ratings["satisfied"] > ratings["unsatisfied"] > 0


def test_petitions(year):
    p = year.petitions
    assert 1000 * YEAR_SCALE < len(p) < 10_000 * YEAR_SCALE  # "a few thousand over the year" at scale 1
    cal = calendar()
    due = p[p["due_at"].notna()]
    expected = cal.add(due["received_at"].to_numpy().astype("datetime64[D]"), 15)
    assert (due["due_at"].to_numpy().astype("datetime64[D]") == expected).all()
    assert 0 < p["due_at"].isna().mean() < 0.1
    resolved = p[p["resolved_at"].notna()]
    assert (resolved["resolved_at"] >= resolved["received_at"]).all()
    on_time = (resolved["resolved_at"] <= resolved["due_at"]).mean()
    assert on_time > 0.7
    assert p["resolved_at"].isna().any()
    assert p.loc[p["resolved_at"].isna(), "rating"].isna().all()
    ratings = p["rating"].value_counts(dropna=False)
    assert ratings["positive"] > ratings["negative"] > 0 and p["rating"].isna().any()
    assert 0 < p["repeated"].mean() < 0.1
    assert set(p["topic"]) == {"procedure", "staff", "other"}
    assert p["unit_id"].nunique() > 50


# ------------------------------------------------------------------------------------ stories
def test_story_on_time_collapse(dossiers, year, scenario):
    s = story(scenario, "on_time_collapse")
    end = data_end(year)
    start = pd.Period(s["from"], "M").start_time
    mine = dossiers[(dossiers["unit_id"] == s["unit_id"]) & (dossiers["field"] == s["field"])]
    mine = mine[mine["due_at"].notna() & (mine["received_at"] < end - pd.Timedelta(days=60))]
    before = late_mask(mine[mine["received_at"] < start], end).mean()
    after = late_mask(mine[mine["received_at"] >= start], end).mean()
    assert after >= s["late_share"] - 0.1
    assert before < 0.5 and after > before + 0.2
    # Other districts' land dossiers do not collapse.
    others = dossiers[(dossiers["kind"] == "district") & (dossiers["unit_id"] != s["unit_id"])
                      & (dossiers["field"] == s["field"]) & (dossiers["received_at"] >= start)]
    others = others[others["due_at"].notna() & (others["received_at"] < end - pd.Timedelta(days=60))]
    assert late_mask(others, end).mean() < 0.5


def test_story_online_payment_on(dossiers, scenario):
    s = story(scenario, "online_payment_on")
    start = pd.Period(s["from"], "M").start_time
    mine = dossiers[(dossiers["unit_id"] == s["unit_id"]) & dossiers["has_fee"] & (dossiers["fee_amount"] != 0)]
    before = mine[mine["received_at"] < start]
    after = mine[(mine["received_at"] >= start) & (mine["channel"] == 2)]
    assert len(before) > 100 and len(after) > 100
    assert before["paid_online"].mean() <= s["before_share"] + 0.03
    assert after["paid_online"].mean() >= s["after_share"] - 0.1


def test_story_sync_outage(dossiers, scenario):
    s = story(scenario, "sync_outage")
    start = pd.Timestamp(s["start"])
    mine = dossiers[dossiers["unit_id"] == s["unit_id"]]
    window = (mine["received_at"] >= start) & (mine["received_at"] < start + pd.Timedelta(days=s["days"]))
    assert window.sum() > 0
    assert not mine.loc[window, "synced"].any()
    assert mine.loc[~window, "synced"].mean() > 0.9


def test_story_petition_surge(year, scenario):
    s = story(scenario, "petition_surge")
    p = year.petitions[year.petitions["unit_id"] == s["unit_id"]]
    month = p["received_at"].dt.strftime("%Y-%m")
    counts = month.value_counts()
    surge = counts.get(s["month"], 0)
    others = counts.drop(s["month"], errors="ignore").mean()
    assert surge >= s["factor"] / 2 * others
    rated = p[p["rating"].notna()]
    negative = (rated["rating"] == "negative").groupby(rated["received_at"].dt.strftime("%Y-%m")).mean()
    assert negative[s["month"]] >= s["negative_share"] - 0.2
    assert negative.drop(s["month"]).mean() < negative[s["month"]] / 2


# ---------------------------------------------------------------------------------- scenarios
def test_unknown_story_kind_names_the_story():
    bad = {"stories": [{"id": "mystery-story", "kind": "alien_invasion", "unit_id": "H27.36"}]}
    with pytest.raises(ValueError, match=r"mystery-story.*kind"):
        generate(scale=0.01, months=1, scenario=bad)


def test_missing_story_key_names_story_and_key():
    bad = {"stories": [{"id": "half-story", "kind": "on_time_collapse", "unit_id": "H27.36", "field": "Đất đai",
                        "from": "2025-03"}]}
    with pytest.raises(ValueError, match=r"half-story.*late_share"):
        generate(scale=0.01, months=1, scenario=bad)


@pytest.mark.parametrize(
    "change, key",
    [
        ({"unit_id": "H99.99"}, "unit_id"),
        ({"from": "March"}, "from"),
        ({"late_share": 1.5}, "late_share"),
        ({"field": "Hàng không"}, "field"),
        ({"delay_working_days": 2.5}, "delay_working_days"),
    ],
)
def test_bad_story_values_name_story_and_key(scenario, change, key):
    good = dict(story(scenario, "on_time_collapse"))
    with pytest.raises(ValueError, match=rf"{re.escape(good['id'])}.*{key}"):
        generate(scale=0.01, months=1, scenario={"stories": [{**good, **change}]})


def test_bad_arguments():
    with pytest.raises(ValueError):
        generate(scale=0)
    with pytest.raises(ValueError):
        generate(months=0)
    with pytest.raises(FileNotFoundError):
        generate(scenario="/nonexistent/scenario.yaml")
