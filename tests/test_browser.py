"""The batch reports in a real browser: Playwright driving Debian's Chromium, the network blocked.

One small synthetic province is generated and one batch is built (province overview, one district,
one commune); the pages are then opened from file:// with every non-file, non-data request aborted
and recorded. Checked: every chart container becomes a rendered Vega view (as many as the page's
`data-chart-count`), tooltips show on hover, Vietnamese text arrives intact, nothing leaves the
machine, no console or page errors, and the index search matches names typed without diacritics.

Chromium is not optional here: without /usr/bin/chromium the tests fail with the command that
installs it (the Makefile's `browser` target does so in CI).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pandas as pd
import pytest

from chiso.batch import OVERVIEW_KEY, QUALITY_KEY, run_batch
from chiso.demo import generate_to

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FIX = "apt-get update && apt-get install -y chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
BANNER = "Dữ liệu mô phỏng / synthetic data"
PREFERRED_DISTRICT = "H27.36"  # UBND huyện Gia Bình
PREFERRED_COMMUNE = "H27.193"  # UBND xã Phật Tích
# vega-embed puts its `vega-embed` class on the target div itself and the <svg> directly inside it.
VIEW = ".chiso-chart.vega-embed > svg.marks"
# UTF-8 read as Latin-1/cp1252 (Ã, á», Æ°, Ä‘…) or replacement characters: text that did not arrive intact.
MOJIBAKE = re.compile("Ã.|á»|áº|Æ°|Ä‘|Ä\u0090|\ufffd")
CHARTS_DONE = """() => Array.from(document.querySelectorAll('.chiso-chart')).every(
    d => d.querySelector(':scope > svg') || d.textContent.startsWith('Chart error'))"""


def plain(text: str) -> str:
    """Lower case without diacritics (đ → d): what a user types in the search box."""
    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


# ----------------------------------------------------------------------------------- fixtures
@dataclass
class Site:
    folder: Path
    names: dict[str, str]
    district: str
    commune: str

    def url(self, key: str) -> str:
        return (self.folder / f"{key}.html").as_uri()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    root = tmp_path_factory.mktemp("browser")
    data = generate_to(root / "data", scale=0.05, months=3)
    units = pd.read_parquet(data / "units.parquet")
    names = dict(zip(units["unit_id"], units["name"]))
    kinds = dict(zip(units["unit_id"], units["kind"]))

    def pick(preferred: str, kind: str) -> str:
        if kinds.get(preferred) == kind:
            return preferred
        return next(u for u in units["unit_id"] if kinds[u] == kind and plain(names[u]) != names[u].lower())

    district, commune = pick(PREFERRED_DISTRICT, "district"), pick(PREFERRED_COMMUNE, "commune")
    result = run_batch(data, "latest", units=f"{district},{commune}", out=root / "reports", jobs=2, progress=False)
    failed = [f"{o.key}: {o.error}" for o in result.failures]
    assert not failed, f"the batch failed, nothing to open in a browser: {failed}"
    return Site(Path(result.out_dir), names, district, commune)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, or None when it is missing (the tests then fail, see `visit`)."""
    if not os.access(CHROMIUM, os.X_OK):
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """One page in a fresh browser context, with everything it tried to do recorded."""

    page: object
    blocked: list[str] = field(default_factory=list)  # non-file/data requests, aborted
    requests: list[str] = field(default_factory=list)  # every request the page made
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def wait_for_charts(self, timeout: float = 10_000) -> None:
        """Until every chart container holds a view or an error; on timeout the counts tell what is missing."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function(CHARTS_DONE, timeout=timeout)
        except PlaywrightTimeout:
            pass

    def chart_count(self) -> int:
        return int(self.page.locator("body").get_attribute("data-chart-count"))

    def assert_clean(self) -> None:
        leaving = [u for u in self.requests if not u.startswith(("file:", "data:"))]
        assert self.blocked == [] and leaving == [], f"requests that would leave file://: {self.blocked + leaving}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.page_errors == [], f"page errors: {self.page_errors}"


@pytest.fixture
def visit(browser):
    contexts = []

    def open_page(url: str) -> Visit:
        if browser is None:
            pytest.fail(f"The browser tests need Chromium at {CHROMIUM}: run '{CHROMIUM_FIX}'", pytrace=False)
        context = browser.new_context(service_workers="block", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        v = Visit(page)

        def guard(route):
            url = route.request.url
            if url.startswith(("file:", "data:")):
                route.continue_()
            else:
                v.blocked.append(url)
                route.abort()

        context.route("**/*", guard)
        context.route_web_socket(re.compile(".*"), lambda ws: v.blocked.append(ws.url))  # never connected
        context.on("request", lambda r: v.requests.append(r.url))
        page.on("console", lambda m: v.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: v.page_errors.append(str(e)))
        page.goto(url, wait_until="load")
        return v

    yield open_page
    for context in contexts:
        context.close()


def _page_key(site: Site, which: str) -> str:
    return {"index": "index", "district": site.district, "commune": site.commune, "overview": OVERVIEW_KEY,
            "quality": QUALITY_KEY}[which]


PAGES = ["index", "district", "commune", "overview", "quality"]


# -------------------------------------------------------------------------------------- tests
def test_the_network_guard_records_and_aborts_outside_requests(site, visit):
    """Without this the "zero requests" checks below could pass vacuously."""
    v = visit(site.url("index"))
    outcome = v.page.evaluate("() => fetch('https://cdn.jsdelivr.net/npm/vega@6').then(() => 'sent', () => 'blocked')")
    assert outcome == "blocked"
    assert v.blocked == ["https://cdn.jsdelivr.net/npm/vega@6"]


@pytest.mark.parametrize("which", PAGES)
def test_every_chart_container_becomes_a_rendered_vega_view(site, visit, which):
    v = visit(site.url(_page_key(site, which)))
    v.wait_for_charts()
    expected = v.chart_count()
    errors = v.page.locator(".chiso-chart").evaluate_all(
        "ds => ds.filter(d => d.textContent.startsWith('Chart error')).map(d => d.textContent)")
    assert errors == []
    assert v.page.locator(".chiso-chart").count() == expected
    assert v.page.locator(VIEW).count() == expected, f"page errors: {v.page_errors}"
    if which == "index":
        assert expected == 0
    else:
        assert expected > 0
        # a drawn view has marks, not just an empty <svg>
        assert v.page.locator(f"{VIEW} [aria-roledescription]").count() > expected
    v.assert_clean()


@pytest.mark.parametrize("which", PAGES)
def test_nothing_leaves_file_and_nothing_errs(site, visit, which):
    v = visit(site.url(_page_key(site, which)))
    v.wait_for_charts()
    v.page.mouse.move(400, 300)
    v.page.mouse.wheel(0, 4000)  # scroll through the page: lazy work, if any, happens now
    v.page.wait_for_timeout(200)
    assert v.requests and all(u.startswith(("file:", "data:")) for u in v.requests)
    v.assert_clean()


HOVER_TARGET = """(chartIndex) => {
  // the last-drawn mark of the chart that is on top at its own centre (layered bars hide the one below)
  const chart = document.querySelectorAll('.chiso-chart')[chartIndex];
  for (const el of Array.from(chart.querySelectorAll('svg [aria-roledescription="bar"], svg [aria-roledescription="rect"], svg [aria-roledescription="point"]')).reverse()) {
    el.scrollIntoView({block: 'center'});
    const r = el.getBoundingClientRect();
    if (r.width < 3 || r.height < 3) continue;
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (document.elementFromPoint(x, y) === el) return {x, y, label: el.getAttribute('aria-label')};
  }
  return null;
}"""


@pytest.mark.parametrize("which, words", [("district", ["Nhóm chỉ số", "Tối đa"]),  # group scores
                                          ("overview", ["Loại đơn vị", "Số đơn vị"])])  # distribution
def test_hovering_a_mark_shows_its_tooltip(site, visit, which, words):
    v = visit(site.url(_page_key(site, which)))
    v.wait_for_charts()
    target = v.page.evaluate(HOVER_TARGET, 0)
    assert target is not None, "no hoverable mark in the first chart"
    tooltip = v.page.locator("#vg-tooltip-element")
    v.page.mouse.move(target["x"], target["y"])
    v.page.wait_for_selector("#vg-tooltip-element.vg-tooltip.visible", state="visible", timeout=5_000)
    text = tooltip.inner_text()
    assert text.strip(), "the tooltip is visible but empty"
    for word in words:
        assert word in text, f"{word!r} not in tooltip {text!r}"
    assert not MOJIBAKE.search(text)
    v.page.mouse.move(2, 2)  # away from the chart: the tooltip goes
    v.page.wait_for_selector("#vg-tooltip-element.visible", state="detached", timeout=5_000)
    assert not tooltip.is_visible()
    v.assert_clean()


@pytest.mark.parametrize("which", ["district", "commune"])
def test_vietnamese_text_arrives_intact(site, visit, which):
    unit = _page_key(site, which)
    name = site.names[unit]
    v = visit(site.url(unit))
    v.wait_for_charts()
    page = v.page
    assert page.evaluate("document.characterSet") == "UTF-8"
    assert page.locator("h1").first.inner_text() == name
    assert page.locator(".banner").first.inner_text() == BANNER
    body = page.locator("body").inner_text()
    assert unicodedata.normalize("NFC", body) == body
    assert not MOJIBAKE.search(body), MOJIBAKE.search(body)
    for words in ("Tổng điểm", "Xếp hạng", "Sáu nhóm chỉ số", "Điểm"):
        assert words in body
    if which == "district":
        assert name.startswith("UBND huyện") or site.district != PREFERRED_DISTRICT
    # chart text is drawn by Vega into the SVG: axis titles keep their diacritics too
    chart_text = page.locator(VIEW).first.locator("text").all_text_contents()
    assert "Điểm" in chart_text, chart_text
    title = page.title()
    assert title.startswith(name) and not MOJIBAKE.search(title)
    v.assert_clean()


def test_index_search_ignores_diacritics_and_links_to_the_unit_page(site, visit):
    name = site.names[site.commune]
    query = "phat tich" if "Phật Tích" in name else plain(name.split(" ", 2)[-1])
    assert query != name.split(" ", 2)[-1].lower(), "pick a name with diacritics: the test would prove nothing"
    v = visit(site.url("index"))
    page = v.page
    assert page.locator(".banner").first.inner_text() == BANNER
    rows = page.locator("table tbody tr")
    total = rows.count()
    assert total == len(site.names)  # one ranking row per unit
    page.locator("#search").fill(query)
    shown = [t for t in rows.evaluate_all("rs => rs.filter(r => r.style.display !== 'none').map(r => r.textContent)")]
    assert shown and all(plain(query) in plain(t) for t in shown), shown
    assert any(name in t for t in shown), f"{name!r} not among the rows left by {query!r}: {shown}"
    assert len(shown) < total
    # đ/Đ is a letter of its own (NFD does not split it): it must still match a plain d
    with_d = next((n for n in site.names.values() if "Đ" in n.split(" ", 2)[-1]), None)
    if with_d:
        page.locator("#search").fill(plain(with_d.split(" ", 2)[-1]))
        shown_d = rows.evaluate_all("rs => rs.filter(r => r.style.display !== 'none').map(r => r.textContent)")
        assert any(with_d in t for t in shown_d), (with_d, shown_d)
        page.locator("#search").fill(query)
    page.locator("#search").fill("")
    assert rows.evaluate_all("rs => rs.filter(r => r.style.display === 'none').length") == 0

    page.locator("#search").fill(query)
    link = page.get_by_role("link", name=name, exact=True)
    assert link.count() == 1
    link.click()
    page.wait_for_url(site.url(site.commune))
    assert page.locator("h1").first.inner_text() == name
    v.wait_for_charts()
    assert page.locator(VIEW).count() == v.chart_count() > 0

    page.go_back()
    page.get_by_role("link", name="Tổng quan toàn tỉnh").click()
    page.wait_for_url(site.url(OVERVIEW_KEY))
    v.wait_for_charts()
    assert page.locator(VIEW).count() == v.chart_count() > 0
    v.assert_clean()


def test_every_link_on_the_overview_leads_to_a_page(site, visit):
    v = visit(site.url(OVERVIEW_KEY))
    hrefs = v.page.locator("a[href$='.html']").evaluate_all("as => as.map(a => a.href)")
    assert hrefs
    missing = sorted({h for h in hrefs if not Path(url2pathname(urlparse(h).path)).exists()})
    assert missing == [], f"{len(missing)} links to missing pages, e.g. {missing[:3]}"
