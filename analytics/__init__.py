"""The core, in wings along the data's path; imports no streamlit, so the CLI and tests use it directly.

Ground floor (contract, settings, fmt, text, scope) → figures → access → store → ingest → meeting → cli:
each wing imports only wings before it (tests/test_wings.py reads the imports and holds this).
"""
