"""Generated sentences, in Vietnamese (default) and English, with every number filled from data.

All wording lives in TEMPLATES; no number is ever typed into text by hand. Vietnamese numbers
use a comma for decimals and a dot for thousands (1.240; 2,1).
"""

from __future__ import annotations

import html
import math

from .counts import RULE_NOUNS

TEMPLATES = {
    "vi": {
        "total": "Tổng điểm của {unit} kỳ {period}: {total1} điểm, {direction} {change} điểm so với kỳ {baseline} "
                 "({total0} điểm); xếp hạng {rank1}/{peers} (kỳ trước {rank0}).",
        "total_same": "Tổng điểm của {unit} kỳ {period}: {total1} điểm, không đổi so với kỳ {baseline}; "
                      "xếp hạng {rank1}/{peers}.",
        "group": "Điểm {group} {direction} {change} điểm",
        "driver": "; {part} điểm do {dimension} {segment}: {indicator} giảm từ {ratio0} xuống {ratio1} "
                  "trên {count} {noun}",
        "driver_up": "; {part} điểm do {dimension} {segment}: {indicator} tăng từ {ratio0} lên {ratio1} "
                     "trên {count} {noun}",
        "driver_mix": "; {part} điểm do thay đổi cơ cấu: {dimension} {segment} chiếm {share1} số {noun} "
                      "(kỳ trước {share0})",
        "empty_now": "; {indicator}: kỳ này không có {noun} nào, chấm theo quy tắc khi trống ({points} điểm)",
        "empty_before": "; {indicator}: kỳ trước không có {noun} nào, kỳ này {ratio1} ({points} điểm)",
        "indicator_only": "; chủ yếu do {indicator} ({change} điểm, {ratio0} → {ratio1})",
        "saturated": "{indicator} đạt mức tối đa ở cả hai kỳ (đã bão hòa), không đóng góp vào thay đổi.",
        "uncertain": "Lưu ý: quy tắc chưa được kiểm chứng (uncertain): {indicators}.",
        "rounding": "Các đóng góp tính trên điểm chưa làm tròn; tổng hiển thị làm tròn đến 2 chữ số.",
        "synthetic": "Dữ liệu mô phỏng.",
        "up": "tăng", "down": "giảm",
        "dimension": {"field": "lĩnh vực", "procedure": "thủ tục", "channel": "kênh", "child": "đơn vị"},
        "noun": {"dossier": "hồ sơ", "petition": "PAKN", "procedure": "thủ tục", "commune": "xã"},
    },
    "en": {
        "total": "{unit}'s total for {period}: {total1} points, {direction} {change} points on {baseline} "
                 "({total0}); rank {rank1} of {peers} (was {rank0}).",
        "total_same": "{unit}'s total for {period}: {total1} points, unchanged on {baseline}; rank {rank1} of {peers}.",
        "group": "{group} {direction} {change} points",
        "driver": "; {part} points from {dimension} {segment}: {indicator} fell from {ratio0} to {ratio1} "
                  "on {count} {noun}",
        "driver_up": "; {part} points from {dimension} {segment}: {indicator} rose from {ratio0} to {ratio1} "
                     "on {count} {noun}",
        "driver_mix": "; {part} points from a change in mix: {dimension} {segment} was {share1} of {noun} "
                      "(previously {share0})",
        "empty_now": "; {indicator}: no {noun} this period, scored by the empty rule ({points} points)",
        "empty_before": "; {indicator}: no {noun} last period, {ratio1} now ({points} points)",
        "indicator_only": "; mainly {indicator} ({change} points, {ratio0} → {ratio1})",
        "saturated": "{indicator} was at its maximum in both periods (saturated) and contributes nothing.",
        "uncertain": "Note: unverified rules (uncertain): {indicators}.",
        "rounding": "Contributions use unrounded points; displayed totals are rounded to 2 decimals.",
        "synthetic": "Synthetic data.",
        "up": "up", "down": "down",
        "dimension": {"field": "field", "procedure": "procedure", "channel": "channel", "child": "unit"},
        "noun": {"dossier": "dossiers", "petition": "petitions", "procedure": "procedures", "commune": "communes"},
    },
}


def fmt_number(value: float, lang: str = "vi", decimals: int = 0) -> str:
    """1240 → '1.240' (vi) / '1,240' (en); 2.1 → '2,1' / '2.1'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def fmt_points(value: float, lang: str = "vi") -> str:
    """Points with up to 2 decimals, trailing zeros dropped: 2.10 → '2,1'."""
    text = fmt_number(round(value, 2) + 0.0, lang, 2)  # + 0.0 turns -0.0 into 0.0
    sep = "," if lang == "vi" else "."
    if sep in text:
        text = text.rstrip("0").rstrip(sep)
    return text


def fmt_signed_points(value: float | None, lang: str = "vi") -> str:
    """A change in points: '+2,1', '−0,5' (a real minus sign), '' for no change, '–' when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "+" if value > 0.0049 else "−" if value < -0.0049 else ""
    return sign + fmt_points(abs(value), lang)


def esc(text) -> str:
    """Text made safe inside HTML (every page and section escapes through this)."""
    return html.escape(str(text))


def fmt_percent(ratio: float | None, lang: str = "vi") -> str:
    """0.912 → '91 %' (vi, with a space) / '91%' (en); one decimal below 10 %."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return "–"
    pct = 100 * ratio
    text = fmt_number(pct, lang, 1 if abs(pct) < 10 and pct != 0 else 0)
    return f"{text} %" if lang == "vi" else f"{text}%"


def _ind_label(ind, lang: str) -> str:
    return ind.name[0].lower() + ind.name[1:] if lang == "vi" and ind.name else ind.name


def attribution_sentences(attr, lang: str = "vi", max_groups: int = 3) -> list[str]:
    """Sentences for an Attribution: the total, then the main groups with their main driver."""
    t = TEMPLATES[lang]
    out = []
    shown_change = attr.displayed_total1 - attr.displayed_total0  # what the reader sees on the dashboard
    if abs(shown_change) < 0.005:
        out.append(t["total_same"].format(unit=attr.unit_name, period=attr.period, baseline=attr.baseline,
                                          total1=fmt_points(attr.displayed_total1, lang), rank1=attr.rank1,
                                          peers=attr.peers))
    else:
        out.append(t["total"].format(
            unit=attr.unit_name, period=attr.period, baseline=attr.baseline,
            total1=fmt_points(attr.displayed_total1, lang), total0=fmt_points(attr.displayed_total0, lang),
            direction=t["up"] if shown_change > 0 else t["down"],
            change=fmt_points(abs(shown_change), lang), rank1=attr.rank1, rank0=attr.rank0, peers=attr.peers))
    dimension = t["dimension"][attr.by]
    for group in [g for g in attr.groups if abs(g.change) >= 0.005][:max_groups]:
        text = t["group"].format(group=group.name, direction=t["up"] if group.change > 0 else t["down"],
                                 change=fmt_points(abs(group.change), lang))
        ind = max(group.indicators, key=lambda i: abs(i.change))
        seg = max(ind.segments, key=lambda s: abs(s.contribution)) if ind.segments else None
        same_sign = seg is not None and seg.contribution * group.change > 0
        noun = t["noun"][RULE_NOUNS.get(ind.indicator, "dossier")]
        if not ind.comparable and ind.denominator1 == 0:
            text += t["empty_now"].format(indicator=_ind_label(ind, lang), noun=noun,
                                          points=fmt_points(ind.points1 or 0.0, lang))
        elif not ind.comparable and ind.denominator0 == 0:
            text += t["empty_before"].format(indicator=_ind_label(ind, lang), noun=noun,
                                             ratio1=fmt_percent(ind.ratio1, lang),
                                             points=fmt_points(ind.points1 or 0.0, lang))
        elif seg is not None and ind.split and same_sign and abs(seg.contribution) >= 0.005:
            if abs(seg.rate_effect) >= abs(seg.mix_effect) and seg.ratio0 is not None and seg.ratio1 is not None:
                key = "driver_up" if seg.ratio1 > seg.ratio0 else "driver"
                text += t[key].format(part=fmt_points(abs(seg.contribution), lang), dimension=dimension, noun=noun,
                                      segment=seg.label, indicator=_ind_label(ind, lang),
                                      ratio0=fmt_percent(seg.ratio0, lang), ratio1=fmt_percent(seg.ratio1, lang),
                                      count=fmt_number(seg.denominator1, lang))
            else:
                share0 = seg.denominator0 / ind.denominator0 if ind.denominator0 else 0.0
                share1 = seg.denominator1 / ind.denominator1 if ind.denominator1 else 0.0
                text += t["driver_mix"].format(part=fmt_points(abs(seg.contribution), lang), dimension=dimension, noun=noun,
                                               segment=seg.label, share0=fmt_percent(share0, lang),
                                               share1=fmt_percent(share1, lang))
        elif abs(ind.change) >= 0.005:
            text += t["indicator_only"].format(indicator=_ind_label(ind, lang),
                                               change=fmt_points(ind.change, lang),
                                               ratio0=fmt_percent(ind.ratio0, lang), ratio1=fmt_percent(ind.ratio1, lang))
        out.append(text + ".")
    saturated = [i for g in attr.groups for i in g.indicators if i.saturated and i.max_points > 0]
    for ind in saturated[:2]:
        out.append(t["saturated"].format(indicator=ind.name))
    moved_uncertain = [i.name for g in attr.groups for i in g.indicators
                       if i.status == "uncertain" and abs(i.change) >= 0.005]
    if moved_uncertain:
        out.append(t["uncertain"].format(indicators=", ".join(moved_uncertain)))
    out.append(t["rounding"])
    if attr.synthetic:
        out.append(t["synthetic"])
    return out
