"""The methodology file: the shipped portal-2026 file matches the spec; malformed files fail loudly.

Expected values come from /work/shared/methodology.md (the team's specification), typed here by
hand, not read from the YAML.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from chiso.methodology import DEFAULT_METHODOLOGY, MethodologyError, load_methodology, parse_methodology

# code: (group, max points, target, empty rule, status) as the spec lists them. None = the spec
# does not state it (monitoring indicators) or states it ambiguously (see FEE_DATA_PROCEDURE below).
SPEC = {
    "PUBLISH_ON_TIME": ("TRANSPARENCY", 6, 1.0, "none", "confirmed"),
    "PUBLIC_UPDATE_ON_TIME": ("TRANSPARENCY", 4, 1.0, "none", "confirmed"),
    "PUBLIC_CONTENT_FULL": ("TRANSPARENCY", 2, 1.0, "none", "confirmed"),
    "DOSSIER_SYNC": ("TRANSPARENCY", 6, 1.0, "none", "confirmed"),
    "ON_TIME": ("PROGRESS", 20, 1.0, "none", "confirmed"),
    "AVG_PROCESSING_TIME": ("PROGRESS", 0, None, None, "documented"),
    "ONLINE_SERVICE_PROVIDED": ("ONLINE_SERVICE", 2, 0.8, "zero", "uncertain"),
    "ONLINE_SERVICE_USED": ("ONLINE_SERVICE", 4, 1.0, "zero", "uncertain"),
    "ONLINE_DOSSIER_SHARE": ("ONLINE_SERVICE", 6, 0.5, "zero", "uncertain"),
    "ONLINE_PAYMENT_DOSSIER": ("ONLINE_PAYMENT", 6, 1.0, "zero", "confirmed"),
    "ONLINE_PAYMENT_PROCEDURE": ("ONLINE_PAYMENT", 2, 0.8, "zero", "confirmed"),
    # The group is "confirmed" but the cap of this indicator is "inferred": status left open.
    "FEE_DATA_PROCEDURE": ("ONLINE_PAYMENT", 2, 0.8, "zero", None),
    "PETITION_PROCESSING_ON_TIME": ("SATISFACTION", 6, 1.0, "full", "confirmed"),
    "PETITION_HANDLING_SATISFACTION": ("SATISFACTION", 6, 1.0, "full", "confirmed"),
    "DOSSIER_RECEIVING_SATISFACTION": ("SATISFACTION", 6, 0.9, "zero", "confirmed"),
    "PETITION_CLASSIFICATION_TTHC": ("SATISFACTION", 0, None, None, None),
    "PETITION_CLASSIFICATION_STAFF": ("SATISFACTION", 0, None, None, None),
    "ORIGINAL_RESULT_AVAILABLE": ("DIGITIZATION", 6, 1.0, "none", "confirmed"),
    "SO_HOA_GIAY_TO_GIAI_QUYET": ("DIGITIZATION", 4, 1.0, "none", "confirmed"),
    "REUSED_DIGITIZED_DATA": ("DIGITIZATION", 2, 0.8, "none", "confirmed"),
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": ("DIGITIZATION", 4, 1.0, "none", "uncertain"),
    "CITIZEN_DATA_CONNECTED_DOSSIER": ("DIGITIZATION", 2, 1.0, "none", "confirmed"),
    "CITIZEN_DATA_CONNECTED_FORMALITY": ("DIGITIZATION", 2, 1.0, "none", "confirmed"),
    "ELECTRONIC_CERTIFIED_COPY": ("DIGITIZATION", 2, 1.0, "none", "uncertain"),
}

GROUP_MAXIMA = {"TRANSPARENCY": 18, "PROGRESS": 20, "ONLINE_SERVICE": 12, "ONLINE_PAYMENT": 10,
                "SATISFACTION": 18, "DIGITIZATION": 22}


@pytest.fixture(scope="module")
def meth():
    return load_methodology()


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(DEFAULT_METHODOLOGY.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict, name: str = "variant.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def indicator_index(data: dict, code: str) -> int:
    return next(i for i, ind in enumerate(data["indicators"]) if ind["code"] == code)


def load_error(tmp_path: Path, data: dict) -> str:
    """Write `data`, load it, and return the error message (which must name the file)."""
    path = write(tmp_path, data)
    with pytest.raises(MethodologyError) as info:
        load_methodology(path)
    msg = str(info.value)
    assert str(path) in msg, f"message does not name the file: {msg}"
    return msg


# ---------------------------------------------------------------------------------- shipped file


def test_shipped_file_loads(meth):
    """The default file is portal-2026 and loads without error."""
    assert meth.name == "portal-2026"
    assert meth.path == DEFAULT_METHODOLOGY
    assert meth.total_max == 100


def test_six_groups_in_order_with_their_maxima(meth):
    """Six columns: 18, 20, 12, 10, 18, 22, adding up to 100."""
    assert {g.code: g.max_points for g in meth.groups} == GROUP_MAXIMA
    assert meth.group_codes == list(GROUP_MAXIMA)
    assert sum(g.max_points for g in meth.groups) == 100


def test_every_spec_indicator_and_nothing_else(meth):
    """The indicator codes are exactly the spec's 24 codes."""
    assert sorted(meth.indicator_codes) == sorted(SPEC)
    assert len(meth.indicator_codes) == 24


@pytest.mark.parametrize("code", list(SPEC))
def test_indicator_matches_spec(meth, code):
    """Each indicator's group, maximum, target, empty rule and status are the spec's."""
    group, max_points, target, empty, status = SPEC[code]
    ind = meth.indicator(code)
    assert ind.group == group
    assert ind.max_points == max_points
    if target is not None:
        assert ind.target == pytest.approx(target)
    if empty is not None:
        assert ind.empty == empty
    if status is not None:
        assert ind.status == status


def test_indicators_add_up_to_their_group(meth):
    """Each group's maximum is the sum of its indicators' maxima."""
    for code, maximum in GROUP_MAXIMA.items():
        assert sum(i.max_points for i in meth.indicators if i.group == code) == maximum


def test_province_scope_and_mean_measure(meth):
    """The first three TRANSPARENCY indicators are province-level; AVG_PROCESSING_TIME is a mean."""
    province = {i.code for i in meth.indicators if i.scope == "province"}
    assert province == {"PUBLISH_ON_TIME", "PUBLIC_UPDATE_ON_TIME", "PUBLIC_CONTENT_FULL"}
    assert meth.indicator("AVG_PROCESSING_TIME").measure == "mean"
    assert meth.indicator("ON_TIME").measure == "ratio"


def test_rounding_settings(meth):
    """Indicators and totals to 2 decimals; ONLINE_PAYMENT rounds its sum, other groups sum rounded values."""
    assert meth.indicator_decimals == 2 and meth.total_decimals == 2
    expected = {code: "sum_of_rounded" for code in GROUP_MAXIMA} | {"ONLINE_PAYMENT": "round_of_sum"}
    assert meth.group_rounding == expected


def test_deadlines(meth):
    """5 working days before the effective date, 5 to make public, 15 to process a petition."""
    assert meth.deadlines == {"publish_before_effective_working_days": 5, "public_update_working_days": 5,
                              "petition_processing_working_days": 15}


def test_default_bands(meth):
    """Bands high to low: Xuất sắc 90, Tốt 80, Khá 70, Trung bình 50, Yếu 0."""
    assert [(b.name_vi, b.min) for b in meth.bands] == [("Xuất sắc", 90), ("Tốt", 80), ("Khá", 70),
                                                        ("Trung bình", 50), ("Yếu", 0)]


@pytest.mark.parametrize("total, band", [(100, "Xuất sắc"), (90, "Xuất sắc"), (89.99, "Tốt"), (80, "Tốt"),
                                         (79.99, "Khá"), (70, "Khá"), (50, "Trung bình"), (49.99, "Yếu"),
                                         (0, "Yếu")])
def test_band_for(meth, total, band):
    """A band starts at its minimum inclusive: 90 is Xuất sắc, 89.99 Tốt, 0 Yếu."""
    assert meth.band_for(total).name_vi == band


def test_indicator_lookup_unknown_code(meth):
    """Looking up an unknown code raises KeyError."""
    with pytest.raises(KeyError):
        meth.indicator("NOPE")


# ---------------------------------------------------------------------------------------- errors


def test_a_faithful_copy_loads(tmp_path, raw):
    """The shipped content written elsewhere loads the same (the error tests below change one thing)."""
    meth = load_methodology(write(tmp_path, raw))
    assert meth.indicator_codes == load_methodology().indicator_codes
    assert meth.path == tmp_path / "variant.yaml"


def test_missing_file(tmp_path):
    """A path that does not exist is named."""
    path = tmp_path / "absent.yaml"
    with pytest.raises(MethodologyError, match="absent.yaml"):
        load_methodology(path)


def test_invalid_yaml(tmp_path):
    """A file that is not YAML is named."""
    path = tmp_path / "broken.yaml"
    path.write_text("groups: [unclosed\n", encoding="utf-8")
    with pytest.raises(MethodologyError, match="broken.yaml"):
        load_methodology(path)


def test_unknown_top_level_key(tmp_path, raw):
    """An unknown top-level key is named."""
    data = copy.deepcopy(raw) | {"totl_max": 100}
    msg = load_error(tmp_path, data)
    assert "top level" in msg and "totl_max" in msg


def test_unknown_indicator_key(tmp_path, raw):
    """A misspelled indicator key (max_point) is named with the indicator."""
    data = copy.deepcopy(raw)
    i = indicator_index(data, "ON_TIME")
    ind = data["indicators"][i]
    ind["max_point"] = ind.pop("max_points")
    msg = load_error(tmp_path, data)
    assert "max_point'" in msg and "ON_TIME" in msg and f"indicators[{i}]" in msg


def test_missing_indicator_key(tmp_path, raw):
    """A missing required indicator key is named."""
    data = copy.deepcopy(raw)
    del data["indicators"][indicator_index(data, "DOSSIER_SYNC")]["target"]
    msg = load_error(tmp_path, data)
    assert "DOSSIER_SYNC" in msg and "target" in msg


def test_unknown_group(tmp_path, raw):
    """An indicator in a group that is not defined is named."""
    data = copy.deepcopy(raw)
    data["indicators"][indicator_index(data, "ON_TIME")]["group"] = "PROGRES"
    msg = load_error(tmp_path, data)
    assert "ON_TIME" in msg and "group" in msg and "PROGRES'" in msg


def test_group_maxima_not_adding_up(tmp_path, raw):
    """A group maximum that differs from the sum of its indicators is named with both numbers."""
    data = copy.deepcopy(raw)
    next(g for g in data["groups"] if g["code"] == "PROGRESS")["max_points"] = 21
    msg = load_error(tmp_path, data)
    assert "PROGRESS" in msg and "21" in msg and "20" in msg


def test_total_not_100(tmp_path, raw):
    """Groups adding up to 101 (an indicator and its group both raised) fail on the total."""
    data = copy.deepcopy(raw)
    next(g for g in data["groups"] if g["code"] == "PROGRESS")["max_points"] = 21
    data["indicators"][indicator_index(data, "ON_TIME")]["max_points"] = 21
    msg = load_error(tmp_path, data)
    assert "101" in msg and "100" in msg


def test_total_max_other_than_100(tmp_path, raw):
    """total_max must be 100 even if the groups agree with it."""
    data = copy.deepcopy(raw)
    data["total_max"] = 90
    msg = load_error(tmp_path, data)
    assert "total_max" in msg and "90" in msg


@pytest.mark.parametrize("empty", ["nothing", "Zero", ""])
def test_bad_empty_rule(tmp_path, raw, empty):
    """An empty rule other than zero / full / none is named."""
    data = copy.deepcopy(raw)
    data["indicators"][indicator_index(data, "ON_TIME")]["empty"] = empty
    msg = load_error(tmp_path, data)
    assert "ON_TIME" in msg and ".empty" in msg and repr(empty) in msg


@pytest.mark.parametrize("target", [0, 1.2, -0.5])
def test_target_outside_zero_one(tmp_path, raw, target):
    """A target must be in (0, 1]: 0, 1.2 and negatives are rejected."""
    data = copy.deepcopy(raw)
    data["indicators"][indicator_index(data, "ONLINE_DOSSIER_SHARE")]["target"] = target
    msg = load_error(tmp_path, data)
    assert "ONLINE_DOSSIER_SHARE" in msg and ".target" in msg


def test_target_one_is_allowed(tmp_path, raw):
    """target = 1 (linear) is inside (0, 1]."""
    data = copy.deepcopy(raw)
    data["indicators"][indicator_index(data, "ONLINE_DOSSIER_SHARE")]["target"] = 1
    assert load_methodology(write(tmp_path, data)).indicator("ONLINE_DOSSIER_SHARE").target == 1.0


def test_bad_status(tmp_path, raw):
    """A status other than confirmed / documented / uncertain is named."""
    data = copy.deepcopy(raw)
    data["indicators"][indicator_index(data, "ON_TIME")]["status"] = "guess"
    msg = load_error(tmp_path, data)
    assert "ON_TIME" in msg and "status" in msg and "guess" in msg


def test_unknown_rule_name(tmp_path, raw):
    """An indicator pointing to a counting rule chiso does not have fails, naming file, indicator and rule."""
    data = copy.deepcopy(raw)
    data["indicators"][indicator_index(data, "ON_TIME")]["rule"] = "ON_TIME_V2"
    msg = load_error(tmp_path, data)
    assert "ON_TIME" in msg and "ON_TIME_V2" in msg


def test_unknown_option(tmp_path, raw):
    """An option the counting rule does not understand fails, naming file, indicator and option."""
    data = copy.deepcopy(raw)
    i = indicator_index(data, "ORIGINAL_RESULT_AVAILABLE")
    data["indicators"][i]["options"] = {"result_document_only": False, "result_documents_only": True}
    msg = load_error(tmp_path, data)
    assert "ORIGINAL_RESULT_AVAILABLE" in msg and "result_documents_only" in msg


def test_duplicate_indicator_code(tmp_path, raw):
    """The same indicator code twice is rejected."""
    data = copy.deepcopy(raw)
    data["indicators"].append(copy.deepcopy(data["indicators"][indicator_index(data, "ON_TIME")]))
    data["indicators"][-1]["max_points"] = 0
    msg = load_error(tmp_path, data)
    assert "duplicate" in msg and "ON_TIME" in msg


def test_unknown_group_in_rounding_override(tmp_path, raw):
    """A rounding override for a group that does not exist is named."""
    data = copy.deepcopy(raw)
    data["rounding"]["group_overrides"] = {"ONLINE_PAYMENTS": "round_of_sum"}
    msg = load_error(tmp_path, data)
    assert "rounding.group_overrides.ONLINE_PAYMENTS" in msg


def test_lowest_band_must_start_at_zero(tmp_path, raw):
    """Without a band starting at 0 some totals would have no band."""
    data = copy.deepcopy(raw)
    data["bands"]["levels"] = [b for b in data["bands"]["levels"] if b["min"] > 0]
    msg = load_error(tmp_path, data)
    assert "bands.levels" in msg


def test_a_province_variant_with_its_own_bands(tmp_path, raw):
    """A variant file changes bands and a target without code changes."""
    data = copy.deepcopy(raw)
    data["name"] = "province-variant"
    data["bands"]["levels"] = [{"code": "pass", "min": 60, "name_vi": "Đạt", "name_en": "Pass"},
                               {"code": "fail", "min": 0, "name_vi": "Chưa đạt", "name_en": "Fail"}]
    data["indicators"][indicator_index(data, "ONLINE_DOSSIER_SHARE")]["target"] = 0.7
    meth = load_methodology(write(tmp_path, data))
    assert meth.name == "province-variant"
    assert meth.band_for(60).code == "pass" and meth.band_for(59.99).code == "fail"
    assert meth.indicator("ONLINE_DOSSIER_SHARE").target == 0.7


def test_parse_methodology_in_memory(raw):
    """parse_methodology works on a parsed document; errors say '<memory>' where a path would be."""
    assert parse_methodology(copy.deepcopy(raw)).name == "portal-2026"
    data = copy.deepcopy(raw) | {"surprise": 1}
    with pytest.raises(MethodologyError, match="<memory>"):
        parse_methodology(data)
