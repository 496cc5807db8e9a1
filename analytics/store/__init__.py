"""The store: the DuckDB connection and single writer (db), schema and migrations (schema), the registry of
units and targets (registry), backups and restore (backup, files), the demo park (demo), the Parquet lake (lake).

May import the ground floor, figures (the rollups its writer keeps, the KPIs a backup records) and access
(the admin checks and audit rows of the registry and backups); never ingest, meeting, the CLI or ui.
"""
