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
# # Data quality: what is wrong in the records, and what it may cost in points
# Thin by design: every number comes from `chiso.quality`; this notebook only displays it.

# %% tags=["parameters"]
data = "../data/demo"
period = "latest"
lang = "vi"
methodology = ""

# %%
from IPython.display import HTML, display

from chiso import charts, quality

charts.enable()
rep = quality.load_report(data, period, lang, methodology or None)
display(HTML(quality.header_html(rep)))

# %%
display(HTML(quality.summary_html(rep)))

# %%
display(quality.points_chart(rep))

# %%
display(HTML(quality.province_html(rep)))

# %%
display(HTML(quality.quarantine_html(rep)))

# %%
display(HTML(quality.definitions_html(rep.lang)))
