"""The explorer's controller: the state of a live working session and the data behind each view.

The explorer notebook (issue 5) only wires ipywidgets to this class; every interaction is a method
here, testable without a browser: pick a unit or a period, compare with a baseline, drill from a
group to its indicators to an indicator's segments, try what-if changes, list at-risk dossiers,
export the current view. Counts and scores are cached per period by the Explainer, so switching
units or periods redraws from memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .at_risk import at_risk
from .explain import Attribution, Explainer, top_drivers, unit_trend, waterfall_steps
from .periods import parse_period
from .whatif import Change, WhatIf, WhatIfResult

DIMENSIONS = ("field", "procedure", "child", "channel")


@dataclass
class ExplorerState:
    unit_id: str
    period: str
    baseline: str = ""  # empty: the previous period of the same kind
    by: str = "field"
    group: str | None = None  # drill-down: a group code …
    indicator: str | None = None  # … then one of its indicators
    lang: str = "vi"
    changes: dict[str, Change] = field(default_factory=dict)  # what-if, one change per indicator


class Explorer:
    """Holds the session state; each view method returns the data its chart or table shows."""

    def __init__(self, explainer: Explainer, unit_id: str, period: str, lang: str = "vi"):
        explainer.check_unit(unit_id)
        self.explainer = explainer
        self.meth = explainer.meth
        self.state = ExplorerState(unit_id=unit_id, period=parse_period(period).label, lang=lang)
        self._whatif: dict[str, WhatIf] = {}

    # ------------------------------------------------------------------------- interactions
    def select_unit(self, unit_id: str) -> None:
        self.explainer.check_unit(unit_id)
        self.state.unit_id = unit_id
        self.state.group = self.state.indicator = None
        self.state.changes.clear()

    def select_period(self, period: str, baseline: str = "") -> None:
        self.state.period = parse_period(period).label
        self.state.baseline = parse_period(baseline).label if baseline else ""
        self.state.changes.clear()

    def select_dimension(self, by: str) -> None:
        if by not in DIMENSIONS:
            raise ValueError(f"dimension must be one of {DIMENSIONS}, not '{by}'")
        self.state.by = by

    def drill(self, group: str | None = None, indicator: str | None = None) -> None:
        """Click a group (its indicators show), then an indicator (its segments show); None goes up."""
        if group is not None and group not in self.meth.group_codes:
            raise KeyError(f"unknown group '{group}'")
        if indicator is not None and self.meth.indicator(indicator).group != group:
            raise KeyError(f"indicator '{indicator}' is not in group '{group}'")
        self.state.group, self.state.indicator = group, indicator

    def set_lang(self, lang: str) -> None:
        if lang not in ("vi", "en"):
            raise ValueError(f"lang must be 'vi' or 'en', not '{lang}'")
        self.state.lang = lang

    def set_whatif(self, indicator: str, numerator: float = 0.0, denominator: float = 0.0,
                   ratio: float | None = None) -> None:
        self.meth.indicator(indicator)  # KeyError for an unknown code
        self.state.changes[indicator] = Change(indicator, numerator, denominator, ratio)

    def reset_whatif(self) -> None:
        self.state.changes.clear()

    # --------------------------------------------------------------------------------- views
    def attribution(self) -> Attribution:
        s = self.state
        return self.explainer.explain(s.unit_id, s.period, s.baseline or None, s.by, s.lang)

    def ranking(self) -> pd.DataFrame:
        """Units of the selected unit's kind, best first, the selected one flagged."""
        s = self.state
        units = self.explainer.unit_scores(s.period, s.lang).reset_index()
        kind = self.explainer.kinds[s.unit_id]
        part = units[units["unit_kind"] == kind].copy()
        part["unit_name"] = part["unit_id"].map(self.explainer.names)
        part["selected"] = part["unit_id"] == s.unit_id
        return part.sort_values(["rank", "unit_name"])[["rank", "unit_id", "unit_name", "total", "band_name",
                                                         "selected"]].reset_index(drop=True)

    def score_card(self) -> dict:
        s = self.state
        row = self.explainer.unit_scores(s.period, s.lang).loc[s.unit_id]
        attr = self.attribution()
        return {"unit_id": s.unit_id, "unit_name": self.explainer.names[s.unit_id], "period": s.period,
                "baseline": attr.baseline, "total": float(row["total"]), "rank": int(row["rank"]),
                "peers": int(row["peers"]), "band": str(row["band_name"]),
                "change": float(row["total"]) - attr.displayed_total0}

    def groups(self) -> pd.DataFrame:
        """The selected unit's group scores against their maxima."""
        s = self.state
        row = self.explainer.unit_scores(s.period, s.lang).loc[s.unit_id]
        return pd.DataFrame({"group": self.meth.group_codes,
                             "name": [g.name(s.lang) for g in self.meth.groups],
                             "points": [float(row[g]) for g in self.meth.group_codes],
                             "max_points": [g.max_points for g in self.meth.groups]})

    def waterfall(self) -> pd.DataFrame:
        """Baseline total, each group's change, current total (unrounded points)."""
        return waterfall_steps(self.attribution())

    def drilldown(self) -> pd.DataFrame:
        """Groups; or the chosen group's indicators; or the chosen indicator's segments."""
        attr = self.attribution()
        s = self.state
        if s.group is None:
            return pd.DataFrame([{"group": g.group, "name": g.name, "points0": g.points0, "points1": g.points1,
                                  "change": g.change} for g in attr.groups])
        group = next(g for g in attr.groups if g.group == s.group)
        if s.indicator is None:
            return pd.DataFrame([{"indicator": i.indicator, "name": i.name, "status": i.status, "ratio0": i.ratio0,
                                  "ratio1": i.ratio1, "change": i.change, "saturated": i.saturated}
                                 for i in group.indicators])
        ind = next(i for i in group.indicators if i.indicator == s.indicator)
        return pd.DataFrame([{"segment": x.segment, "label": x.label, "ratio0": x.ratio0, "ratio1": x.ratio1,
                              "denominator1": x.denominator1, "rate_effect": x.rate_effect,
                              "mix_effect": x.mix_effect, "contribution": x.contribution} for x in ind.segments])

    def drivers(self, top: int = 8) -> pd.DataFrame:
        """The largest segment contributions across indicators, for the chosen dimension."""
        return top_drivers(self.attribution(), top)

    def trend(self, periods: int = 12) -> pd.DataFrame:
        s = self.state
        return unit_trend(self.explainer, s.unit_id, s.period, periods, s.lang)

    def whatif(self) -> WhatIfResult:
        s = self.state
        if s.period not in self._whatif:
            self._whatif[s.period] = WhatIf(self.explainer, s.period, s.lang)
        return self._whatif[s.period].evaluate(s.unit_id, list(s.changes.values()))

    def at_risk(self, as_of: str, within_working_days: int = 3) -> pd.DataFrame:
        dossiers, _ = at_risk(self.explainer, as_of, within_working_days, self.state.unit_id)
        return dossiers

    # -------------------------------------------------------------------------------- export
    def export_csv(self, view: str) -> str:
        """The data behind a view as CSV text (UTF-8 with BOM when written to a file)."""
        views = {"ranking": self.ranking, "groups": self.groups, "waterfall": self.waterfall,
                 "drilldown": self.drilldown, "drivers": self.drivers, "trend": self.trend}
        if view not in views:
            raise KeyError(f"unknown view '{view}'; views: {sorted(views)}")
        return views[view]().to_csv(index=False)

    def snapshot_html(self) -> str:
        """The current view as a standalone offline page (the same page and bundling as the reports)."""
        from . import charts, report

        s = self.state
        ctx = report.ReportContext(self.explainer, self.meth, parse_period(s.period),
                                   parse_period(s.baseline) if s.baseline else parse_period(s.period).previous(), s.lang)
        attr = self.attribution()
        body = (report.title_block(ctx, s.unit_id) + report.score_card(ctx, s.unit_id)
                + report.narrative_section(attr) + report.groups_section(ctx, s.unit_id)
                + report.waterfall_section(ctx, attr) + report.drivers_section(ctx, s.unit_id, s.by)
                + report.chart(charts.trend(self.trend().assign(series=self.explainer.names[s.unit_id]), s.lang)))
        return report.page(self.explainer.names[s.unit_id] + f" — {s.period}", body, s.lang, self.explainer.ds.synthetic)
