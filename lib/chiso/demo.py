"""A synthetic demo province: Bắc Ninh's 2023 structure with a year of dossiers and petitions.

The generator is for demonstrations, tests and benchmarks, never a substitute for real data: every
dataset it writes says `"source": "synthetic"` in `dataset.json`. Its structure (units, procedure
catalogue) is read from `parameters/demo/bac-ninh-2023.yaml`; its rates, volumes and planted
stories from a scenario file (default `parameters/scenarios/demo.yaml`).

Everything is vectorised over numpy arrays drawn from one `np.random.default_rng(seed)`, split into
independent child streams (units, procedures, dossiers, petitions, stories) so that the structure
and each unit's character do not change with `scale` or `months`. The same seed, scenario, scale
and months give identical tables.

Planted stories (a scenario's `stories` list) are changes the index must show:
- `on_time_collapse` — one unit's dossiers of one field turn late from a month on (PROGRESS);
- `online_payment_on` — a unit starts taking online payments from a month (ONLINE_PAYMENT);
- `sync_outage` — a unit stops syncing to the national portal for some days (DOSSIER_SYNC);
- `petition_surge` — a unit's petitions multiply in one month, rated negative (SATISFACTION).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .contract import END_STATUSES, Dataset, write_dataset
from .periods import months_between, parse_period
from .workdays import calendar as work_calendar

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCENARIO = REPO_ROOT / "parameters" / "scenarios" / "demo.yaml"
DEFAULT_SEED = 20240701
PROVINCE_LABEL = "Bắc Ninh (mô phỏng)"

SECOND = 1_000_000  # microseconds
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
OFFICE_OPEN = 7 * HOUR + 30 * MINUTE
OFFICE_CLOSE = 17 * HOUR

TIME_UNIT_CODES = {"working_days": 0, "days": 1, "hours": 2}
ONLINE_CODES = {"none": 0, "partial": 1, "full": 2}

STORY_KEYS: dict[str, tuple[str, ...]] = {
    "on_time_collapse": ("unit_id", "field", "from", "late_share"),
    "online_payment_on": ("unit_id", "from", "before_share", "after_share"),
    "sync_outage": ("unit_id", "start", "days"),
    "petition_surge": ("unit_id", "month", "factor", "negative_share"),
}
# Optional keys: on_time_collapse delay_working_days; petition_surge late_share.
DEFAULT_COLLAPSE_DELAY = 20  # extra working days a collapsed unit's late dossiers stay open


# --------------------------------------------------------------------------------------- scenario
def load_scenario(scenario: str | Path | dict | None = None) -> dict:
    """The scenario as a dict: the default file, with a given file's or dict's keys laid over it.

    The returned dict carries `structure_path`, the resolved path of the structure file.
    """
    base = _read_yaml(DEFAULT_SCENARIO)
    base_dir = DEFAULT_SCENARIO.parent
    over: dict = {}
    over_dir = base_dir
    if isinstance(scenario, dict):
        over = dict(scenario)
        over_dir = REPO_ROOT
    elif scenario is not None:
        path = Path(scenario)
        if not path.is_file():
            raise FileNotFoundError(f"scenario file '{path}' does not exist")
        over = _read_yaml(path)
        if not isinstance(over, dict):
            raise ValueError(f"scenario file '{path}' is not a mapping")
        over_dir = path.resolve().parent
    scen = {**base, **over}
    structure = str(scen.get("structure", ""))
    if not structure:
        raise ValueError("scenario: missing key 'structure'")
    scen["structure_path"] = str(_resolve(structure, over_dir if "structure" in over else base_dir))
    for key in ("name", "first_month", "months", "stories"):
        if key not in scen:
            raise ValueError(f"scenario: missing key '{key}'")
    return scen


def _read_yaml(path: Path) -> Any:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def _resolve(text: str, base_dir: Path) -> Path:
    path = Path(text)
    if path.is_absolute():
        return path
    for root in (base_dir, REPO_ROOT):
        if (root / path).exists():
            return (root / path).resolve()
    raise FileNotFoundError(f"structure file '{text}' not found next to the scenario or in {REPO_ROOT}")


# ---------------------------------------------------------------------------------------- helpers
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _month_day(label: str) -> np.datetime64:
    return np.datetime64(parse_period(str(label)).first_day, "D")


def _curve(spec: Any, day: np.ndarray) -> np.ndarray:
    """A rate that is a constant or {"YYYY-MM": value} interpolated (mid-month anchors, flat ends)."""
    if isinstance(spec, dict):
        points = sorted(((_month_day(k) + 14).astype(np.int64), float(v)) for k, v in spec.items())
        xs = np.array([p[0] for p in points], dtype=float)
        ys = np.array([p[1] for p in points], dtype=float)
        return np.interp(day.astype(np.int64).astype(float), xs, ys)
    return np.full(day.shape, float(spec))


def _office_time(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds-resolution times of day (µs) within office hours, 07:30–11:30 and 13:00–17:00."""
    morning = rng.random(n) < 0.55
    start = np.where(morning, 7.5 * HOUR, 13 * HOUR)
    return _to_seconds(start + rng.random(n) * 4 * HOUR)


def _uniform_time(rng: np.random.Generator, n: int, lo_hours: float, hi_hours: float) -> np.ndarray:
    return _to_seconds(lo_hours * HOUR + rng.random(n) * (hi_hours - lo_hours) * HOUR)


def _to_seconds(us: np.ndarray) -> np.ndarray:
    return (np.asarray(us) // SECOND).astype(np.int64) * SECOND


def _add_office_hours(start: np.ndarray, duration_us: np.ndarray, cal) -> np.ndarray:
    """`start` plus a duration counted in office time (07:30–17:00 on working days), to the second."""
    day = start.astype("datetime64[D]")
    tod = np.maximum((start - day.astype("datetime64[us]")).astype(np.int64), OFFICE_OPEN)
    duration = _to_seconds(duration_us)
    today = np.maximum(OFFICE_CLOSE - tod, 0)
    fits = duration <= today
    overflow = np.maximum(duration - today, 0)
    office_day = OFFICE_CLOSE - OFFICE_OPEN
    later = cal.add(day, 1 + overflow // office_day)
    return np.where(fits, _at(day, tod + duration), _at(later, OFFICE_OPEN + overflow % office_day))


def _at(day: np.ndarray, time_us: np.ndarray) -> np.ndarray:
    return day.astype("datetime64[us]") + time_us.astype("timedelta64[us]")


def _take_str(values: list[str], codes: np.ndarray) -> pd.Series:
    """`values` (unique) taken by index, -1 = missing, as a pandas "str" column without a Python loop."""
    categories = pd.Index(values, dtype="str")
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories)).astype("str")


def _sequence_ids(prefix: str, n: int, width: int) -> pd.Series:
    numbers = pd.Series(np.arange(1, n + 1, dtype=np.int64)).astype("str").str.zfill(width)
    return prefix + numbers


# ------------------------------------------------------------------------------------------ units
@dataclass
class _Units:
    ids: list[str]
    names: list[str]
    kinds: np.ndarray  # str
    parents: list[str | None]
    e_cert: list[bool | None]
    monthly: np.ndarray  # expected dossiers a month at scale 1
    pool: np.ndarray  # index into procedure pools, -1 = none
    index: dict[str, int] = field(default_factory=dict)


def _build_units(structure: dict, scen: dict, rng: np.random.Generator) -> tuple[_Units, list[str]]:
    prov = structure["province"]
    ids, names, kinds, parents, e_cert, monthly, pool_keys = [], [], [], [], [], [], []

    def add(uid, name, kind, parent, cert, vol, pool_key):
        ids.append(str(uid))
        names.append(str(name))
        kinds.append(kind)
        parents.append(parent)
        e_cert.append(cert)
        monthly.append(float(vol))
        pool_keys.append(pool_key)

    add(prov["unit_id"], prov["name"], "province", None, None, 0.0, None)
    for dep in structure["departments"]:
        add(dep["unit_id"], dep["name"], "department", prov["unit_id"], None, dep["monthly_dossiers"], dep["unit_id"])
    for dis in structure["districts"]:
        add(dis["unit_id"], dis["name"], "district", prov["unit_id"], None, dis["monthly_dossiers"], "district")
    vol = scen["volumes"]
    communes = [(dis, com) for dis in structure["districts"] for com in dis["communes"]]
    z = rng.standard_normal(len(communes))
    for (dis, com), zi in zip(communes, z):
        v = float(vol["commune_median_monthly"]) * float(dis.get("volume_factor", 1.0))
        v *= float(np.exp(float(vol["commune_sigma"]) * zi))
        cert = bool(com.get("e_certified_copy", True))
        add(com["unit_id"], com["name"], "commune", dis["unit_id"], cert, v, "commune")
    if len(set(ids)) != len(ids):
        raise ValueError("structure: duplicate unit_id")
    pool_names = list(dict.fromkeys(k for k in pool_keys if k is not None))
    pool = np.array([pool_names.index(k) if k is not None else -1 for k in pool_keys], dtype=np.int64)
    units = _Units(ids, names, np.array(kinds), parents, e_cert, np.array(monthly), pool)
    units.index = {u: i for i, u in enumerate(ids)}
    return units, pool_names


def _units_frame(units: _Units) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": pd.array(units.ids, dtype="str"),
            "name": pd.array(units.names, dtype="str"),
            "kind": pd.array(list(units.kinds), dtype="str"),
            "parent_id": pd.array(units.parents, dtype="str"),
            "e_certified_copy": pd.array(units.e_cert, dtype="boolean"),
        }
    )


# ------------------------------------------------------------------------------------- procedures
@dataclass
class _Procedures:
    frame: pd.DataFrame
    codes: list[str]
    field: np.ndarray  # str
    limit: np.ndarray  # float
    unit: np.ndarray  # time unit code
    fee: np.ndarray  # base fee, VND
    weight: np.ndarray
    citizen: np.ndarray
    result: np.ndarray
    online: np.ndarray  # online level code
    pool: np.ndarray  # index into pool names


def _build_procedures(
    structure: dict,
    scen: dict,
    pool_names: list[str],
    rng: np.random.Generator,
    cal,
    first_day: dt.date,
    last_day: dt.date,
) -> _Procedures:
    rows = []  # (pool key, level, agency, row)
    catalogue = structure["procedures"]
    for level in ("commune", "district"):
        rows += [(level, level, None, r) for r in catalogue[level]]
    for agency, entries in catalogue["departments"].items():
        if str(agency) not in pool_names:
            raise ValueError(f"structure: procedures for unknown department '{agency}'")
        rows += [(str(agency), "department", str(agency), r) for r in entries]
    n = len(rows)
    names, fields, limits, units_, fees, weights, citizen, result, online, levels, agencies, pools = (
        [] for _ in range(12)
    )
    mix = scen["channels"]["online_level_mix"]
    draw_online = rng.random(n)
    for i, (pool_key, level, agency, row) in enumerate(rows):
        name, fld, limit, unit, fee, weight, applicant = row[:7]
        opts = row[7] if len(row) > 7 else {}
        if unit not in TIME_UNIT_CODES:
            raise ValueError(f"structure: procedure '{name}' has time unit '{unit}'")
        names.append(str(name))
        fields.append(str(fld))
        limits.append(float(limit))
        units_.append(TIME_UNIT_CODES[unit])
        fees.append(float(fee))
        weights.append(float(weight))
        citizen.append(applicant in ("citizen", "both"))
        result.append(bool(opts.get("result", True)))
        if "online" in opts:
            online.append(ONLINE_CODES[opts["online"]])
        else:
            shares = mix[level]
            cum = np.cumsum([shares["none"], shares["partial"], shares["full"]])
            online.append(int(np.searchsorted(cum / cum[-1], draw_online[i], side="right")))
        levels.append(level)
        agencies.append(agency)
        pools.append(pool_names.index(pool_key))

    numbers = rng.choice(np.arange(100, 3000), size=n, replace=False)
    prefix = np.where(rng.random(n) < 0.45, "1", "2")
    codes = [f"{p}.{int(x):06d}" for p, x in zip(prefix, numbers)]

    # Publication: legal basis effective date, the province's decision, the public date.
    tr = scen["transparency"]
    first = np.datetime64(first_day, "D")
    last = np.datetime64(last_day, "D")
    in_period = rng.random(n) < float(tr["effective_in_period_share"])
    span_in = max(int((last - 30 - first).astype(int)) + 30, 1)
    eff = np.where(
        in_period,
        first - 30 + rng.integers(0, span_in, n),
        first - 31 - rng.integers(0, 3 * 365, n),
    ).astype("datetime64[D]")
    j = np.searchsorted(cal.days, eff)
    late_dec = rng.random(n) < float(tr["late_decision_share"])
    k = np.where(late_dec, rng.integers(-15, 4, n), rng.integers(6, 31, n))
    decision = cal.days[j - k]
    late_pub = rng.random(n) < float(tr["late_public_share"])
    public = cal.add(decision, np.where(late_pub, rng.integers(6, 31, n), rng.integers(0, 6, n)))
    public = np.where((rng.random(n) < float(tr["unpublished_share"])) | (public > last), np.datetime64("NaT"), public)
    eff = np.where(rng.random(n) < float(tr["missing_effective_share"]), np.datetime64("NaT"), eff)
    full_content = rng.random(n) < float(tr["full_content_share"])

    frame = pd.DataFrame(
        {
            "procedure_code": pd.array(codes, dtype="str"),
            "name": pd.array(names, dtype="str"),
            "field": pd.array(fields, dtype="str"),
            "time_limit": np.array(limits, dtype="float64"),
            "time_unit": pd.array([("working_days", "days", "hours")[u] for u in units_], dtype="str"),
            "online_level": pd.array([("none", "partial", "full")[o] for o in online], dtype="str"),
            "has_fee": np.array(fees) > 0,
            "result_document": np.array(result, dtype=bool),
            "citizen_applicant": np.array(citizen, dtype=bool),
            "full_content": full_content,
            "decision_date": decision.astype("datetime64[us]"),
            "legal_effective_date": eff.astype("datetime64[D]").astype("datetime64[us]"),
            "public_date": public.astype("datetime64[D]").astype("datetime64[us]"),
            "level": pd.array(levels, dtype="str"),
            "agency_id": pd.array(agencies, dtype="str"),
        }
    )
    return _Procedures(
        frame=frame,
        codes=codes,
        field=np.array(fields),
        limit=np.array(limits),
        unit=np.array(units_, dtype=np.int64),
        fee=np.array(fees),
        weight=np.array(weights),
        citizen=np.array(citizen, dtype=bool),
        result=np.array(result, dtype=bool),
        online=np.array(online, dtype=np.int64),
        pool=np.array(pools, dtype=np.int64),
    )


# ---------------------------------------------------------------------------------------- stories
@dataclass
class _Story:
    id: str
    kind: str
    spec: dict
    unit: int
    rng: np.random.Generator | None = None
    start: np.datetime64 | None = None  # first affected day
    end: np.datetime64 | None = None  # first day no longer affected (exclusive), if bounded


def _parse_stories(scen: dict, units: _Units, procs: _Procedures) -> list[_Story]:
    raw = scen.get("stories") or []
    if not isinstance(raw, list):
        raise ValueError("scenario: 'stories' must be a list")
    out: list[_Story] = []
    seen: set[str] = set()
    for i, story in enumerate(raw):
        if not isinstance(story, dict):
            raise ValueError(f"story #{i + 1}: expected a mapping with 'id' and 'kind'")
        if not story.get("id"):
            raise ValueError(f"story #{i + 1}: missing key 'id'")
        sid = str(story["id"])
        if sid in seen:
            raise ValueError(f"story '{sid}': key 'id' repeats an earlier story")
        seen.add(sid)
        if "kind" not in story:
            raise ValueError(f"story '{sid}': missing key 'kind'")
        kind = str(story["kind"])
        if kind not in STORY_KEYS:
            raise ValueError(f"story '{sid}': key 'kind' has unknown value '{kind}' (known: {', '.join(STORY_KEYS)})")
        for key in STORY_KEYS[kind]:
            if key not in story or story[key] is None:
                raise ValueError(f"story '{sid}' ({kind}): missing key '{key}'")
        uid = str(story["unit_id"])
        if uid not in units.index:
            raise ValueError(f"story '{sid}': key 'unit_id' names unknown unit '{uid}'")
        parsed = _Story(sid, kind, dict(story), units.index[uid])

        def share(key: str) -> float:
            return _number(sid, story, key, 0.0, 1.0)

        if kind == "on_time_collapse":
            parsed.start = _story_month(sid, story, "from")
            share("late_share")
            if story.get("delay_working_days") is not None:
                delay = _number(sid, story, "delay_working_days", 0, 250)
                if delay != int(delay):
                    raise ValueError(f"story '{sid}': key 'delay_working_days' must be a whole number")
            pool = units.pool[parsed.unit]
            fields = set(procs.field[procs.pool == pool]) if pool >= 0 else set()
            if str(story["field"]) not in fields:
                raise ValueError(f"story '{sid}': key 'field' — unit '{uid}' has no '{story['field']}' procedures")
        elif kind == "online_payment_on":
            parsed.start = _story_month(sid, story, "from")
            share("before_share")
            share("after_share")
        elif kind == "sync_outage":
            try:
                parsed.start = np.datetime64(dt.date.fromisoformat(str(story["start"])), "D")
            except ValueError:
                raise ValueError(f"story '{sid}': key 'start' must be a date YYYY-MM-DD") from None
            days = _number(sid, story, "days", 1, 3660)
            if days != int(days):
                raise ValueError(f"story '{sid}': key 'days' must be a whole number")
            parsed.end = parsed.start + int(days)
        elif kind == "petition_surge":
            parsed.start = _story_month(sid, story, "month")
            period = parse_period(str(story["month"]))
            parsed.end = np.datetime64(period.last_day, "D") + 1
            _number(sid, story, "factor", 1.0, 1000.0)
            share("negative_share")
            if story.get("late_share") is not None:
                share("late_share")
        out.append(parsed)
    return out


def _number(sid: str, story: dict, key: str, lo: float, hi: float) -> float:
    value = story[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise ValueError(f"story '{sid}': key '{key}' must be a number in [{lo}, {hi}], got {value!r}")
    return float(value)


def _story_month(sid: str, story: dict, key: str) -> np.datetime64:
    try:
        period = parse_period(str(story[key]))
    except ValueError:
        period = None
    if period is None or period.kind != "month":
        raise ValueError(f"story '{sid}': key '{key}' must be a month YYYY-MM, got {story[key]!r}")
    return np.datetime64(period.first_day, "D")


def _stories_of(stories: list[_Story], kind: str) -> list[_Story]:
    return [s for s in stories if s.kind == kind]


# --------------------------------------------------------------------------------------- calendar
def _day_weights(days: np.ndarray, cal, season: dict, weekend_weight: float) -> np.ndarray:
    """Relative receipt weight of each day: working days, month factors, the Tết rush and slump."""
    working = cal.is_working_day(days)
    month = (days.astype("datetime64[M]").astype(np.int64) % 12) + 1
    factors = season.get("month_factor", {}) or {}
    mf = np.array([float(factors.get(f"{m:02d}", 1.0)) for m in range(1, 13)])[month - 1]
    w = np.where(working, 1.0, float(weekend_weight)) * mf
    for tet_start, tet_end in _tet_holidays(cal, days[0], days[-1]):
        pre = working & (days >= tet_start - int(season["pre_tet_days"])) & (days < tet_start)
        post = working & (days > tet_end) & (days <= tet_end + int(season["post_tet_days"]))
        w = np.where(pre, w * float(season["pre_tet_factor"]), w)
        w = np.where(post, w * float(season["post_tet_factor"]), w)
    return w


def _tet_holidays(cal, first: np.datetime64, last: np.datetime64) -> list[tuple[np.datetime64, np.datetime64]]:
    """(first, last) non-working day of each Tết break near the range: the long January/February gap."""
    window = cal.days[(cal.days >= first - 60) & (cal.days <= last + 60)]
    gaps = np.diff(window).astype(np.int64)
    out = []
    for i in np.flatnonzero(gaps >= 6):
        start = window[i] + 1
        month = int(start.astype("datetime64[M]").astype(np.int64) % 12) + 1
        if month in (1, 2):
            out.append((start, window[i + 1] - 1))
    return out


# --------------------------------------------------------------------------------------- dossiers
def _unit_effects(units: _Units, scen: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each unit's character, drawn once per unit (so it does not depend on scale or months)."""
    n = len(units.ids)
    ot = scen["on_time"]
    rates = scen["rates"]
    z_on_time = rng.standard_normal(n)
    mean = np.array([float(ot["logit_mean"].get(k, 1.5)) for k in units.kinds])
    sd = np.array([float(ot["logit_sd"].get(k, 0.5)) for k in units.kinds])
    maturity = rng.standard_normal(n)
    attrs = (
        "paid_online_when_online", "e_result", "digitized", "reused_data", "population_data_citizen", "personal_store"
    )
    noise = rng.standard_normal((len(attrs), n))
    unit_sd = float(rates["unit_sd"])
    effects = {a: unit_sd * (0.75 * maturity + 0.66 * noise[i]) for i, a in enumerate(attrs)}
    lo, hi = rates["sync"]
    mlo, mhi = ot["missing_due_share"]
    pet = scen["petitions"]
    return {
        "on_time_logit": mean + sd * z_on_time,
        "online": np.exp(float(scen["channels"]["unit_sd"]) * rng.standard_normal(n)),
        "sync": rng.uniform(float(lo), float(hi), n),
        "missing_due": rng.uniform(float(mlo), float(mhi), n),
        "petition_on_time_logit": float(pet["on_time_logit_mean"])
        + float(pet["on_time_logit_sd"]) * rng.standard_normal(n),
        **effects,
    }


def _build_dossiers(
    units: _Units,
    procs: _Procedures,
    effects: dict[str, np.ndarray],
    stories: list[_Story],
    scen: dict,
    rng: np.random.Generator,
    cal,
    days: np.ndarray,
    scale: float,
    n_months: int,
) -> pd.DataFrame:
    season = scen["season"]
    chan = scen["channels"]
    ot = scen["on_time"]
    rates = scen["rates"]
    data_end = (days[-1] + 1).astype("datetime64[us]")
    nat = np.datetime64("NaT", "us")

    # Volumes and receipt days.
    counts = rng.poisson(units.monthly * scale * n_months)
    unit = np.repeat(np.arange(len(units.ids)), counts)
    n = unit.size
    weights = _day_weights(days, cal, season, float(season["weekend_weight"]))
    rday = days[rng.choice(days.size, size=n, p=weights / weights.sum())]

    # Procedures: each unit draws from its own pool (department, district or commune catalogue).
    proc = np.zeros(n, dtype=np.int64)
    pool_of = units.pool[unit]
    for pool in np.unique(units.pool[units.pool >= 0]):
        sel = np.flatnonzero(pool_of == pool)
        members = np.flatnonzero(procs.pool == pool)
        p = procs.weight[members] / procs.weight[members].sum()
        proc[sel] = members[rng.choice(members.size, size=sel.size, p=p)]
    tu = procs.unit[proc]
    level = procs.online[proc]
    citizen = procs.citizen[proc]
    is_hours = tu == TIME_UNIT_CODES["hours"]

    # Weekend/holiday receipts exist only online; other procedures move to the next working day.
    nonwork = ~cal.is_working_day(rday)
    shift = nonwork & ((level == 0) | is_hours)
    rday = np.where(shift, cal.add(rday, 1), rday)
    nonwork &= ~shift

    # Channel: online share rises with time, by online level, applicant and unit.
    base = _curve(chan["online_share"], rday)
    level_factor = np.array([float(chan["level_factor"][k]) for k in ("none", "partial", "full")])
    p_online = base * level_factor[level] * np.where(citizen, 1.0, float(chan["business_factor"]))
    p_online = np.minimum(p_online * effects["online"][unit], float(chan["max_share"]))
    online = (rng.random(n) < p_online) | nonwork
    postal = ~online & (rng.random(n) < float(chan["postal_share"]))
    channel = np.where(online, 2, np.where(postal, 3, 1)).astype(np.int64)

    # Time of receipt.
    office = _office_time(rng, n)
    anytime = _uniform_time(rng, n, 6.0, 23.5)
    weekend_time = _uniform_time(rng, n, 7.0, 22.0)
    online_late = online & ~is_hours & (rng.random(n) < 0.4)
    tod = np.where(nonwork, weekend_time, np.where(online_late, anytime, office))
    received = _at(rday, tod)
    dmin = ((tod >= OFFICE_CLOSE) | nonwork).astype(np.int64)

    # Lateness: the unit's on-time propensity, shifted by field; stories override it.
    shift_by_field = ot.get("field_shift", {}) or {}
    field_shift = np.array([float(shift_by_field.get(f, 0.0)) for f in procs.field])
    p_on_time = _sigmoid(effects["on_time_logit"][unit] + field_shift[proc])
    late = rng.random(n) >= p_on_time
    backlog = np.zeros(n, dtype=np.int64)  # extra working days late dossiers stay open (stories)
    for story in _stories_of(stories, "on_time_collapse"):
        in_field = procs.field[proc] == str(story.spec["field"])
        hit = np.flatnonzero((unit == story.unit) & in_field & (rday >= story.start))
        late[hit] = story.rng.random(hit.size) < float(story.spec["late_share"])
        delay = story.spec.get("delay_working_days")
        backlog[hit] = DEFAULT_COLLAPSE_DELAY if delay is None else int(delay)

    # Supplements.
    sup = scen["supplement"]
    u = rng.random(n)
    two, one = float(sup["two_share"]), float(sup["one_share"])
    sup_count = np.where(u < two, 2, np.where(u < two + one, 1, 0)).astype(np.int64)
    sup_count[is_hours] = 0
    has_sup = sup_count > 0
    wait = rng.geometric(1.0 / float(sup["wait_mean_working_days"]), n).astype(np.int64)

    # Allowed working days, processing days, and the day each event happens.
    limit = np.ceil(procs.limit[proc]).astype(np.int64)
    is_days = tu == TIME_UNIT_CODES["days"]
    due_day = np.where(is_days, rday + limit.astype("timedelta64[D]"), cal.add(rday, np.where(is_hours, 0, limit)))
    allowed = np.where(is_days, cal.count(rday, due_day), limit)
    allowed = np.maximum(allowed, dmin)
    a_, b_ = ot["speed_beta"]
    d_on = dmin + np.floor(rng.beta(float(a_), float(b_), n) * (allowed - dmin + 1)).astype(np.int64)
    d_on = np.minimum(d_on, allowed)
    extra = rng.geometric(float(ot["late_geometric_p"]), n) - 1
    extra += np.floor(allowed * 0.3 * rng.random(n)).astype(np.int64)
    d = np.where(late, allowed + 1 + extra + backlog, d_on)
    ask = np.minimum(dmin + np.floor(rng.random(n) * (d - dmin + 1)).astype(np.int64), d)
    req_day = cal.add(rday, ask)
    comp_day = cal.add(req_day, wait)
    end_day = cal.add(rday, d + np.where(has_sup, wait, 0))

    req_at = _at(req_day, _uniform_time(rng, n, 8.0, 16.0))
    req_at = np.where(req_day == rday, received + _to_seconds(rng.uniform(15, 120, n) * MINUTE), req_at)
    comp_at = _at(comp_day, _uniform_time(rng, n, 7.5, 12.0))
    end_at = _at(end_day, _office_time(rng, n))
    end_at = np.where(has_sup & (end_day == comp_day), _at(end_day, _uniform_time(rng, n, 13.0, 16.98)), end_at)
    end_at = np.where(end_day == rday, received + _to_seconds(rng.uniform(10, 180, n) * MINUTE), end_at)
    due_at = _at(due_day, np.full(n, OFFICE_CLOSE, dtype=np.int64))

    # Procedures limited in hours: due that many office hours after receipt.
    hours = procs.limit[proc] * HOUR
    due_h = _add_office_hours(received, hours, cal)
    end_h_on = _add_office_hours(received, hours * rng.uniform(0.1, 0.95, n), cal)
    late_h_day = cal.add(due_h.astype("datetime64[D]"), rng.geometric(0.5, n))
    end_h_late = _at(late_h_day, _office_time(rng, n))
    due_at = np.where(is_hours, due_h, due_at)
    end_at = np.where(is_hours, np.where(late, end_h_late, end_h_on), end_at)
    del due_h, end_h_on, end_h_late, late_h_day, hours, anytime, weekend_time, office

    # What is known at the end of the data: open dossiers, pending supplements; stuck dossiers.
    stuck = late & (rng.random(n) < float(ot["stuck_share_of_late"]))
    end_at = np.where(stuck | (end_at >= data_end), nat, end_at)
    future_req = ~has_sup | (req_at >= data_end)
    sup_count = np.where(future_req, 0, sup_count)
    req_at = np.where(future_req, nat, req_at)
    comp_at = np.where(future_req | (comp_at >= data_end), nat, comp_at)
    due_at = np.where(rng.random(n) < effects["missing_due"][unit], nat, due_at)
    ended = ~np.isnat(end_at)

    statuses = list(scen["end_status"])
    probs = np.array([float(scen["end_status"][s]) for s in statuses])
    for s in statuses:
        if s not in END_STATUSES:
            raise ValueError(f"scenario: end_status '{s}' not in {list(END_STATUSES)}")
    status_pick = rng.choice(len(statuses), size=n, p=probs / probs.sum())
    status = np.where(ended, status_pick, -1)
    delivered = ended & np.isin(status_pick, [statuses.index(s) for s in ("returned", "finished") if s in statuses])

    # Sync, fees, online payment.
    synced = rng.random(n) < effects["sync"][unit]
    for story in _stories_of(stories, "sync_outage"):
        out_start = story.start.astype("datetime64[us]")
        out_end = story.end.astype("datetime64[us]")
        synced[(unit == story.unit) & (received >= out_start) & (received < out_end)] = False

    fees = scen["fees"]
    base_fee = procs.fee[proc]
    fee_bearing = base_fee > 0
    uf = rng.random(n)
    doubled = rng.random(n) < float(fees["double_share"])
    fee_amount = np.where(fee_bearing, base_fee * np.where(doubled, 2.0, 1.0), 0.0)
    zero_share, missing_share = float(fees["zero_share"]), float(fees["missing_share"])
    fee_amount = np.where(fee_bearing & (uf < zero_share), 0.0, fee_amount)
    fee_amount = np.where(fee_bearing & (uf >= zero_share) & (uf < zero_share + missing_share), np.nan, fee_amount)
    fee_amount = np.where(~fee_bearing & (uf < float(fees["free_missing_share"])), np.nan, fee_amount)
    payable = fee_bearing & (fee_amount != 0)  # empty fee data still payable

    def rate(key: str) -> np.ndarray:
        return _sigmoid(_logit(_curve(rates[key], rday)) + effects[key][unit])

    p_pay = np.where(online, rate("paid_online_when_online"), float(rates["paid_online_in_person"]))
    paid = payable & (rng.random(n) < p_pay)
    for story in _stories_of(stories, "online_payment_on"):
        mine = (unit == story.unit) & payable
        before = np.flatnonzero(mine & (rday < story.start))
        after = np.flatnonzero(mine & (rday >= story.start) & online)
        paid[before] = story.rng.random(before.size) < float(story.spec["before_share"])
        paid[after] = story.rng.random(after.size) < float(story.spec["after_share"])

    # Digitisation and data.
    e_result = procs.result[proc] & delivered & (rng.random(n) < rate("e_result"))
    digitized = rng.random(n) < rate("digitized")
    reused = rng.random(n) < rate("reused_data")
    population = np.where(
        citizen,
        rng.random(n) < rate("population_data_citizen"),
        rng.random(n) < float(rates["population_data_business"]),
    )
    personal = rng.random(n) < rate("personal_store")

    # Ratings and petitions about dossiers.
    rt = scen["ratings"]
    ur = rng.random(n)
    p_unsat = np.where(late, float(rt["unsatisfied_late"]), float(rt["unsatisfied_on_time"]))
    rating = np.where(~ended, -1, np.where(ur < p_unsat, 1, np.where(ur < p_unsat + float(rt["satisfied"]), 0, -1)))
    has_petition = rng.random(n) < np.where(late, float(rt["petition_late"]), float(rt["petition_on_time"]))

    order = np.argsort(received, kind="stable")
    frame = pd.DataFrame(
        {
            "dossier_id": _sequence_ids("H27-HS-", n, 9),
            "unit_id": _take_str(units.ids, unit[order]),
            "procedure_code": _take_str(procs.codes, proc[order]),
            "channel": channel[order],
            "received_at": received[order],
            "due_at": due_at[order],
            "ended_at": end_at[order],
            "end_status": _take_str(statuses, status[order]),
            "supplement_count": sup_count[order],
            "supplement_requested_at": req_at[order],
            "supplement_completed_at": comp_at[order],
            "synced": synced[order],
            "fee_amount": fee_amount[order],
            "paid_online": paid[order],
            "e_result": e_result[order],
            "digitized": digitized[order],
            "reused_data": reused[order],
            "personal_store": personal[order],
            "population_data": population[order],
            "rating": _take_str(["satisfied", "unsatisfied"], rating[order]),
            "has_petition": has_petition[order],
        }
    )
    return frame


# -------------------------------------------------------------------------------------- petitions
def _build_petitions(
    units: _Units,
    effects: dict[str, np.ndarray],
    stories: list[_Story],
    scen: dict,
    rng: np.random.Generator,
    cal,
    days: np.ndarray,
    scale: float,
    n_months: int,
) -> pd.DataFrame:
    pet = scen["petitions"]
    data_end = (days[-1] + 1).astype("datetime64[us]")
    nat = np.datetime64("NaT", "us")
    per_dossier = np.array([float(pet["per_dossier"].get(k, 0.0)) for k in units.kinds])
    monthly = per_dossier * units.monthly * scale  # expected petitions a month
    weights = _day_weights(days, cal, scen["season"], float(pet["weekend_weight"]))
    p_day = weights / weights.sum()
    counts = rng.poisson(monthly * n_months)
    unit = np.repeat(np.arange(len(units.ids)), counts)
    rday = days[rng.choice(days.size, size=unit.size, p=p_day)]

    surges = [s for s in _stories_of(stories, "petition_surge") if s.start <= days[-1] and s.end > days[0]]
    extra_unit, extra_day = [unit], [rday]
    for story in surges:
        in_month = (days >= story.start) & (days < story.end)
        expected = monthly[story.unit] * n_months * p_day[in_month].sum()
        k = story.rng.poisson((float(story.spec["factor"]) - 1.0) * expected)
        w = p_day[in_month] / p_day[in_month].sum()
        extra_day.append(days[in_month][story.rng.choice(w.size, size=k, p=w)])
        extra_unit.append(np.full(k, story.unit, dtype=np.int64))
    unit = np.concatenate(extra_unit)
    rday = np.concatenate(extra_day)
    n = unit.size

    received = _at(rday, _uniform_time(rng, n, 6.0, 23.5))
    limit = int(pet["due_working_days"])
    due_day = cal.add(rday, limit)
    due_at = _at(due_day, np.full(n, OFFICE_CLOSE, dtype=np.int64))
    late = rng.random(n) >= _sigmoid(effects["petition_on_time_logit"][unit])
    d_on = 1 + np.floor(rng.beta(2.0, 2.0, n) * limit).astype(np.int64)
    d_late = limit + rng.geometric(0.15, n)
    rating_u = rng.random(n)
    topic_u = rng.random(n)
    repeated = rng.random(n) < float(pet["repeated_share"])
    missing_due = rng.random(n) < float(pet["missing_due_share"])
    resolve_time = _office_time(rng, n)

    pos, neg = float(pet["rating"]["positive"]), float(pet["rating"]["negative"])
    rating = np.where(rating_u < neg, 1, np.where(rating_u < neg + pos, 0, -1))
    for story in surges:
        hit = np.flatnonzero((unit == story.unit) & (rday >= story.start) & (rday < story.end))
        neg_s = float(story.spec["negative_share"])
        u = story.rng.random(hit.size)
        rating[hit] = np.where(u < neg_s, 1, np.where(u < neg_s + (1 - neg_s) * pos / max(pos + neg, 1e-9), 0, -1))
        if story.spec.get("late_share") is not None:
            late[hit] = story.rng.random(hit.size) < float(story.spec["late_share"])

    resolved = _at(cal.add(rday, np.where(late, d_late, d_on)), resolve_time)
    resolved = np.where(resolved >= data_end, nat, resolved)
    rating = np.where(np.isnat(resolved), -1, rating)
    due_at = np.where(missing_due, nat, due_at)
    topics = list(pet["topic"])
    tp = np.cumsum([float(pet["topic"][t]) for t in topics])
    topic = np.searchsorted(tp / tp[-1], topic_u, side="right")

    order = np.argsort(received, kind="stable")
    return pd.DataFrame(
        {
            "petition_id": _sequence_ids("H27-PAKN-", n, 7),
            "unit_id": _take_str(units.ids, unit[order]),
            "received_at": received[order],
            "due_at": due_at[order],
            "resolved_at": resolved[order],
            "rating": _take_str(["positive", "negative"], rating[order]),
            "repeated": repeated[order],
            "topic": _take_str(topics, topic[order]),
        }
    )


# ------------------------------------------------------------------------------------------ API
def generate(
    seed: int = DEFAULT_SEED,
    scenario: str | Path | dict | None = None,
    scale: float = 1.0,
    months: int | None = None,
) -> Dataset:
    """Generate the demo province as a contract `Dataset` (valid as returned).

    `scenario`: None = `parameters/scenarios/demo.yaml`; a path or a dict is laid over it key by key.
    `scale`: 1.0 ≈ 300,000 dossiers in 12 months; 6.7 ≈ 2 million. `months`: None = the scenario's.
    """
    scen = load_scenario(scenario)
    scale = float(scale)
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    n_months = int(scen["months"] if months is None else months)
    if n_months < 1:
        raise ValueError(f"months must be at least 1, got {n_months}")
    first = parse_period(str(scen["first_month"]))
    if first.kind != "month":
        raise ValueError(f"scenario: first_month must be YYYY-MM, got {scen['first_month']!r}")
    y, m = first.first_day.year, first.first_day.month
    last_index = y * 12 + m - 1 + n_months - 1
    periods = months_between(first.label, f"{last_index // 12:04d}-{last_index % 12 + 1:02d}")
    first_day, last_day = periods[0].first_day, periods[-1].last_day

    cal = work_calendar(tuple(str(d) for d in (scen.get("calendar") or {}).get("extra_holidays", []) or []))
    structure = _read_yaml(Path(scen["structure_path"]))
    root = np.random.default_rng(int(seed))
    rng_units, rng_procs, rng_dossiers, rng_petitions, rng_stories = root.spawn(5)

    units, pool_names = _build_units(structure, scen, rng_units)
    procs = _build_procedures(structure, scen, pool_names, rng_procs, cal, first_day, last_day)
    effects = _unit_effects(units, scen, rng_units)
    stories = _parse_stories(scen, units, procs)
    for story, child in zip(stories, rng_stories.spawn(len(stories))):
        story.rng = child

    days = np.arange(np.datetime64(first_day, "D"), np.datetime64(last_day, "D") + 1)
    dossiers = _build_dossiers(units, procs, effects, stories, scen, rng_dossiers, cal, days, scale, n_months)
    petitions = _build_petitions(units, effects, stories, scen, rng_petitions, cal, days, scale, n_months)
    unit_frame = _units_frame(units)

    meta = {
        "source": "synthetic",
        "generator": "chiso.demo",
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "seed": int(seed),
        "scale": scale,
        "months": n_months,
        "first_month": periods[0].label,
        "last_month": periods[-1].label,
        "scenario": str(scen["name"]),
        "stories": [_plain(s) for s in scen.get("stories") or []],
        "province": PROVINCE_LABEL,
        "structure": str(structure.get("name", "")),
        "counts": {
            "units": len(unit_frame),
            "procedures": len(procs.frame),
            "dossiers": len(dossiers),
            "petitions": len(petitions),
        },
    }
    return Dataset(units=unit_frame, procedures=procs.frame, dossiers=dossiers, petitions=petitions, meta=meta)


def generate_to(
    out_dir: str | Path,
    seed: int = DEFAULT_SEED,
    scenario: str | Path | dict | None = None,
    scale: float = 1.0,
    months: int | None = None,
) -> Path:
    """Generate the demo province and write it (four Parquet tables and dataset.json) to `out_dir`."""
    return write_dataset(generate(seed=seed, scenario=scenario, scale=scale, months=months), out_dir)


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a scenario value (YAML may give dates)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
