"""Meeting material: the theme, charts, the report paragraph (narrative), the deck as data (slides) and
the PNG and PPTX export.

May import the ground floor and figures; never the store, access, ingest, the CLI or ui.
"""
