"""What would raise a score: points left on the table, and what-if evaluation of count changes.

`points_left` lists, per indicator, the points lost against the maximum and the smallest concrete
action that recovers them in counts ("x more dossiers finished on time"), where the shortfall
concentrates (field, child unit), ranked by points per item of effort. `WhatIf` re-scores one
unit for hypothetical count changes fast enough for a slider (a few hundred microseconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .counts import RULE_NOUNS
from .explain import Explainer
from .narrative import TEMPLATES, fmt_number, fmt_percent
from .scoring import _points, round_half_up

ACTIONS = {
    "vi": {
        "DOSSIER_SYNC": "đồng bộ thêm {n} hồ sơ lên Cổng DVCQG",
        "ON_TIME": "thêm {n} hồ sơ được xử lý đúng hạn",
        "ONLINE_SERVICE_PROVIDED": "cung cấp trực tuyến thêm {n} thủ tục",
        "ONLINE_SERVICE_USED": "có hồ sơ trực tuyến ở thêm {n} dịch vụ công trực tuyến",
        "ONLINE_DOSSIER_SHARE": "thêm {n} hồ sơ nộp trực tuyến",
        "ONLINE_PAYMENT_DOSSIER": "thêm {n} hồ sơ thanh toán trực tuyến",
        "ONLINE_PAYMENT_PROCEDURE": "có thanh toán trực tuyến ở thêm {n} thủ tục có phí",
        "FEE_DATA_PROCEDURE": "đồng bộ dữ liệu phí, lệ phí cho thêm {n} thủ tục",
        "PETITION_PROCESSING_ON_TIME": "xử lý đúng hạn thêm {n} PAKN",
        "PETITION_HANDLING_SATISFACTION": "thêm {n} PAKN xử lý đúng hạn, không bị đánh giá tiêu cực",
        "DOSSIER_RECEIVING_SATISFACTION": "thêm {n} hồ sơ đúng hạn, không bị phản ánh hay không hài lòng",
        "ORIGINAL_RESULT_AVAILABLE": "cấp kết quả điện tử cho thêm {n} hồ sơ",
        "SO_HOA_GIAY_TO_GIAI_QUYET": "số hóa thêm {n} hồ sơ",
        "REUSED_DIGITIZED_DATA": "tái sử dụng dữ liệu số hóa ở thêm {n} hồ sơ",
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": "kết nối kho dữ liệu cá nhân ở thêm {n} hồ sơ",
        "CITIZEN_DATA_CONNECTED_DOSSIER": "sử dụng dữ liệu dân cư ở thêm {n} hồ sơ",
        "CITIZEN_DATA_CONNECTED_FORMALITY": "kết nối dữ liệu dân cư cho thêm {n} thủ tục",
        "ELECTRONIC_CERTIFIED_COPY": "thêm {n} xã chứng thực bản sao điện tử",
        "PUBLISH_ON_TIME": "công bố đúng hạn thêm {n} thủ tục (cấp tỉnh)",
        "PUBLIC_UPDATE_ON_TIME": "công khai đúng hạn thêm {n} thủ tục (cấp tỉnh)",
        "PUBLIC_CONTENT_FULL": "công khai đầy đủ nội dung thêm {n} thủ tục (cấp tỉnh)",
        "_default": "thêm {n} {noun} đạt yêu cầu",
        "_empty": "không có {noun} nào trong kỳ: chấm theo quy tắc khi trống",
        "_where": "{share} số còn thiếu thuộc {dimension} {segment}",
    },
    "en": {
        "DOSSIER_SYNC": "sync {n} more dossiers to the national portal",
        "ON_TIME": "{n} more dossiers finished on time",
        "ONLINE_SERVICE_PROVIDED": "offer {n} more procedures online",
        "ONLINE_SERVICE_USED": "online dossiers on {n} more online services",
        "ONLINE_DOSSIER_SHARE": "{n} more dossiers submitted online",
        "ONLINE_PAYMENT_DOSSIER": "{n} more dossiers paid online",
        "ONLINE_PAYMENT_PROCEDURE": "online payment on {n} more fee-bearing procedures",
        "FEE_DATA_PROCEDURE": "fee data synced for {n} more procedures",
        "PETITION_PROCESSING_ON_TIME": "{n} more petitions handled on time",
        "PETITION_HANDLING_SATISFACTION": "{n} more petitions handled on time without a negative rating",
        "DOSSIER_RECEIVING_SATISFACTION": "{n} more dossiers on time without a petition or an unsatisfied rating",
        "ORIGINAL_RESULT_AVAILABLE": "electronic results for {n} more dossiers",
        "SO_HOA_GIAY_TO_GIAI_QUYET": "{n} more dossiers digitized",
        "REUSED_DIGITIZED_DATA": "digitized data reused in {n} more dossiers",
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": "{n} more dossiers linked to the personal data store",
        "CITIZEN_DATA_CONNECTED_DOSSIER": "population data used in {n} more dossiers",
        "CITIZEN_DATA_CONNECTED_FORMALITY": "population data connected for {n} more procedures",
        "ELECTRONIC_CERTIFIED_COPY": "{n} more communes issuing electronic certified copies",
        "PUBLISH_ON_TIME": "{n} more procedures published on time (province level)",
        "PUBLIC_UPDATE_ON_TIME": "{n} more procedures made public on time (province level)",
        "PUBLIC_CONTENT_FULL": "{n} more procedures published with full content (province level)",
        "_default": "{n} more {noun} meeting the rule",
        "_empty": "no {noun} in the period: scored by the empty rule",
        "_where": "{share} of the shortfall is in {dimension} {segment}",
    },
}


def items_needed(numerator: float, denominator: float, target: float) -> int:
    """The fewest numerator items to add, denominator unchanged, to reach the target ratio."""
    return max(0, math.ceil(target * denominator - numerator - 1e-9))


def _concentration(explainer: Explainer, unit_id: str, period: str, by: str) -> pd.DataFrame:
    """Per indicator, the segment holding the largest share of the shortfall (d − n)."""
    seg = explainer.segments(unit_id, period, by)
    seg = seg[seg["segment"] != "__all__"].copy()
    seg["short"] = (seg["denominator"] - seg["numerator"]).clip(lower=0)
    total = seg.groupby("indicator")["short"].transform("sum")
    seg["share"] = np.where(total > 0, seg["short"] / total.where(total > 0, 1), 0.0)
    top = seg.sort_values("short", ascending=False).drop_duplicates("indicator")
    return top[top["short"] > 0].set_index("indicator")[["segment", "label", "share", "short"]]


def points_left(explainer: Explainer, unit_id: str, period: str, lang: str = "vi") -> pd.DataFrame:
    """Points lost against each indicator's maximum and the action that would recover them.

    Ranked by points per item of effort (the most points for the least work first); indicators
    without data (nothing to act on) come last.
    """
    explainer.check_unit(unit_id)
    t = TEMPLATES[lang]
    acts = ACTIONS[lang]
    counts = explainer.counts(period)
    from .scoring import score_counts

    scored = score_counts(counts[counts["unit_id"] == unit_id], explainer.meth).set_index("indicator")
    where = {by: _concentration(explainer, unit_id, period, by) for by in ("field", "child")}
    rows = []
    for ind in explainer.meth.indicators:
        if ind.max_points <= 0:
            continue
        r = scored.loc[ind.code]
        pts = 0.0 if math.isnan(r["points"]) else float(r["points"])
        lost = ind.max_points - pts
        if lost < 0.005:
            continue
        noun = t["noun"][RULE_NOUNS.get(ind.rule, "dossier")]
        num, den = float(r["numerator"]), float(r["denominator"])
        if den > 0:
            n = items_needed(num, den, ind.target)
            action = acts.get(ind.rule, acts["_default"]).format(n=fmt_number(n, lang), noun=noun)
            per_item = lost / n if n else float("nan")
        else:
            n, per_item = None, float("nan")
            action = acts["_empty"].format(noun=noun)
        notes = []
        for by, top in where.items():
            if ind.code in top.index and den > 0:
                seg = top.loc[ind.code]
                notes.append(acts["_where"].format(share=fmt_percent(seg["share"], lang),
                                                   dimension=t["dimension"][by], segment=seg["label"]))
        rows.append({
            "group": ind.group, "indicator": ind.code, "name": ind.name(lang), "status": ind.status,
            "points": pts, "max_points": ind.max_points, "lost": lost, "ratio": r["ratio"], "target": ind.target,
            "numerator": num, "denominator": den, "items_needed": n, "points_per_item": per_item,
            "action": action, "where": "; ".join(notes),
        })
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out = out.sort_values(["points_per_item", "lost"], ascending=[False, False], na_position="last")
    return out.reset_index(drop=True)


@dataclass
class Change:
    """A hypothetical change to one indicator's counts for one unit."""

    indicator: str
    numerator: float = 0.0  # added to the numerator
    denominator: float = 0.0  # added to the denominator
    ratio: float | None = None  # or: set the ratio (numerator = ratio × denominator)


@dataclass
class WhatIfResult:
    unit_id: str
    total0: float
    total1: float
    change: float
    rank0: int
    rank1: int
    peers: int
    band0: str
    band1: str
    groups0: dict[str, float] = field(default_factory=dict)
    groups1: dict[str, float] = field(default_factory=dict)
    points1: dict[str, float] = field(default_factory=dict)


class WhatIf:
    """Re-score one unit for hypothetical counts; everything else in the period stays as it is."""

    def __init__(self, explainer: Explainer, period: str, lang: str = "vi"):
        meth = explainer.meth
        self.meth, self.lang, self.period = meth, lang, period
        counts = explainer.counts(period)
        codes = meth.indicator_codes
        num = counts.pivot(index="unit_id", columns="indicator", values="numerator").reindex(columns=codes)
        den = counts.pivot(index="unit_id", columns="indicator", values="denominator").reindex(columns=codes)
        self.unit_index = {u: i for i, u in enumerate(num.index)}
        self.num, self.den = num.to_numpy(dtype=np.float64), den.to_numpy(dtype=np.float64)
        self.code_index = {c: j for j, c in enumerate(codes)}
        inds = meth.indicators
        self.max_points = np.array([i.max_points for i in inds])
        self.target = np.array([i.target for i in inds])
        self.empty = np.array([i.empty for i in inds], dtype=object)
        self.measure = np.array([i.measure for i in inds], dtype=object)
        self.ratio_measure = self.measure == "ratio"
        groups = meth.group_codes
        self.groups = groups
        self.group_of = np.array([groups.index(i.group) for i in inds])
        self.round_of_sum = np.array([meth.group_rounding[g] == "round_of_sum" for g in groups])
        units = explainer.unit_scores(period, lang)
        self.totals = units["total"].reindex(num.index).to_numpy(dtype=np.float64)
        kinds = units["unit_kind"].reindex(num.index).to_numpy(dtype=object)
        self.kinds = kinds
        self.base_rank = units["rank"].reindex(num.index).to_numpy()
        self.peers = units["peers"].reindex(num.index).to_numpy()
        self.base_groups = units[groups].reindex(num.index).to_numpy(dtype=np.float64)

    def _score_row(self, num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        _, points = _points(num, den, self.max_points, self.target, self.empty, self.measure)
        exact = np.nan_to_num(points)
        shown = np.nan_to_num(round_half_up(points, self.meth.indicator_decimals))
        by_group_exact = np.bincount(self.group_of, weights=exact, minlength=len(self.groups))
        by_group_shown = np.bincount(self.group_of, weights=shown, minlength=len(self.groups))
        groups = np.where(self.round_of_sum, by_group_exact, by_group_shown)
        groups = round_half_up(groups, self.meth.indicator_decimals)
        total = float(round_half_up(groups.sum(), self.meth.total_decimals))
        return points, groups, total

    def evaluate(self, unit_id: str, changes: list[Change] | tuple = ()) -> WhatIfResult:
        """New points, group scores, total, rank among peers and band after `changes`."""
        if unit_id not in self.unit_index:
            raise KeyError(f"unknown unit '{unit_id}'")
        u = self.unit_index[unit_id]
        num, den = self.num[u].copy(), self.den[u].copy()
        for ch in changes:
            if ch.indicator not in self.code_index:
                raise KeyError(f"unknown indicator '{ch.indicator}'")
            j = self.code_index[ch.indicator]
            den[j] = max(den[j] + ch.denominator, 0.0)
            if ch.ratio is not None:
                num[j] = min(max(ch.ratio, 0.0), 1.0) * den[j]
            else:
                num[j] = num[j] + ch.numerator
            num[j] = max(num[j], 0.0)
            if self.ratio_measure[j]:
                num[j] = min(num[j], den[j])
        points, groups, total = self._score_row(num, den)
        same_kind = self.kinds == self.kinds[u]
        same_kind[u] = False
        rank = int(1 + np.count_nonzero(self.totals[same_kind] > total))
        return WhatIfResult(
            unit_id=unit_id, total0=float(self.totals[u]), total1=total, change=total - float(self.totals[u]),
            rank0=int(self.base_rank[u]), rank1=rank, peers=int(self.peers[u]),
            band0=self._band(self.totals[u]), band1=self._band(total),
            groups0=dict(zip(self.groups, self.base_groups[u].tolist())),
            groups1=dict(zip(self.groups, groups.tolist())),
            points1={c: (None if math.isnan(p) else float(p)) for c, p in zip(self.code_index, points)},
        )

    def _band(self, total: float) -> str:
        band = self.meth.band_for(total)
        return band.name_vi if self.lang == "vi" else band.name_en
