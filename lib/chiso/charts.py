"""Charts: one Altair theme and small chart functions, rendered offline.

Every chart uses the theme registered here (fonts that carry Vietnamese diacritics, a colour per
group). Charts render through the `chiso` renderer: a `<div>` and a one-line `vegaEmbed` call,
with the Vega bundle (from vl-convert, no CDN) included once per page by `chiso.report`; in a live
notebook the first chart also emits the bundle once. The action menu that would send the spec
(data included) to the online Vega editor is turned off.
"""

from __future__ import annotations

import json
import math
import uuid
from functools import lru_cache

import altair as alt
import pandas as pd

FONT = "'Noto Sans', 'DejaVu Sans', 'Segoe UI', Roboto, Arial, sans-serif"
GROUP_COLOURS = {
    "TRANSPARENCY": "#1b6ca8",
    "PROGRESS": "#d1495b",
    "ONLINE_SERVICE": "#00798c",
    "ONLINE_PAYMENT": "#edae49",
    "SATISFACTION": "#66a182",
    "DIGITIZATION": "#8e6c8a",
}
UP, DOWN, NEUTRAL = "#2e7d32", "#c62828", "#9e9e9e"
EMBED_OPTIONS = {"actions": False, "renderer": "svg"}


def theme() -> dict:
    """The chiso chart theme: readable Vietnamese text, quiet axes, one palette."""
    return {
        "config": {
            "font": FONT,
            "view": {"stroke": None, "continuousWidth": 560, "continuousHeight": 260},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "gridColor": "#e8e8e8", "domainColor": "#888"},
            "legend": {"labelFontSize": 12, "titleFontSize": 12},
            "title": {"fontSize": 15, "anchor": "start", "fontWeight": 600},
            "range": {"category": list(GROUP_COLOURS.values())},
            "bar": {"cornerRadiusEnd": 2},
        }
    }


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script, wrapped so it can be included once per page.

    Building it takes ~1.5 s; a batch builds it once and shares it with its workers through the
    file named by CHISO_VEGA_BUNDLE.
    """
    import os

    shared = os.environ.get("CHISO_VEGA_BUNDLE")
    if shared and os.path.exists(shared):
        with open(shared, encoding="utf-8") as fh:
            return fh.read()
    import vl_convert

    return "(function(){\n" + vl_convert.javascript_bundle() + "\n})();"


class _LiveBundle:
    """In a live kernel the page has no bundle: the first chart of the session carries it."""

    emitted = False


def _batch_mode() -> bool:
    """Batch reports get the bundle once in the page head (chiso.report), never per chart."""
    import os

    return os.environ.get("CHISO_BATCH") == "1"


def chart_html(spec: dict, with_bundle: bool = False) -> str:
    """A `<div>` and the `vegaEmbed` call that draws `spec` into it (plus the bundle if asked)."""
    div = f"chiso-chart-{uuid.uuid4().hex[:10]}"
    payload = json.dumps(spec, ensure_ascii=False).replace("</", "<\\/")
    options = json.dumps(EMBED_OPTIONS)
    prefix = f"<script>{vega_bundle()}</script>" if with_bundle else ""
    return (f'{prefix}<div class="chiso-chart" id="{div}"></div>'
            f'<script>vegaEmbed("#{div}", {payload}, {options}).catch(function(e){{'
            f'document.getElementById("{div}").textContent = "Chart error: " + e;}});</script>')


def _render(spec: dict) -> dict:
    with_bundle = not _LiveBundle.emitted and not _batch_mode()
    _LiveBundle.emitted = _LiveBundle.emitted or with_bundle
    return {"text/html": chart_html(spec, with_bundle)}


def enable() -> None:
    """Register and enable the theme and the offline renderer (idempotent)."""
    alt.theme.register("chiso", enable=True)(theme)
    alt.renderers.register("chiso", _render)
    alt.renderers.enable("chiso")


def group_scores(row: pd.Series, groups, lang: str = "vi") -> alt.Chart:
    """The six groups against their maxima for one unit."""
    data = pd.DataFrame({
        "group": [g.name(lang) for g in groups],
        "code": [g.code for g in groups],
        "points": [float(row[g.code]) for g in groups],
        "max": [g.max_points for g in groups],
    })
    label = {"vi": ("Nhóm chỉ số", "Điểm", "Tối đa"), "en": ("Group", "Points", "Maximum")}[lang]
    base = alt.Chart(data).encode(y=alt.Y("group:N", sort=None, title=None))
    maxima = base.mark_bar(color="#eeeeee").encode(x=alt.X("max:Q", title=label[1]),
                                                   tooltip=[alt.Tooltip("group:N", title=label[0]),
                                                            alt.Tooltip("max:Q", title=label[2])])
    points = base.mark_bar().encode(
        x="points:Q",
        color=alt.Color("code:N", scale=alt.Scale(domain=list(GROUP_COLOURS), range=list(GROUP_COLOURS.values())),
                        legend=None),
        tooltip=[alt.Tooltip("group:N", title=label[0]), alt.Tooltip("points:Q", title=label[1], format=".2f"),
                 alt.Tooltip("max:Q", title=label[2])],
    )
    return (maxima + points).properties(height=30 * len(data), width=520)


def waterfall(steps: pd.DataFrame, lang: str = "vi") -> alt.Chart:
    """Change waterfall: baseline total, one bar per group change, current total.

    `steps` columns: label, change (None for the two totals), value (the totals)."""
    rows, running = [], 0.0
    for i, r in enumerate(steps.itertuples(index=False)):
        if r.change is None or pd.isna(r.change):
            rows.append({"order": i, "label": r.label, "start": 0.0, "end": float(r.value), "kind": "total",
                         "amount": float(r.value)})
            running = float(r.value)
        else:
            rows.append({"order": i, "label": r.label, "start": running, "end": running + float(r.change),
                         "kind": "up" if r.change >= 0 else "down", "amount": float(r.change)})
            running += float(r.change)
    data = pd.DataFrame(rows)
    # Totals start a little below the lowest running value, so small changes stay visible.
    moving = data["kind"] != "total"
    lowest = min(data.loc[moving, "start"].min() if moving.any() else math.inf, data["end"].min())
    data.loc[data["kind"] == "total", "start"] = max(0.0, float(lowest) - 2.0)
    title = {"vi": ("Điểm", "Thay đổi"), "en": ("Points", "Change")}[lang]
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("label:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelAngle=-30, labelLimit=160)),
        y=alt.Y("start:Q", title=title[0], scale=alt.Scale(zero=False)),
        y2="end:Q",
        color=alt.Color("kind:N", scale=alt.Scale(domain=["total", "up", "down"], range=["#546e7a", UP, DOWN]),
                        legend=None),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("amount:Q", title=title[1], format="+.2f")],
    ).properties(width=560, height=260)


def drivers(segments: pd.DataFrame, lang: str = "vi", title: str = "") -> alt.Chart:
    """Horizontal bars of segment contributions (points), negative red, positive green."""
    data = segments.copy()
    data["sign"] = (data["contribution"] >= 0).map({True: "up", False: "down"})
    label = {"vi": ("Đóng góp (điểm)", "Chỉ số", "Hiệu ứng tỷ lệ", "Hiệu ứng cơ cấu"),
             "en": ("Contribution (points)", "Indicator", "Rate effect", "Mix effect")}[lang]
    return alt.Chart(data, title=title).mark_bar().encode(
        y=alt.Y("label:N", sort=alt.SortField("contribution"), title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("contribution:Q", title=label[0]),
        color=alt.Color("sign:N", scale=alt.Scale(domain=["up", "down"], range=[UP, DOWN]), legend=None),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("indicator:N", title=label[1]),
                 alt.Tooltip("contribution:Q", format="+.3f", title=label[0]),
                 alt.Tooltip("rate_effect:Q", format="+.3f", title=label[2]),
                 alt.Tooltip("mix_effect:Q", format="+.3f", title=label[3])],
    ).properties(width=480, height=max(60, 22 * len(data)))


def trend(history: pd.DataFrame, lang: str = "vi", compare: pd.DataFrame | None = None) -> alt.Chart:
    """Total score by period (`history`: period, total), optionally beside a comparison line."""
    label = {"vi": ("Kỳ", "Tổng điểm", "Đơn vị"), "en": ("Period", "Total", "Unit")}[lang]
    data = history.assign(series=history.get("series", label[1]))
    if compare is not None:
        data = pd.concat([data, compare], ignore_index=True)
    selection = alt.selection_point(fields=["series"], bind="legend")
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("period:O", title=label[0]),
        y=alt.Y("total:Q", title=label[1], scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title=label[2]),
        opacity=alt.condition(selection, alt.value(1), alt.value(0.2)),
        tooltip=[alt.Tooltip("series:N", title=label[2]), alt.Tooltip("period:O", title=label[0]),
                 alt.Tooltip("total:Q", format=".2f", title=label[1])],
    ).add_params(selection).properties(width=560, height=240)


def distribution(units: pd.DataFrame, lang: str = "vi") -> alt.Chart:
    """Histogram of totals per unit kind."""
    label = {"vi": ("Tổng điểm", "Số đơn vị", "Loại đơn vị"), "en": ("Total", "Units", "Kind")}[lang]
    return alt.Chart(units).mark_bar(opacity=0.85).encode(
        x=alt.X("total:Q", bin=alt.Bin(step=2.5), title=label[0]),
        y=alt.Y("count():Q", title=label[1], stack=True),
        color=alt.Color("kind_label:N", title=label[2]),
        tooltip=[alt.Tooltip("kind_label:N", title=label[2]), alt.Tooltip("count():Q", title=label[1])],
    ).properties(width=560, height=220)


def heatmap(long: pd.DataFrame, lang: str = "vi") -> alt.Chart:
    """Unit × group share of the group's maximum (`long`: unit_name, group, share, points)."""
    label = {"vi": ("Đơn vị", "Nhóm", "Tỷ lệ điểm tối đa", "Điểm"), "en": ("Unit", "Group", "Share of max", "Points")}[lang]
    return alt.Chart(long).mark_rect().encode(
        x=alt.X("group:N", title=None, sort=None, axis=alt.Axis(labelAngle=-30, labelLimit=160)),
        y=alt.Y("unit_name:N", title=None, sort=None),
        color=alt.Color("share:Q", title=label[2], scale=alt.Scale(domain=[0, 1], scheme="redyellowgreen")),
        tooltip=[alt.Tooltip("unit_name:N", title=label[0]), alt.Tooltip("group:N", title=label[1]),
                 alt.Tooltip("points:Q", format=".2f", title=label[3]),
                 alt.Tooltip("share:Q", format=".0%", title=label[2])],
    ).properties(width=420, height=max(120, 14 * long["unit_name"].nunique()))
