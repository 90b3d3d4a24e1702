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
# # Unit report: one unit, one period
# Thin by design: every number comes from `chiso`; this notebook only arranges and displays it.

# %% tags=["parameters"]
unit_id = "H27.36"
period = "2025-06"
baseline = ""
data_dir = "../data/demo"
lang = "vi"

# %%
from IPython.display import HTML, display

from chiso import charts, report

charts.enable()
ctx = report.report_context(data_dir, period, baseline, lang)
attr = report.unit_attribution(ctx, unit_id, "field")
display(HTML(report.title_block(ctx, unit_id) + report.score_card(ctx, unit_id)))

# %%
display(HTML(report.heading(ctx, "narrative") + report.narrative_section(attr)))

# %%
display(HTML(report.heading(ctx, "groups") + report.groups_section(ctx, unit_id)))

# %%
display(HTML(report.heading(ctx, "waterfall") + report.waterfall_section(ctx, attr)))

# %%
display(HTML(report.heading(ctx, "drivers_field") + report.drivers_section(ctx, unit_id, "field")))

# %%
display(HTML(report.heading(ctx, "drivers_procedure") + report.drivers_section(ctx, unit_id, "procedure")))

# %%
display(HTML(report.heading(ctx, "drivers_child") + report.drivers_section(ctx, unit_id, "child")))

# %%
display(HTML(report.heading(ctx, "indicators") + report.indicator_table(ctx, unit_id)))

# %%
display(HTML(report.heading(ctx, "points_left") + report.points_left_section(ctx, unit_id)))

# %%
display(HTML(report.heading(ctx, "at_risk") + report.at_risk_section(ctx, unit_id)))

# %%
display(HTML(report.heading(ctx, "trend") + report.trend_section(ctx, unit_id)))

# %%
display(HTML(report.heading(ctx, "quality") + report.data_quality_section(ctx, unit_id)))
