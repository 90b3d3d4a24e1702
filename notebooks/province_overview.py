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
# # Province overview: one period
# Rankings per unit kind, the distribution of scores, the biggest movers with their main driver,
# the district × group heat map and the province trend. All numbers come from `chiso`.

# %% tags=["parameters"]
period = "2025-06"
baseline = ""
data_dir = "../data/demo"
lang = "vi"
linked_units = "all"

# %%
from IPython.display import HTML, display

from chiso import charts, report

charts.enable()
ctx = report.report_context(data_dir, period, baseline, lang)
linked = report.linked_set(linked_units)
display(HTML(report.title_block(ctx)))

# %%
display(HTML(report.heading(ctx, "ranking") + report.ranking_tables(ctx, linked)))

# %%
display(HTML(report.heading(ctx, "distribution") + report.distribution_section(ctx)))

# %%
display(HTML(report.heading(ctx, "movers") + report.movers_section(ctx, linked=linked)))

# %%
display(HTML(report.heading(ctx, "heatmap") + report.heatmap_section(ctx)))

# %%
display(HTML(report.heading(ctx, "province_trend") + report.province_trend_section(ctx)))
