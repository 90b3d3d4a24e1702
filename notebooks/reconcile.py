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
# # Reconciliation with the national portal: one period
# Local counts beside the counts copied from the portal, differences largest first with their likely
# cause, and the total difference per unit. Thin by design: every number comes from `chiso.reconcile`.
# A sample portal file: `python scripts/make_portal_counts.py --data data/demo --period 2025-06
# --out output/demo/portal-counts-2025-06.csv`.

# %% tags=["parameters"]
data = "../data/demo"
portal = "../output/demo/portal-counts-2025-06.csv"
period = "2025-06"
lang = "vi"
methodology = ""

# %%
from IPython.display import HTML, display

from chiso import charts, reconcile

charts.enable()
view = reconcile.reconcile_view(data, portal, period, lang, methodology or None)
display(HTML(reconcile.header_html(view)))

# %%
display(HTML(reconcile.summary_html(view)))

# %%
display(reconcile.difference_chart(view))

# %%
display(HTML(reconcile.differences_html(view)))

# %%
display(HTML(reconcile.causes_html(lang)))
