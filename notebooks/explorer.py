# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Explorer: a live working session
# Pick a unit and a period, compare with a baseline, drill from a group to its indicators to an
# indicator's segments, try a what-if ratio, list dossiers about to fall overdue, export the view.
# All logic is in `chiso.explorer` (tested); this notebook only shows the widgets.

# %% tags=["parameters"]
unit_id = "H27.36"
period = "2025-06"
data_dir = "../data/demo"
lang = "vi"
export_dir = "../output/explorer"

# %%
from chiso import charts, report
from chiso.explorer import Explorer
from chiso.explorer_widgets import ExplorerUI

charts.enable()
explorer = Explorer(report.cached_explainer(data_dir), unit_id, period, lang)
ui = ExplorerUI(explorer, export_dir=export_dir)
ui.widget
