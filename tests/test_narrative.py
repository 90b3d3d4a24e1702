"""Number formatting and generated sentences, checked on a hand-built Attribution.

Vietnamese writes 1.240 (dot for thousands) and 2,1 (comma for decimals), and "91 %" with a
space; English writes 1,240, 2.1 and 91%.
"""

import re

import pytest

from chiso.explain import Attribution, GroupChange, IndicatorChange, SegmentEffect
from chiso.methodology import load_methodology
from chiso.narrative import TEMPLATES, attribution_sentences, fmt_number, fmt_percent, fmt_points

METH = load_methodology()


# ---------------------------------------------------------------------------------- formatting
@pytest.mark.parametrize("value,lang,decimals,expected", [
    (1240, "vi", 0, "1.240"),
    (1240, "en", 0, "1,240"),
    (2.1, "vi", 1, "2,1"),
    (2.1, "en", 1, "2.1"),
    (1234567.891, "vi", 2, "1.234.567,89"),
    (1234567.891, "en", 2, "1,234,567.89"),
    (0, "vi", 0, "0"),
    (999, "vi", 0, "999"),
    (1240.0, "vi", 0, "1.240"),
])
def test_fmt_number(value, lang, decimals, expected):
    assert fmt_number(value, lang, decimals) == expected


def test_fmt_number_missing_is_a_dash():
    assert fmt_number(None) == "–"
    assert fmt_number(float("nan")) == "–"


@pytest.mark.parametrize("value,lang,expected", [
    (2.10, "vi", "2,1"),
    (2.10, "en", "2.1"),
    (3.0, "vi", "3"),
    (3.0, "en", "3"),
    (0.1 + 0.2, "vi", "0,3"),       # 0.30000000000000004
    (7.456, "vi", "7,46"),
    (12.5, "vi", "12,5"),
    (1234.5, "vi", "1.234,5"),
    (1234.5, "en", "1,234.5"),
    (0.0, "vi", "0"),
    (-0.0, "vi", "0"),
    (-2.1, "vi", "-2,1"),
])
def test_fmt_points(value, lang, expected):
    assert fmt_points(value, lang) == expected


def test_fmt_points_never_shows_minus_zero():
    """A tiny negative value rounds to 0 at 2 decimals and must read "0", not "-0": fmt_points
    adds 0.0 *before* rounding (round(value + 0.0, 2)), so round(-0.001, 2) = -0.0 survives."""
    assert fmt_points(-0.001) == "0"
    assert fmt_points(-0.004, "en") == "0"


@pytest.mark.parametrize("ratio,lang,expected", [
    (0.912, "vi", "91 %"),
    (0.912, "en", "91%"),
    (0.05, "vi", "5,0 %"),
    (0.05, "en", "5.0%"),
    (1.0, "vi", "100 %"),
    (0.0, "vi", "0 %"),
    (0.25, "vi", "25 %"),
    (0.0123, "vi", "1,2 %"),
])
def test_fmt_percent(ratio, lang, expected):
    assert fmt_percent(ratio, lang) == expected


def test_fmt_percent_missing_is_a_dash():
    assert fmt_percent(None) == "–"
    assert fmt_percent(float("nan"), "en") == "–"


# ------------------------------------------------------------------------------- sentences
def ind_change(code, change, points0, points1, segments, n0, d0, n1, d1, saturated=False, comparable=True,
               split=True, lang="vi"):
    ind = METH.indicator(code)
    return IndicatorChange(
        indicator=code, name=ind.name(lang), group=ind.group, status=ind.status,
        points0=points0, points1=points1, change=change,
        ratio0=n0 / d0 if d0 else None, ratio1=n1 / d1 if d1 else None,
        numerator0=n0, denominator0=d0, numerator1=n1, denominator1=d1,
        max_points=ind.max_points, target=ind.target, saturated=saturated, comparable=comparable,
        split=split, segments=segments)


def seg(name, n0, d0, n1, d1, rate, mix):
    return SegmentEffect(segment=name, label=name, numerator0=n0, denominator0=d0, numerator1=n1,
                         denominator1=d1, ratio0=n0 / d0 if d0 else None, ratio1=n1 / d1 if d1 else None,
                         rate_effect=rate, mix_effect=mix, contribution=rate + mix)


def hand_built(lang="vi", synthetic=False, share_change=0.1 + 0.2):
    """Xã Một, 2024-05 → 2024-06, by field; total 61.3 → 58.2 (−3.1), rank 2 → 3 of 10.

    PROGRESS −2.1: ON_TIME, whose main segment Đất đai fell from 1140/1250 = 91.2 % to
      992/1240 = 80 % (rate −2.0, mix +0.1 → −1.9); Hộ tịch −0.2.
    ONLINE_SERVICE +0.30000000000000004 (0.1 + 0.2): ONLINE_DOSSIER_SHARE (uncertain), driven by
      mix: Hộ tịch went from 40 of 100 (40 %) to 90 of 150 (60 %) of the dossiers.
    SATISFACTION −1.3: DOSSIER_RECEIVING_SATISFACTION had no dossier this period (empty rule
      zero → 0 points), 1.3 points before.
    TRANSPARENCY 0: DOSSIER_SYNC saturated (6 points both periods).
    """
    t = lambda code: METH.group(code).name(lang)  # noqa: E731
    on_time = ind_change("ON_TIME", -2.1, 18.3, 16.2, [
        seg("Đất đai", 1140, 1250, 992, 1240, -2.0, 0.1),
        seg("Hộ tịch", 500, 550, 450, 550, -0.2, 0.0),
    ], 1640, 1800, 1442, 1790, lang=lang)
    share = ind_change("ONLINE_DOSSIER_SHARE", share_change, 1.0, 1.0 + share_change, [
        seg("Hộ tịch", 8, 40, 18, 90, 0.0, share_change),
        seg("Đất đai", 10, 60, 12, 60, 0.0, 0.0),
    ], 18, 100, 30, 150, lang=lang)
    satisfaction = ind_change("DOSSIER_RECEIVING_SATISFACTION", -1.3, 1.3, 0.0, [
        seg("Hộ tịch", 39, 200, 0, 0, 0.0, -1.3),
    ], 39, 200, 0, 0, comparable=False, lang=lang)
    sync = ind_change("DOSSIER_SYNC", 0.0, 6.0, 6.0, [seg("Hộ tịch", 10, 10, 12, 12, 0.0, 0.0)],
                      10, 10, 12, 12, saturated=True, lang=lang)
    groups = [
        GroupChange("PROGRESS", t("PROGRESS"), 18.3, 16.2, -2.1, [on_time]),
        GroupChange("SATISFACTION", t("SATISFACTION"), 13.3, 12.0, -1.3, [satisfaction]),
        GroupChange("ONLINE_SERVICE", t("ONLINE_SERVICE"), 1.0, 1.0 + share_change, share_change, [share]),
        GroupChange("TRANSPARENCY", t("TRANSPARENCY"), 6.0, 6.0, 0.0, [sync]),
    ]
    total_change = -2.1 - 1.3 + share_change
    return Attribution(
        unit_id="C1", unit_name="Xã Một", unit_kind="commune", period="2024-06", baseline="2024-05", by="field",
        lang=lang, total0=61.3, total1=61.3 + total_change, total_change=total_change, displayed_total0=61.3,
        displayed_total1=58.2, rank0=2, rank1=3, peers=10, band1="Trung bình", synthetic=synthetic, groups=groups)


def sentences(**kw):
    lang = kw.get("lang", "vi")
    return attribution_sentences(hand_built(**kw), lang)


def test_total_sentence_in_vietnamese():
    first = sentences()[0]
    assert first == ("Tổng điểm của Xã Một kỳ 2024-06: 58,2 điểm, giảm 3,1 điểm so với kỳ 2024-05 (61,3 điểm); "
                     "xếp hạng 3/10 (kỳ trước 2).")


def test_group_sentences_name_group_segment_and_numbers_in_vietnamese():
    out = sentences()
    progress = next(s for s in out if s.startswith("Điểm Tiến độ"))
    assert progress == ("Điểm Tiến độ, kết quả giải quyết giảm 2,1 điểm; 1,9 điểm do lĩnh vực Đất đai: "
                        "tỷ lệ hồ sơ xử lý trước hạn, đúng hạn giảm từ 91 % xuống 80 % trên 1.240 hồ sơ.")
    online = next(s for s in out if s.startswith("Điểm Cung cấp dịch vụ trực tuyến"))
    assert online == ("Điểm Cung cấp dịch vụ trực tuyến tăng 0,3 điểm; 0,3 điểm do thay đổi cơ cấu: "
                      "lĩnh vực Hộ tịch chiếm 60 % số hồ sơ (kỳ trước 40 %).")
    satisfaction = next(s for s in out if s.startswith("Điểm Mức độ hài lòng"))
    assert "giảm 1,3 điểm" in satisfaction
    assert "kỳ này không có hồ sơ nào, chấm theo quy tắc khi trống (0 điểm)" in satisfaction


def test_direction_words_follow_the_sign():
    out = sentences()
    by_group = {s.split(" ")[1]: s for s in out if s.startswith("Điểm ")}
    assert " giảm " in by_group["Tiến"] and " tăng " not in by_group["Tiến"]
    assert " tăng " in by_group["Cung"] and " giảm " not in by_group["Cung"]
    assert " giảm " in out[0]


def test_groups_without_change_get_no_sentence_and_saturated_indicators_are_noted():
    out = sentences()
    assert not any(s.startswith("Điểm Công khai") for s in out)
    assert "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG đạt mức tối đa ở cả hai kỳ (đã bão hòa), " \
           "không đóng góp vào thay đổi." in out


def test_uncertain_note_only_when_an_uncertain_indicator_moved():
    note = TEMPLATES["vi"]["uncertain"].format(indicators="Tỷ lệ hồ sơ trực tuyến")
    assert note in sentences()
    still = sentences(share_change=0.001)  # below the 0.005 display threshold
    assert not any(s.startswith("Lưu ý") for s in still)


def test_synthetic_note_only_for_synthetic_data():
    assert TEMPLATES["vi"]["synthetic"] in sentences(synthetic=True)
    assert TEMPLATES["vi"]["synthetic"] not in sentences(synthetic=False)
    assert sentences(synthetic=True)[-1] == "Dữ liệu mô phỏng."
    assert TEMPLATES["en"]["synthetic"] in sentences(lang="en", synthetic=True)
    assert TEMPLATES["en"]["synthetic"] not in sentences(lang="en")


def test_rounding_note_is_always_there():
    assert TEMPLATES["vi"]["rounding"] in sentences()


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("synthetic", [False, True])
def test_no_raw_python_numbers(lang, synthetic):
    text = " ".join(sentences(lang=lang, synthetic=synthetic))
    assert "0.30000000000000004" not in text and "0,30000000000000004" not in text
    assert "nan" not in text.lower()
    assert "None" not in text
    assert "e-" not in text
    assert "{" not in text and "}" not in text
    # Formatted numbers have 3-digit thousands groups and at most 2 decimals: never a separator
    # followed by 4 or more digits (as in 0.30000000000000004 or 2.0999999).
    assert not re.search(r"\d[.,]\d{4,}", text)
    if lang == "vi":
        assert not re.search(r"\d\.\d(?!\d\d)", text)  # a decimal point in Vietnamese text: "2.1"


def test_english_sentences_use_english_formats():
    out = sentences(lang="en")
    assert out[0] == "Xã Một's total for 2024-06: 58.2 points, down 3.1 points on 2024-05 (61.3); rank 3 of 10 (was 2)."
    progress = out[1]
    assert progress.startswith("Processing progress and results down 2.1 points; 1.9 points from field Đất đai")
    assert "from 91% to 80% on 1,240 dossiers" in progress
    assert any("up 0.3 points" in s for s in out)


def test_unchanged_total_uses_the_same_sentence():
    attr = hand_built()
    attr.total_change = 0.001
    attr.displayed_total1 = attr.displayed_total0
    first = attribution_sentences(attr, "vi")[0]
    assert first == "Tổng điểm của Xã Một kỳ 2024-06: 61,3 điểm, không đổi so với kỳ 2024-05; xếp hạng 3/10."


@pytest.mark.parametrize("value, lang, expected", [
    (2.1, "vi", "+2,1"), (-0.5, "vi", "−0,5"), (0.004, "vi", "0"), (1234.567, "en", "+1,234.57"),
    (float("nan"), "vi", "–"), (None, "en", "–"),
])
def test_signed_points(value, lang, expected):
    from chiso.narrative import fmt_signed_points

    assert fmt_signed_points(value, lang) == expected


def test_esc_makes_text_safe_in_html():
    from chiso.narrative import esc

    assert esc('<b>"Sở" & co</b>') == "&lt;b&gt;&quot;Sở&quot; &amp; co&lt;/b&gt;"
