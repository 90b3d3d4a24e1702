"""ipywidgets wiring for the explorer: every control calls the `Explorer` controller, every view
redraws from it. No computing here, only layout and events, so the notebook is a single call:
`ExplorerUI(explorer).widget`.

Charts are shown in Output widgets (as notebook outputs, so their vegaEmbed script runs in a
trusted live session); the Vega bundle comes offline with the first chart of the session.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import ipywidgets as w
import pandas as pd
from IPython.display import HTML

from . import charts
from .explorer import DIMENSIONS, Explorer
from .narrative import fmt_points
from .report import KIND_LABELS, esc, table

LABELS = {
    "vi": {"unit": "Đơn vị", "search": "Tìm đơn vị…", "period": "Kỳ", "baseline": "So với", "previous": "(kỳ trước)",
           "by": "Phân tích theo", "group": "Nhóm", "indicator": "Chỉ số", "all": "(tất cả)", "whatif": "Giả định",
           "ratio": "Tỷ lệ mới", "reset": "Đặt lại", "as_of": "Ngày", "within": "Trong (ngày làm việc)",
           "csv": "Xuất CSV", "html": "Xuất HTML", "total": "Tổng điểm", "rank": "Hạng", "band": "Xếp loại",
           "dims": {"field": "lĩnh vực", "procedure": "thủ tục", "child": "đơn vị", "channel": "kênh"},
           "kinds": {"month": "Tháng", "quarter": "Quý", "year": "Năm"}, "saved": "Đã lưu"},
    "en": {"unit": "Unit", "search": "Search units…", "period": "Period", "baseline": "Compare with",
           "previous": "(previous)", "by": "Split by", "group": "Group", "indicator": "Indicator", "all": "(all)",
           "whatif": "What-if", "ratio": "New ratio", "reset": "Reset", "as_of": "Date",
           "within": "Within (working days)", "csv": "Export CSV", "html": "Export HTML", "total": "Total",
           "rank": "Rank", "band": "Band",
           "dims": {"field": "field", "procedure": "procedure", "child": "sub-unit", "channel": "channel"},
           "kinds": {"month": "Month", "quarter": "Quarter", "year": "Year"}, "saved": "Saved"},
}


@functools.cache
def _enable_offline_charts() -> None:
    """JupyterChart's JavaScript from vl-convert instead of a CDN (≈1.3 s, once per process)."""
    import altair as alt

    alt.JupyterChart.enable_offline()


def _picked(change: dict, name: str) -> list[dict]:
    """The points of a Vega point selection as the browser reports it ({field: value} dicts)."""
    signal = (change["new"] or {}).get(name, {}).get("value") or {}
    return signal.get("vlPoint", {}).get("or", []) if isinstance(signal, dict) else []


class ExplorerUI:
    """The widget tree of the explorer notebook, bound to one Explorer."""

    def __init__(self, explorer: Explorer, export_dir: str | Path = "exports"):
        self.ex = explorer
        self.export_dir = Path(export_dir)
        ex = explorer
        t = LABELS[ex.state.lang]
        self.search = w.Text(placeholder=t["search"], layout=w.Layout(width="220px"))
        self.unit = w.Dropdown(options=self._unit_options(""), value=ex.state.unit_id, description=t["unit"],
                               layout=w.Layout(width="420px"))
        months = self._months()
        self.period_kind = w.ToggleButtons(options=[(t["kinds"][k], k) for k in ("month", "quarter", "year")],
                                           value="month")
        self.period = w.Dropdown(options=months, value=ex.state.period, description=t["period"])
        self.baseline = w.Dropdown(options=[(t["previous"], "")] + [(m, m) for m in months], value="",
                                   description=t["baseline"])
        self.by = w.ToggleButtons(options=[(t["dims"][d], d) for d in DIMENSIONS], value=ex.state.by)
        self.lang = w.ToggleButtons(options=[("Tiếng Việt", "vi"), ("English", "en")], value=ex.state.lang)
        self.group = w.Dropdown(options=[(t["all"], "")] + [(g.name(ex.state.lang), g.code) for g in ex.meth.groups],
                                value="", description=t["group"])
        self.indicator = w.Dropdown(options=[(t["all"], "")], value="", description=t["indicator"])
        scored = [i for i in ex.meth.indicators if i.max_points > 0]
        self.whatif_indicator = w.Dropdown(options=[(i.name(ex.state.lang), i.code) for i in scored],
                                           value="ON_TIME" if any(i.code == "ON_TIME" for i in scored) else scored[0].code,
                                           description=t["whatif"])
        self.whatif_ratio = w.FloatSlider(min=0.0, max=1.0, step=0.01, value=0.0, description=t["ratio"],
                                          continuous_update=False, readout_format=".0%")
        self.reset = w.Button(description=t["reset"])
        self.as_of = w.DatePicker(description=t["as_of"], value=self._last_day())
        self.within = w.BoundedIntText(value=3, min=0, max=30, description=t["within"])
        self.export_csv = w.Button(description=t["csv"])
        self.export_html = w.Button(description=t["html"])
        self.card = w.HTML()
        self.whatif_result = w.HTML()
        self.message = w.HTML()
        self.views = {name: w.Output() for name in ("waterfall", "drivers", "drilldown", "trend", "at_risk")}
        # Clickable charts: Altair's JupyterChart sends Vega selections back to Python, offline
        # (its JavaScript comes from vl-convert, not a CDN). Click a unit to select it, a group
        # to drill into it.
        import altair as alt

        _enable_offline_charts()
        self.ranking_chart = alt.JupyterChart(self._ranking_chart(ex.ranking()))
        self.groups_chart = alt.JupyterChart(self._groups_chart())
        # Observe the widget's raw selection trait: `selections` is rebuilt whenever the chart is.
        self.ranking_chart.observe(lambda ch: self._on_ranking_click(_picked(ch, "pick_unit")), "_vl_selections")
        self.groups_chart.observe(lambda ch: self._on_group_click(_picked(ch, "pick_group")), "_vl_selections")
        self._sync_whatif_slider()
        self._wire()
        self.widget = w.VBox([
            w.HBox([self.search, self.unit, self.lang]),
            w.HBox([self.period_kind, self.period, self.baseline]),
            self.card,
            w.HBox([self.ranking_chart, self.groups_chart]),
            self.views["waterfall"],
            w.HBox([self.by, self.group, self.indicator]),
            w.HBox([self.views["drivers"], self.views["drilldown"]]),
            self.views["trend"],
            w.HBox([self.whatif_indicator, self.whatif_ratio, self.reset]),
            self.whatif_result,
            w.HBox([self.as_of, self.within]),
            self.views["at_risk"],
            w.HBox([self.export_csv, self.export_html, self.message]),
        ])
        self.redraw()

    # ------------------------------------------------------------------------------- helpers
    def _unit_options(self, query: str) -> list[tuple[str, str]]:
        ex = self.ex
        labels = KIND_LABELS[ex.state.lang]
        kinds = ["province", "department", "district", "commune"]
        q = query.strip().lower()
        options = []
        for kind in kinds:
            for unit_id, name in ex.explainer.names.items():
                if ex.explainer.kinds[unit_id] == kind and (not q or q in name.lower() or q in unit_id.lower()):
                    options.append((f"{labels[kind]} · {name}", unit_id))
        return options

    def _months(self) -> list[str]:
        from .periods import months_between

        meta = self.ex.explainer.ds.meta
        if meta.get("first_month") and meta.get("last_month"):
            return [p.label for p in months_between(meta["first_month"], meta["last_month"])]
        received = self.ex.explainer.ds.dossiers["received_at"]
        return [p.label for p in months_between(f"{received.min():%Y-%m}", f"{received.max():%Y-%m}")]

    def _last_day(self) -> dt.date:
        from .periods import parse_period

        return parse_period(self.ex.state.period).last_day

    def _sync_whatif_slider(self) -> None:
        """Put the slider at the unit's current ratio for the chosen indicator."""
        counts = self.ex.explainer.counts(self.ex.state.period)
        row = counts[(counts["unit_id"] == self.ex.state.unit_id) & (counts["indicator"] == self.whatif_indicator.value)]
        num, den = float(row["numerator"].iloc[0]), float(row["denominator"].iloc[0])
        self._syncing = True
        self.whatif_ratio.value = min(1.0, num / den) if den else 0.0
        self._syncing = False

    # -------------------------------------------------------------------------------- events
    def _wire(self) -> None:
        self.search.observe(lambda ch: self._on_search(ch["new"]), "value")
        self.unit.observe(lambda ch: self._on_unit(ch["new"]), "value")
        self.period_kind.observe(lambda ch: self._on_period_kind(ch["new"]), "value")
        self.period.observe(lambda ch: self._on_period(), "value")
        self.baseline.observe(lambda ch: self._on_period(), "value")
        self.by.observe(lambda ch: (self.ex.select_dimension(ch["new"]), self._draw_drivers(),
                                    self._draw_drilldown()), "value")
        self.lang.observe(lambda ch: (self.ex.set_lang(ch["new"]), self.redraw()), "value")
        self.group.observe(lambda ch: self._on_group(ch["new"]), "value")
        self.indicator.observe(lambda ch: self._on_indicator(ch["new"]), "value")
        self.whatif_indicator.observe(lambda ch: (self._sync_whatif_slider(), self._draw_whatif()), "value")
        self.whatif_ratio.observe(lambda ch: self._on_ratio(ch["new"]), "value")
        self.reset.on_click(lambda _: self._on_reset())
        self.as_of.observe(lambda ch: self._draw_at_risk(), "value")
        self.within.observe(lambda ch: self._draw_at_risk(), "value")
        self.export_csv.on_click(lambda _: self._on_export("csv"))
        self.export_html.on_click(lambda _: self._on_export("html"))

    def _on_ranking_click(self, picked: list[dict]) -> None:
        if picked and picked[0].get("unit_id") in [v for _, v in self.unit.options]:
            self.unit.value = picked[0]["unit_id"]

    def _on_group_click(self, picked: list[dict]) -> None:
        self.group.value = picked[0].get("code", "") if picked else ""

    def _on_search(self, query: str) -> None:
        options = self._unit_options(query)
        if options:
            current = self.unit.value
            self.unit.options = options
            if current in [v for _, v in options]:
                self.unit.value = current

    def _on_unit(self, unit_id: str | None) -> None:
        if unit_id and unit_id != self.ex.state.unit_id:
            self.ex.select_unit(unit_id)
            self.group.value, self.indicator.value = "", ""
            self._sync_whatif_slider()
            self.redraw()

    def _on_period_kind(self, kind: str) -> None:
        """Months, quarters or years covering the data; the latest is selected."""
        from .periods import parse_period, periods_covering

        months = self._months()
        labels = [p.label for p in periods_covering(parse_period(months[0]).first_day,
                                                    parse_period(months[-1]).last_day, kind)]
        t = LABELS[self.ex.state.lang]
        self._syncing_period = True
        self.baseline.options = [(t["previous"], "")] + [(x, x) for x in labels]
        self.baseline.value = ""
        self.period.options = labels
        self._syncing_period = False
        self.period.value = labels[-1]
        self._on_period()

    def _on_period(self) -> None:
        if getattr(self, "_syncing_period", False) or self.period.value is None:
            return
        self.ex.select_period(self.period.value, self.baseline.value)
        self.as_of.value = self._last_day()
        self._sync_whatif_slider()
        self.redraw()

    def _on_group(self, group: str) -> None:
        ex = self.ex
        t = LABELS[ex.state.lang]
        self.indicator.options = [(t["all"], "")] + [(i.name(ex.state.lang), i.code) for i in ex.meth.indicators
                                                      if i.group == group]
        self.indicator.value = ""
        ex.drill(group or None)
        self._draw_drilldown()

    def _on_indicator(self, indicator: str) -> None:
        self.ex.drill(self.group.value or None, indicator or None)
        self._draw_drilldown()

    def _on_ratio(self, ratio: float) -> None:
        if getattr(self, "_syncing", False):
            return
        self.ex.set_whatif(self.whatif_indicator.value, ratio=ratio)
        self._draw_whatif()

    def _on_reset(self) -> None:
        self.ex.reset_whatif()
        self._sync_whatif_slider()
        self._draw_whatif()

    def _on_export(self, kind: str) -> Path:
        s = self.ex.state
        self.export_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{s.unit_id}-{s.period}"
        if kind == "csv":
            path = self.export_dir / f"{stem}-drilldown.csv"
            path.write_text(self.ex.export_csv("drilldown"), encoding="utf-8-sig")
        else:
            path = self.export_dir / f"{stem}.html"
            path.write_text(self.ex.snapshot_html(), encoding="utf-8")
        self.message.value = f"{esc(LABELS[s.lang]['saved'])}: <code>{esc(path)}</code>"
        return path

    # --------------------------------------------------------------------------------- views
    @staticmethod
    def _show(out: w.Output, html: str) -> None:
        """Replace what an Output shows (setting the trait works with or without a kernel)."""
        out.outputs = ()
        out.append_display_data(HTML(html))

    def redraw(self) -> None:
        ex, lang = self.ex, self.ex.state.lang
        t = LABELS[lang]
        card = ex.score_card()
        self.card.value = (f"<h3>{esc(card['unit_name'])} — {esc(card['period'])}</h3>"
                           f"<p>{t['total']}: <b class='chiso-total'>{fmt_points(card['total'], lang)}</b> · "
                           f"{t['rank']}: <b>{card['rank']}/{card['peers']}</b> · {t['band']}: <b>{esc(card['band'])}</b>"
                           f" · Δ {fmt_points(card['change'], lang)} ({esc(card['baseline'])})</p>")
        self.ranking_chart.chart = self._ranking_chart(ex.ranking())
        self.groups_chart.chart = self._groups_chart()
        self._show(self.views["waterfall"], charts.chart_html(charts.waterfall(ex.waterfall(), lang).to_dict(),
                                                              self._bundle()))
        trend = ex.trend().assign(series=card["unit_name"])
        self._show(self.views["trend"], charts.chart_html(charts.trend(trend, lang).to_dict()))
        self._draw_drivers()
        self._draw_drilldown()
        self._draw_whatif()
        self._draw_at_risk()

    def _draw_drivers(self) -> None:
        frame = self.ex.drivers()
        if frame.empty:
            self._show(self.views["drivers"], "<p>–</p>")
            return
        self._show(self.views["drivers"], charts.chart_html(charts.drivers(frame, self.ex.state.lang).to_dict()))

    def _bundle(self) -> bool:
        """The first chart of the session carries the offline Vega bundle."""
        first = not getattr(self, "_bundled", False)
        self._bundled = True
        return first

    def _ranking_chart(self, ranking: pd.DataFrame):
        """Peers' totals; the selected unit in red; click a bar to select that unit."""
        import altair as alt

        label = {"vi": ("Đơn vị", "Tổng điểm"), "en": ("Unit", "Total")}[self.ex.state.lang]
        pick = alt.selection_point(name="pick_unit", fields=["unit_id"], on="click", clear=False)
        return alt.Chart(ranking).mark_bar(cursor="pointer").encode(
            x=alt.X("total:Q", title=label[1]),
            y=alt.Y("unit_name:N", sort=None, title=None),
            color=alt.condition("datum.selected", alt.value("#d1495b"), alt.value("#1b6ca8")),
            tooltip=[alt.Tooltip("rank:Q"), alt.Tooltip("unit_name:N", title=label[0]),
                     alt.Tooltip("total:Q", format=".2f", title=label[1])],
        ).add_params(pick).properties(width=360, height=max(80, 14 * len(ranking)))

    def _groups_chart(self):
        """Group scores against maxima; click a group to drill into its indicators."""
        import altair as alt

        groups = self.ex.groups().set_index("group")
        row = pd.Series({g: groups.loc[g, "points"] for g in groups.index})
        chart = charts.group_scores(row, self.ex.meth.groups, self.ex.state.lang)
        pick = alt.selection_point(name="pick_group", fields=["code"], on="click", clear=False)
        layers = list(chart.layer)
        layers[-1] = layers[-1].add_params(pick)  # the coloured points bars carry the click
        return alt.layer(*layers).properties(height=chart.height, width=chart.width)

    def _draw_drilldown(self) -> None:
        frame = self.ex.drilldown()
        cols = {c: c for c in frame.columns}
        self._show(self.views["drilldown"], table(frame, cols, lang=self.ex.state.lang))

    def _draw_whatif(self) -> None:
        r = self.ex.whatif()
        lang = self.ex.state.lang
        t = LABELS[lang]
        self.whatif_result.value = (f"{t['total']}: {fmt_points(r.total0, lang)} → <b class='chiso-whatif-total'>"
                                    f"{fmt_points(r.total1, lang)}</b> · {t['rank']}: {r.rank0} → <b>{r.rank1}</b>/"
                                    f"{r.peers} · {t['band']}: {esc(r.band1)}")

    def _draw_at_risk(self) -> None:
        if self.as_of.value is None:
            return
        frame = self.ex.at_risk(self.as_of.value.isoformat(), int(self.within.value))
        cols = {"dossier_id": "dossier_id", "unit_name": "unit_name", "procedure_name": "procedure_name",
                "field": "field", "effective_due": "effective_due", "working_days_left": "working_days_left"}
        self._show(self.views["at_risk"], f"<p>{len(frame)}</p>" + table(frame.head(20), cols, lang=self.ex.state.lang))
