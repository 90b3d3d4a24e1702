"""Report content and offline pages: what the report notebooks display, and the page around it.

Notebooks stay thin: they call `report_context(...)` once, then the section functions here, each
returning HTML (tables with a CSV download link, charts, sentences). `notebook_page` turns an
executed notebook into one self-contained page: no code cells, the Vega bundle once in <head>, a
synthetic-data banner when the data are synthetic, print CSS for A4, no CDN anywhere.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import charts
from .at_risk import at_risk
from .contract import SYNTHETIC_BANNER, load_dataset
from .explain import Attribution, Explainer, top_drivers, unit_trend, waterfall_steps
from .methodology import Methodology, load_methodology
from .narrative import esc, fmt_number, fmt_percent, fmt_points, fmt_signed_points
from .periods import Period, parse_period
from .quarantine import read as read_quarantine
from .quarantine import missing_records, reason_label
from .whatif import points_left

KIND_LABELS = {"vi": {"province": "Tỉnh", "department": "Sở, ban, ngành", "district": "Cấp huyện", "commune": "Cấp xã"},
               "en": {"province": "Province", "department": "Departments", "district": "Districts",
                      "commune": "Communes"}}
STATUS_LABELS = {"vi": {"confirmed": "đã kiểm chứng", "documented": "theo mô tả", "uncertain": "⚠ chưa chắc chắn"},
                 "en": {"confirmed": "confirmed", "documented": "documented", "uncertain": "⚠ uncertain"}}

CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --accent:#1b6ca8; }
* { box-sizing: border-box; }
body { font-family: 'Noto Sans', 'DejaVu Sans', 'Segoe UI', Roboto, Arial, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1060px; padding: 0 24px 48px; line-height: 1.45; font-size: 14px; }
h1 { font-size: 24px; margin: 18px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px;
     border-bottom: 2px solid var(--line); padding-bottom: 4px; } h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f4f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.banner { background: #fff3cd; border: 1px solid #e0c36c; color: #6b4e00; padding: 6px 12px; margin: 12px 0;
          font-weight: 600; border-radius: 4px; }
.card { display: flex; flex-wrap: wrap; gap: 12px; margin: 10px 0; }
.card div { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.card b { display: block; font-size: 22px; }
.muted { color: var(--muted); } .up { color: #2e7d32; } .down { color: #c62828; }
.narrative li { margin: 2px 0; } .download { font-size: 12px; margin-left: 6px; }
.chiso-chart { margin: 8px 0 16px; break-inside: avoid; page-break-inside: avoid; }
.error { background: #fdecea; border: 1px solid #f5c2c0; padding: 8px 12px; border-radius: 4px; }
input.search { padding: 6px 10px; width: 320px; font-size: 14px; margin: 8px 0; }
@page { size: A4; margin: 14mm; }
@media print { body { max-width: none; padding: 0; font-size: 11px; } .download, input.search { display: none; }
  h2 { break-after: avoid; } table, .card, .chiso-chart, svg { break-inside: avoid; page-break-inside: avoid; } }
"""


# --------------------------------------------------------------------------------- context
@dataclass
class ReportContext:
    explainer: Explainer
    meth: Methodology
    period: Period
    baseline: Period
    lang: str

    @property
    def ds(self):
        return self.explainer.ds


@lru_cache(maxsize=4)
def _explainer(data_dir: str, stamp: float, methodology: str | None) -> Explainer:
    meth = load_methodology(methodology)
    return Explainer(load_dataset(data_dir), meth)


def cached_explainer(data_dir: str | Path, methodology: str | None = None) -> Explainer:
    """The dataset loaded once per process, cached by directory and modification time."""
    stamp = max((p.stat().st_mtime for p in Path(data_dir).glob("*")), default=0.0)
    return _explainer(str(Path(data_dir).resolve()), stamp, methodology)


def report_context(data_dir: str, period: str, baseline: str = "", lang: str = "vi",
                   methodology: str | None = None) -> ReportContext:
    """Load (once per process) and set up the context every section function takes."""
    if lang not in ("vi", "en"):
        raise ValueError(f"lang must be 'vi' or 'en', not '{lang}'")
    explainer = cached_explainer(data_dir, methodology)
    cur = parse_period(period)
    base = parse_period(baseline) if baseline else cur.previous()
    return ReportContext(explainer, explainer.meth, cur, base, lang)


SECTIONS = {
    "vi": {"groups": "Sáu nhóm chỉ số", "indicators": "Từng chỉ số", "waterfall": "Thay đổi so với kỳ trước",
           "narrative": "Diễn giải", "drivers_field": "Nguyên nhân theo lĩnh vực",
           "drivers_procedure": "Nguyên nhân theo thủ tục", "drivers_child": "Nguyên nhân theo đơn vị trực thuộc",
           "points_left": "Điểm còn thiếu và việc cần làm", "at_risk": "Hồ sơ sắp quá hạn",
           "trend": "Diễn biến 12 kỳ", "quality": "Ghi chú chất lượng dữ liệu",
           "ranking": "Bảng xếp hạng", "distribution": "Phân bố điểm", "movers": "Biến động lớn nhất",
           "heatmap": "Điểm theo nhóm của cấp huyện", "province_trend": "Diễn biến điểm của tỉnh",
           "methodology": "Phương pháp"},
    "en": {"groups": "The six groups", "indicators": "Every indicator", "waterfall": "Change since the baseline",
           "narrative": "What happened", "drivers_field": "Drivers by field", "drivers_procedure": "Drivers by procedure",
           "drivers_child": "Drivers by sub-unit", "points_left": "Points left on the table",
           "at_risk": "Dossiers about to fall overdue", "trend": "Last 12 periods", "quality": "Data-quality notes",
           "ranking": "Rankings", "distribution": "Distribution of scores", "movers": "Biggest movers",
           "heatmap": "District group scores", "province_trend": "Province trend", "methodology": "Methodology"},
}


def heading(ctx: "ReportContext", key: str) -> str:
    return f"<h2>{esc(SECTIONS[ctx.lang][key])}</h2>"


def title_block(ctx: "ReportContext", unit_id: str | None = None) -> str:
    """The page title: unit name (or province overview), period, baseline, methodology."""
    lang = ctx.lang
    if unit_id is None:
        root = ctx.ds.units.loc[ctx.ds.units["parent_id"].isna(), "unit_id"].iloc[0]
        name = ("Tổng quan " if lang == "vi" else "Overview: ") + ctx.explainer.names[root]
    else:
        ctx.explainer.check_unit(unit_id)
        name = ctx.explainer.names[unit_id]
    sub = {"vi": f"Kỳ {ctx.period.label}, so với kỳ {ctx.baseline.label}. Phương pháp: {ctx.meth.title_vi}.",
           "en": f"Period {ctx.period.label}, compared with {ctx.baseline.label}. Methodology: {ctx.meth.title_en}."}[lang]
    return f"<h1>{esc(name)}</h1><p class='muted'>{esc(sub)}</p>"


# ------------------------------------------------------------------------------- primitives
def download_link(frame: pd.DataFrame, filename: str, lang: str = "vi") -> str:
    """A link that saves the table as CSV from the page itself (a data: URI, works offline)."""
    data = base64.b64encode(frame.to_csv(index=False).encode("utf-8-sig")).decode("ascii")
    label = "Tải CSV" if lang == "vi" else "Download CSV"
    return (f'<a class="download" download="{esc(filename)}" '
            f'href="data:text/csv;charset=utf-8;base64,{data}">{label}</a>')


def table(frame: pd.DataFrame, columns: dict[str, str], filename: str | None = None, lang: str = "vi",
          formats: dict | None = None) -> str:
    """An HTML table of `columns` (name → header) with numbers formatted for the language."""
    formats = formats or {}
    head = "".join(f"<th>{esc(h)}</th>" for h in columns.values())
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for col in columns:
            value = row[col]
            fmt = formats.get(col)
            if fmt is not None:
                cells.append(f'<td class="num">{fmt(value)}</td>')
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f'<td class="num">{esc(fmt_number(value, lang, 0 if float(value).is_integer() else 2))}</td>')
            else:
                cells.append(f"<td>{'' if value is None or (isinstance(value, float) and math.isnan(value)) else esc(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    link = download_link(frame[list(columns)], filename, lang) if filename else ""
    return f"{link}<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _signed(value: float, lang: str) -> str:
    cls = "up" if value > 0.0049 else "down" if value < -0.0049 else "muted"
    return f'<span class="{cls}">{fmt_signed_points(value, lang) if cls != "muted" else "±0"}</span>'


def chart(c) -> str:
    return charts.chart_html(c.to_dict())


# ------------------------------------------------------------------------------ unit report
def unit_attribution(ctx: ReportContext, unit_id: str, by: str = "field") -> Attribution:
    return ctx.explainer.explain(unit_id, ctx.period, ctx.baseline, by, ctx.lang)


def score_card(ctx: ReportContext, unit_id: str) -> str:
    ex, lang = ctx.explainer, ctx.lang
    ex.check_unit(unit_id)
    cur = ex.unit_scores(ctx.period, lang).loc[unit_id]
    base = ex.unit_scores(ctx.baseline, lang).loc[unit_id]
    kind = KIND_LABELS[lang][ex.kinds[unit_id]]
    words = {"vi": ("Tổng điểm", "Xếp hạng", "Xếp loại", "So với kỳ"), "en": ("Total", "Rank", "Band", "Change on")}[lang]
    return (f'<div class="card"><div>{words[0]}<b>{fmt_points(cur["total"], lang)}</b><span class="muted">/ 100</span></div>'
            f'<div>{words[1]}<b>{int(cur["rank"])}/{int(cur["peers"])}</b><span class="muted">{esc(kind)}</span></div>'
            f'<div>{words[2]}<b>{esc(cur["band_name"])}</b></div>'
            f'<div>{words[3]} {esc(ctx.baseline.label)}<b>{_signed(cur["total"] - base["total"], lang)}</b>'
            f'<span class="muted">{fmt_points(base["total"], lang)} → {fmt_points(cur["total"], lang)}</span></div></div>')


def groups_section(ctx: ReportContext, unit_id: str) -> str:
    row = ctx.explainer.unit_scores(ctx.period, ctx.lang).loc[unit_id]
    return chart(charts.group_scores(row, ctx.meth.groups, ctx.lang))


def indicator_table(ctx: ReportContext, unit_id: str) -> str:
    from .scoring import score_counts

    counts = ctx.explainer.counts(ctx.period)
    scored = score_counts(counts[counts["unit_id"] == unit_id], ctx.meth)
    lang = ctx.lang
    scored = scored.assign(
        name=[ctx.meth.indicator(c).name(lang) for c in scored["indicator"]],
        group_name=[ctx.meth.group(g).name(lang) for g in scored["group"]],
        status_label=[STATUS_LABELS[lang][s] for s in scored["status"]],
    )
    heads = {"vi": ["Nhóm", "Chỉ số", "Mã", "Tử số", "Mẫu số", "Tỷ lệ", "Điểm", "Tối đa", "Mức chắc chắn"],
             "en": ["Group", "Indicator", "Code", "Numerator", "Denominator", "Ratio", "Points", "Max", "Status"]}[lang]
    cols = dict(zip(["group_name", "name", "indicator", "numerator", "denominator", "ratio", "points", "max_points",
                     "status_label"], heads))
    fmt = {"ratio": lambda v: fmt_percent(v, lang) if not (isinstance(v, float) and math.isnan(v)) else "–",
           "points": lambda v: fmt_points(v, lang) if not math.isnan(v) else "–",
           "numerator": lambda v: fmt_number(v, lang, 0 if float(v).is_integer() else 1),
           "denominator": lambda v: fmt_number(v, lang, 0)}
    note = {"vi": "⚠ = quy tắc chưa được kiểm chứng trên số liệu Cổng DVCQG; điểm mang tính tham khảo.",
            "en": "⚠ = rule not verified against the portal's figures; points are indicative."}[lang]
    return (table(scored, cols, f"chi-so-{unit_id}-{ctx.period.label}.csv", lang, fmt)
            + f'<p class="muted">{note}</p>')


def waterfall_section(ctx: ReportContext, attr: Attribution) -> str:
    return chart(charts.waterfall(waterfall_steps(attr), ctx.lang))


def drivers_section(ctx: ReportContext, unit_id: str, by: str, top: int = 8) -> str:
    frame = top_drivers(unit_attribution(ctx, unit_id, by), top)
    if frame.empty:
        return '<p class="muted">' + ("Không có thay đổi đáng kể." if ctx.lang == "vi" else "No notable change.") + "</p>"
    return chart(charts.drivers(frame, ctx.lang))


def narrative_section(attr: Attribution) -> str:
    return '<ul class="narrative">' + "".join(f"<li>{esc(s)}</li>" for s in attr.narrative) + "</ul>"


def points_left_section(ctx: ReportContext, unit_id: str, top: int = 8) -> str:
    lang = ctx.lang
    frame = points_left(ctx.explainer, unit_id, ctx.period.label, lang)
    if frame.empty:
        return "<p>" + ("Đạt tối đa mọi chỉ số." if lang == "vi" else "Every indicator is at its maximum.") + "</p>"
    heads = {"vi": ["Chỉ số", "Điểm mất", "Việc cần làm", "Tập trung ở"],
             "en": ["Indicator", "Points lost", "Action", "Where"]}[lang]
    cols = dict(zip(["name", "lost", "action", "where"], heads))
    return table(frame.head(top), cols, f"diem-con-thieu-{unit_id}-{ctx.period.label}.csv", lang,
                 {"lost": lambda v: fmt_points(v, lang)})


def at_risk_section(ctx: ReportContext, unit_id: str, within: int = 3, top: int = 15) -> str:
    """Open dossiers at the start of the period's last day due within `within` working days."""
    lang = ctx.lang
    as_of = ctx.period.last_day
    dossiers, summary = at_risk(ctx.explainer, as_of.isoformat(), within, unit_id)
    intro = {"vi": f"Hồ sơ đang mở ngày {as_of:%d/%m/%Y} sẽ quá hạn trong {within} ngày làm việc nếu không được giải quyết: "
                   f"{fmt_number(len(dossiers), lang)} hồ sơ.",
             "en": f"Dossiers open on {as_of:%d/%m/%Y} that fall overdue within {within} working days unless finished: "
                   f"{fmt_number(len(dossiers), lang)}."}[lang]
    if dossiers.empty:
        return f"<p>{esc(intro)}</p>"
    heads = {"vi": ["Mã hồ sơ", "Đơn vị", "Thủ tục", "Lĩnh vực", "Hạn xử lý", "Ngày làm việc còn lại"],
             "en": ["Dossier", "Unit", "Procedure", "Field", "Due", "Working days left"]}[lang]
    shown = dossiers.assign(due=dossiers["effective_due"].dt.strftime("%d/%m/%Y %H:%M"))
    cols = dict(zip(["dossier_id", "unit_name", "procedure_name", "field", "due", "working_days_left"], heads))
    return f"<p>{esc(intro)}</p>" + table(shown.head(top), cols, f"ho-so-sap-qua-han-{unit_id}.csv", lang)


def trend_section(ctx: ReportContext, unit_id: str, months: int = 12) -> str:
    history = unit_trend(ctx.explainer, unit_id, ctx.period, months, ctx.lang)
    return chart(charts.trend(history.assign(series=ctx.explainer.names[unit_id]), ctx.lang))


def data_quality_section(ctx: ReportContext, unit_id: str) -> str:
    """Simple flags on the unit's dossiers received in the period (issue 6 adds the full report)."""
    prep = ctx.explainer.prep
    below = prep.units_below(unit_id)[prep.d_unit]
    start, end = int(ctx.period.start.astype("int64")), int(ctx.period.end_exclusive.astype("int64"))
    received = below & (prep.d_received >= start) & (prep.d_received < end)
    n = int(received.sum())
    missing_due = int((received & ~prep.d_due_recorded).sum())
    unsynced = int((received & ~prep.d_synced).sum())
    lang = ctx.lang
    if lang == "vi":
        items = [f"{fmt_number(n, lang)} hồ sơ tiếp nhận trong kỳ.",
                 f"{fmt_number(missing_due, lang)} hồ sơ không ghi ngày hẹn trả (hạn tính theo thời hạn luật định).",
                 f"{fmt_number(unsynced, lang)} hồ sơ chưa đồng bộ lên Cổng DVCQG."]
    else:
        items = [f"{fmt_number(n, lang)} dossiers received in the period.",
                 f"{fmt_number(missing_due, lang)} without a recorded due date (legal time limit used).",
                 f"{fmt_number(unsynced, lang)} not synced to the national portal."]
    held = quarantined_rows(ctx, unit_id)
    if held:
        count, reason = held
        label = reason_label(reason, lang)
        items.append(f"{fmt_number(count, lang)} dòng dữ liệu của đơn vị bị cách ly khi nhập, chưa được tính "
                     f"(lý do nhiều nhất: {label}); xem quarantine.csv." if lang == "vi" else
                     f"{fmt_number(count, lang)} rows of this unit were quarantined at import and are not counted "
                     f"(most common reason: {label}); see quarantine.csv.")
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def quarantined_rows(ctx: ReportContext, unit_id: str) -> tuple[int, str] | None:
    """Dossier and petition rows of the unit (and units below it) received in the period that the
    import quarantined, merged exact copies aside, with the most common reason; None if none."""
    path = ctx.ds.path
    if path is None:
        return None
    held = read_quarantine(path)
    if held.empty:
        return None
    prep = ctx.explainer.prep
    below = set(np.asarray(prep.unit_ids)[prep.units_below(unit_id)])
    start = pd.Timestamp(ctx.period.first_day)
    end = pd.Timestamp(ctx.period.last_day) + pd.Timedelta(days=1)
    held = missing_records(held)
    mine = held[held["table"].isin(["dossiers", "petitions"])
                & held["unit_id"].isin(below) & (held["received_at"] >= start) & (held["received_at"] < end)]
    if mine.empty:
        return None
    return len(mine), str(mine["reason"].value_counts().index[0])


# ------------------------------------------------------------------------ province overview
def linked_set(linked_units: str) -> set[str] | None:
    """The notebook parameter `linked_units` ("all" or comma-separated ids) as a set (None = all)."""
    if linked_units.strip() == "all":
        return None
    return {u.strip() for u in linked_units.split(",") if u.strip()}


def _unit_link(unit_id: str, name: str, linked: set[str] | None) -> str:
    """A link to the unit's report page when that page is part of the batch, else the name."""
    return f'<a href="{esc(unit_id)}.html">{esc(name)}</a>' if linked is None or unit_id in linked else esc(name)


def ranking_tables(ctx: ReportContext, linked: set[str] | None = None) -> str:
    """Ranking tables per unit kind; units in `linked` link to their report page (None: all)."""
    lang = ctx.lang
    units = ctx.explainer.unit_scores(ctx.period, lang).reset_index()
    base = ctx.explainer.unit_scores(ctx.baseline, lang)["total"]
    units["name"] = units["unit_id"].map(ctx.explainer.names)
    units["change"] = units["total"] - units["unit_id"].map(base)
    parts = []
    heads = {"vi": ["Hạng", "Đơn vị", "Tổng điểm", "Thay đổi", "Xếp loại"],
             "en": ["Rank", "Unit", "Total", "Change", "Band"]}[lang]
    for kind, title in KIND_LABELS[lang].items():
        part = units[units["unit_kind"] == kind].sort_values(["rank", "name"])
        if part.empty:
            continue
        shown = part.assign(link=[_unit_link(u, n, linked) for u, n in zip(part["unit_id"], part["name"])])
        body = "".join(
            f"<tr><td class='num'>{int(r.rank)}</td><td>{r.link}</td><td class='num'>{fmt_points(r.total, lang)}</td>"
            f"<td class='num'>{_signed(r.change, lang)}</td><td>{esc(r.band_name)}</td></tr>"
            for r in shown.itertuples())
        csv = part[["rank", "unit_id", "name", "total", "change", "band_name"]]
        parts.append(f"<h3>{esc(title)} ({len(part)})</h3>{download_link(csv, f'xep-hang-{kind}-{ctx.period.label}.csv', lang)}"
                     f"<table><thead><tr>{''.join(f'<th>{h}</th>' for h in heads)}</tr></thead><tbody>{body}</tbody></table>")
    return "".join(parts)


def distribution_section(ctx: ReportContext) -> str:
    units = ctx.explainer.unit_scores(ctx.period, ctx.lang).reset_index()
    units = units[units["unit_kind"] != "province"]
    units = units.assign(kind_label=units["unit_kind"].map(KIND_LABELS[ctx.lang]))
    return chart(charts.distribution(units[["total", "kind_label"]], ctx.lang))


def movers_section(ctx: ReportContext, top: int = 5, linked: set[str] | None = None) -> str:
    lang = ctx.lang
    ex = ctx.explainer
    cur = ex.unit_scores(ctx.period, lang)
    base = ex.unit_scores(ctx.baseline, lang)["total"]
    change = (cur["total"] - base.reindex(cur.index)).drop(index=[u for u in cur.index if ex.kinds[u] == "province"])
    heads = {"vi": ["Đơn vị", "Thay đổi", "Nguyên nhân chính"], "en": ["Unit", "Change", "Main driver"]}[lang]
    out = []
    for title, picked in ((("Tăng nhiều nhất" if lang == "vi" else "Biggest rises"), change.nlargest(top)),
                          (("Giảm nhiều nhất" if lang == "vi" else "Biggest falls"), change.nsmallest(top))):
        rows = []
        for unit_id, delta in picked.items():
            attr = ex.explain(unit_id, ctx.period, ctx.baseline, "field", lang)
            main = attr.narrative[1] if len(attr.narrative) > 2 else ""
            rows.append(f"<tr><td>{_unit_link(unit_id, ex.names[unit_id], linked)}</td>"
                        f"<td class='num'>{_signed(delta, lang)}</td><td>{esc(main)}</td></tr>")
        out.append(f"<h3>{esc(title)}</h3><table><thead><tr>{''.join(f'<th>{h}</th>' for h in heads)}</tr></thead>"
                   f"<tbody>{''.join(rows)}</tbody></table>")
    return "".join(out)


def heatmap_section(ctx: ReportContext, kind: str = "district") -> str:
    units = ctx.explainer.unit_scores(ctx.period, ctx.lang).reset_index()
    units = units[units["unit_kind"] == kind]
    rows = [{"unit_name": ctx.explainer.names[u], "group": g.name(ctx.lang), "points": float(r[g.code]),
             "share": float(r[g.code]) / g.max_points}
            for u, r in zip(units["unit_id"], units.to_dict("records")) for g in ctx.meth.groups]
    return chart(charts.heatmap(pd.DataFrame(rows), ctx.lang))


def province_trend_section(ctx: ReportContext) -> str:
    root = ctx.ds.units.loc[ctx.ds.units["parent_id"].isna(), "unit_id"].iloc[0]
    return trend_section(ctx, root)


# ------------------------------------------------------------------------------------- pages
def page(title: str, body: str, lang: str = "vi", synthetic: bool = False, note: str = "") -> str:
    """A complete offline page: CSS inline, the Vega bundle once in <head> if any chart is used."""
    has_charts = 'class="chiso-chart"' in body
    bundle = f"<script>{charts.vega_bundle()}</script>" if has_charts else ""
    banner = f'<div class="banner">{esc(SYNTHETIC_BANNER)}</div>' if synthetic else ""
    count = body.count('class="chiso-chart"')
    generated = dt.datetime.now().strftime("%d/%m/%Y %H:%M")
    footer = {"vi": f"Tạo bởi chiso lúc {generated}.", "en": f"Made by chiso at {generated}."}[lang]
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style>{bundle}</head>"
            f'<body data-chart-count="{count}">{banner}{body}'
            f'<p class="muted">{esc(note)} {esc(footer)}</p>{banner}</body></html>')


def notebook_page(nb, title: str, lang: str = "vi", synthetic: bool = False, note: str = "") -> str:
    """An executed notebook as a page: outputs only (no code, no prompts), via nbconvert's basic template."""
    exporter = _exporter()
    body, _ = exporter.from_notebook_node(nb)
    return page(title, body, lang, synthetic, note)


@lru_cache(maxsize=1)
def _exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, exclude_markdown=True)


def error_page(title: str, message: str, lang: str = "vi") -> str:
    head = {"vi": "Không tạo được báo cáo", "en": "The report could not be built"}[lang]
    return page(title, f"<h1>{esc(title)}</h1><div class='error'><b>{head}</b><pre>{esc(message)}</pre></div>", lang)
