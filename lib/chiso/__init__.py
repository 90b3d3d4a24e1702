"""chiso: Vietnam's service-to-citizens index (Decision 766/QĐ-TTg) per unit and period.

Data flows one way: load (contract) → count (counts) → score (scoring); periods and working days
are shared helpers, the methodology file drives every number.
"""

__version__ = "0.1.0"
