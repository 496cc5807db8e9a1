"""The figures: KPI definitions (read side, :mod:`.kpis`), rollups (write side, :mod:`.rollups`), completeness,
the lists behind the filters, targets, 亩均 comparisons, tables. Imports the ground floor only.

Below the store on purpose: the store's single writer keeps the rollups and a backup records the KPIs,
and the same SQL runs over a Parquet lake or Spark, so the figures take a cursor and never open the
store. Every read-side function is also reachable here by name: ``getattr(figures, fn_name)`` is how the
page cache (``ui.cache.q``) and the meeting material (``narrative``) call them.
"""

from __future__ import annotations

from .annual_targets import (  # noqa: F401 - the read side by name
    TARGET_METRICS,
    progress,
    target_progress,
    targets,
)
from .compare import (  # noqa: F401 - the read side by name
    UP_IS_GOOD,
    comparable,
    comparisons,
    coverage,
    delta_color,
    landing_month,
    sector_comparison,
)
from .completeness import (  # noqa: F401 - the read side by name
    missing_reports,
    month_completeness,
    park_completeness,
)
from .kpis import (  # noqa: F401 - the read side by name
    SORTABLE,
    by_crop,
    greenhouse_type_counts,
    land_mu,
    monthly,
    monthly_total,
    park_kpis,
    park_kpis_many,
    ratios,
    scope_version,
    sector_kpis,
    sector_ratios,
    unit_histogram,
    unit_totals,
    yoy,
    zones_count,
)
from .lists import (  # noqa: F401 - the read side by name
    available_months,
    available_years,
    cooperatives,
    data_as_of,
    default_year,
    last_reports,
    towns,
    unit_names,
    villages,
    zones,
)
from .pending import has_pending, pending_version  # noqa: F401 - the 含待审核数据 overlay (ui.cache)
from .per_mu import (  # noqa: F401 - the read side by name
    PER_MU_GROUPS,
    cross_sector_per_mu,
    per_mu_by,
)
from .warnings import (  # noqa: F401 - the read side by name
    open_count,
    open_warnings,
    sows_light,
    sows_normal,
    warning_events,
)
