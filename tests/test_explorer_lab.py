"""The explorer in a real JupyterLab: started headless in the test (token auth, loopback only),
opened in Debian's Chromium via Playwright with every non-loopback request blocked; all cells run,
another unit is picked, the what-if slider is moved."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import pytest

from chiso.batch import NOTEBOOKS
from chiso.demo import generate_to

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run 'apt-get update && apt-get install -y chromium'")
    root = tmp_path_factory.mktemp("lab")
    data = generate_to(root / "data", scale=0.05, months=2)
    last = json.loads((data / "dataset.json").read_text(encoding="utf-8"))["last_month"]
    nb = jupytext.read(NOTEBOOKS / "explorer.py")
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = (f'unit_id = "H27.36"\nperiod = "{last}"\ndata_dir = "{data}"\nlang = "vi"\n'
                           f'export_dir = "{root / "exports"}"\n')
    jupytext.write(nb, root / "explorer.ipynb", fmt="ipynb")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / ".config"), JUPYTER_RUNTIME_DIR=str(root / ".runtime"))
    jupyter = Path(sys.executable).with_name("jupyter")
    log = open(root / "server.log", "w")  # noqa: SIM115 — closed in the finally below
    server = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", "--allow-root", f"--ServerApp.token={token}", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.terminate()
        server.wait(20)
        log.close()


def test_explorer_runs_in_jupyterlab_and_reacts(lab):
    from playwright.sync_api import sync_playwright

    base, token = lab
    outside, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith((base, "data:", "blob:"))
                   else (outside.append(r.request.url), r.abort()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/lab/tree/explorer.ipynb?token={token}")
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=90_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        page.wait_for_selector(".widget-dropdown select", timeout=90_000)
        card = page.locator(".widget-html").filter(has_text="Tổng điểm").first
        card.wait_for()
        assert "UBND huyện Gia Bình" in card.inner_text()
        page.wait_for_function("() => document.querySelectorAll('.vega-embed svg').length >= 5", timeout=30_000)
        charts_before = page.locator(".vega-embed svg").evaluate_all("s => s.map(x => x.innerHTML).join('')")

        page.locator(".widget-dropdown select").first.select_option(label="Cấp huyện · UBND huyện Lương Tài")
        page.wait_for_function("() => document.body.innerText.includes('UBND huyện Lương Tài —')", timeout=30_000)
        assert "UBND huyện Lương Tài" in page.locator(".widget-html").filter(has_text="Tổng điểm").first.inner_text()
        page.wait_for_timeout(1000)
        charts_after = page.locator(".vega-embed svg").evaluate_all("s => s.map(x => x.innerHTML).join('')")
        assert charts_after != charts_before

        total = page.locator(".chiso-whatif-total").first
        before = total.inner_text()
        handle = page.locator(".widget-slider .noUi-handle").first
        handle.focus()
        for _ in range(10):
            handle.press("ArrowRight")
        page.wait_for_function("b => document.querySelector('.chiso-whatif-total').innerText !== b", arg=before,
                               timeout=30_000)
        assert total.inner_text() != before
        browser.close()
    assert outside == [], outside[:5]
    assert errors == [], errors[:5]
