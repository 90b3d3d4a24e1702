"""The methodology file: every indicator, its points, target, empty rule and status, as data.

Loading is strict because a typo in this file silently changes every score: unknown keys, an
indicator in an unknown group, group maxima that are not the sum of their indicators, or a total
other than `total_max` are errors naming the file and the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_METHODOLOGY = REPO_ROOT / "parameters" / "methodology" / "portal-2026.yaml"

EMPTY_RULES = ("zero", "full", "none")
STATUSES = ("confirmed", "documented", "uncertain")
SCOPES = ("unit", "province")
MEASURES = ("ratio", "mean")
GROUP_ROUNDING = ("sum_of_rounded", "round_of_sum")

_TOP_KEYS = {"name", "title_vi", "title_en", "source", "total_max", "rounding", "calendar", "deadlines",
             "bands", "groups", "indicators"}
_ROUNDING_KEYS = {"indicator_decimals", "total_decimals", "group_default", "group_overrides"}
_CALENDAR_KEYS = {"extra_holidays"}
_DEADLINE_KEYS = {"publish_before_effective_working_days", "public_update_working_days",
                  "petition_processing_working_days"}
_BANDS_KEYS = {"note_vi", "note_en", "levels"}
_BAND_KEYS = {"code", "min", "name_vi", "name_en"}
_GROUP_KEYS = {"code", "name_vi", "name_en", "max_points"}
_INDICATOR_REQUIRED = {"code", "group", "name_vi", "name_en", "max_points", "target", "empty", "status",
                       "definition"}
_INDICATOR_OPTIONAL = {"scope", "measure", "rule", "options"}


class MethodologyError(ValueError):
    """The methodology file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Indicator:
    code: str
    group: str
    name_vi: str
    name_en: str
    max_points: float
    target: float
    empty: str
    status: str
    definition: str
    scope: str = "unit"
    measure: str = "ratio"
    rule: str = ""
    options: dict = field(default_factory=dict, hash=False, compare=False)

    def name(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en


@dataclass(frozen=True)
class Group:
    code: str
    name_vi: str
    name_en: str
    max_points: float

    def name(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en


@dataclass(frozen=True)
class Band:
    code: str
    min: float
    name_vi: str
    name_en: str


@dataclass
class Methodology:
    """A validated methodology file."""

    name: str
    title_vi: str
    title_en: str
    total_max: float
    groups: list[Group]
    indicators: list[Indicator]
    bands: list[Band]
    band_note_vi: str
    band_note_en: str
    indicator_decimals: int
    total_decimals: int
    group_rounding: dict[str, str]
    deadlines: dict[str, int]
    extra_holidays: tuple[str, ...]
    path: Path | None = None

    def indicator(self, code: str) -> Indicator:
        for ind in self.indicators:
            if ind.code == code:
                return ind
        raise KeyError(code)

    def group(self, code: str) -> Group:
        for grp in self.groups:
            if grp.code == code:
                return grp
        raise KeyError(code)

    @property
    def indicator_codes(self) -> list[str]:
        return [i.code for i in self.indicators]

    @property
    def group_codes(self) -> list[str]:
        return [g.code for g in self.groups]

    def band_for(self, total: float) -> Band:
        """The highest band whose minimum the total reaches (bands sorted high to low)."""
        for band in self.bands:
            if total >= band.min:
                return band
        return self.bands[-1]


def _fail(path: Path | str, where: str, message: str) -> MethodologyError:
    return MethodologyError(f"methodology file '{path}', {where}: {message}")


def _check_keys(path, where: str, data: Any, required: set[str], optional: set[str] = frozenset()) -> None:
    if not isinstance(data, dict):
        raise _fail(path, where, f"expected a mapping, got {type(data).__name__}")
    unknown = set(data) - required - optional
    if unknown:
        raise _fail(path, where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(required | optional)}")
    missing = required - set(data)
    if missing:
        raise _fail(path, where, f"missing key(s) {sorted(missing)}")


def _number(path, where: str, value: Any, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(path, where, f"expected a number, got {value!r}")
    if value < minimum:
        raise _fail(path, where, f"must be ≥ {minimum}, got {value!r}")
    return float(value)


def _choice(path, where: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _fail(path, where, f"{value!r} is not one of {list(allowed)}")
    return value


def parse_methodology(data: Any, path: Path | str = "<memory>") -> Methodology:
    """Validate a parsed YAML document and build a Methodology."""
    _check_keys(path, "top level", data, {"name", "total_max", "groups", "indicators", "bands", "rounding"},
                _TOP_KEYS - {"name", "total_max", "groups", "indicators", "bands", "rounding"})
    rounding = data["rounding"]
    _check_keys(path, "rounding", rounding, {"indicator_decimals", "total_decimals"},
                _ROUNDING_KEYS - {"indicator_decimals", "total_decimals"})
    calendar = data.get("calendar") or {}
    _check_keys(path, "calendar", calendar, set(), _CALENDAR_KEYS)
    deadlines = data.get("deadlines") or {}
    _check_keys(path, "deadlines", deadlines, set(), _DEADLINE_KEYS)
    deadlines = {k: int(_number(path, f"deadlines.{k}", v)) for k, v in deadlines.items()}
    deadlines = {"publish_before_effective_working_days": 5, "public_update_working_days": 5,
                 "petition_processing_working_days": 15} | deadlines

    groups = []
    for i, raw in enumerate(data["groups"] or []):
        where = f"groups[{i}]"
        _check_keys(path, where, raw, _GROUP_KEYS)
        groups.append(Group(str(raw["code"]), str(raw["name_vi"]), str(raw["name_en"]),
                            _number(path, f"{where}.max_points", raw["max_points"])))
    group_codes = [g.code for g in groups]
    if len(set(group_codes)) != len(group_codes):
        raise _fail(path, "groups", "duplicate group code")

    indicators = []
    for i, raw in enumerate(data["indicators"] or []):
        where = f"indicators[{i}]" + (f" ({raw.get('code')})" if isinstance(raw, dict) else "")
        _check_keys(path, where, raw, _INDICATOR_REQUIRED, _INDICATOR_OPTIONAL)
        if raw["group"] not in group_codes:
            raise _fail(path, f"{where}.group", f"unknown group {raw['group']!r}; groups are {group_codes}")
        target = _number(path, f"{where}.target", raw["target"])
        if not 0 < target <= 1:
            raise _fail(path, f"{where}.target", f"must be in (0, 1], got {target}")
        options = raw.get("options") or {}
        if not isinstance(options, dict):
            raise _fail(path, f"{where}.options", "expected a mapping")
        indicators.append(Indicator(
            code=str(raw["code"]),
            group=raw["group"],
            name_vi=str(raw["name_vi"]),
            name_en=str(raw["name_en"]),
            max_points=_number(path, f"{where}.max_points", raw["max_points"]),
            target=target,
            empty=_choice(path, f"{where}.empty", raw["empty"], EMPTY_RULES),
            status=_choice(path, f"{where}.status", raw["status"], STATUSES),
            definition=" ".join(str(raw["definition"]).split()),
            scope=_choice(path, f"{where}.scope", raw.get("scope", "unit"), SCOPES),
            measure=_choice(path, f"{where}.measure", raw.get("measure", "ratio"), MEASURES),
            rule=str(raw.get("rule") or raw["code"]),
            options=dict(options),
        ))
    codes = [i.code for i in indicators]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise _fail(path, "indicators", f"duplicate indicator code(s) {dupes}")

    for grp in groups:
        total = sum(i.max_points for i in indicators if i.group == grp.code)
        if not math.isclose(total, grp.max_points, abs_tol=1e-9):
            raise _fail(path, f"group {grp.code}",
                        f"max_points {grp.max_points:g} but its indicators add up to {total:g}")
    total_max = _number(path, "total_max", data["total_max"])
    grand = sum(g.max_points for g in groups)
    if not math.isclose(grand, total_max, abs_tol=1e-9) or not math.isclose(total_max, 100):
        raise _fail(path, "groups", f"group maxima add up to {grand:g}; the index totals 100 (total_max {total_max:g})")

    bands_raw = data["bands"]
    _check_keys(path, "bands", bands_raw, {"levels"}, _BANDS_KEYS - {"levels"})
    bands = []
    for i, raw in enumerate(bands_raw["levels"] or []):
        _check_keys(path, f"bands.levels[{i}]", raw, _BAND_KEYS)
        bands.append(Band(str(raw["code"]), _number(path, f"bands.levels[{i}].min", raw["min"]),
                          str(raw["name_vi"]), str(raw["name_en"])))
    if not bands:
        raise _fail(path, "bands.levels", "at least one band is needed")
    bands.sort(key=lambda b: -b.min)
    if bands[-1].min > 0:
        raise _fail(path, "bands.levels", "the lowest band must start at 0 so every total has a band")

    overrides = rounding.get("group_overrides") or {}
    for code, mode in overrides.items():
        if code not in group_codes:
            raise _fail(path, f"rounding.group_overrides.{code}", "unknown group")
        _choice(path, f"rounding.group_overrides.{code}", mode, GROUP_ROUNDING)
    default_mode = _choice(path, "rounding.group_default", rounding.get("group_default", "sum_of_rounded"),
                           GROUP_ROUNDING)
    group_rounding = {code: overrides.get(code, default_mode) for code in group_codes}

    extra = calendar.get("extra_holidays") or []
    return Methodology(
        name=str(data["name"]),
        title_vi=str(data.get("title_vi", data["name"])),
        title_en=str(data.get("title_en", data["name"])),
        total_max=total_max,
        groups=groups,
        indicators=indicators,
        bands=bands,
        band_note_vi=str(bands_raw.get("note_vi", "")),
        band_note_en=str(bands_raw.get("note_en", "")),
        indicator_decimals=int(_number(path, "rounding.indicator_decimals", rounding["indicator_decimals"])),
        total_decimals=int(_number(path, "rounding.total_decimals", rounding["total_decimals"])),
        group_rounding=group_rounding,
        deadlines=deadlines,
        extra_holidays=tuple(str(d) for d in extra),
        path=Path(path) if not str(path).startswith("<") else None,
    )


def load_methodology(path: str | Path | None = None) -> Methodology:
    """Load and validate a methodology YAML file (default: the portal's 2026 method)."""
    path = Path(path) if path else DEFAULT_METHODOLOGY
    if not path.exists():
        raise MethodologyError(f"methodology file '{path}' does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MethodologyError(f"methodology file '{path}' is not valid YAML: {exc}") from None
    meth = parse_methodology(data, path)
    from .counts import check_rules  # counting rules live with counting; imported late to avoid a cycle

    check_rules(meth)
    return meth
