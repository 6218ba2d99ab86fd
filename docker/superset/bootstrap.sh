#!/usr/bin/env bash
# Prepares Superset's metadata, the admin user and the CHIS warehouse dashboard, then serves on :8088.
# Safe to run at every start: the upgrade and init are idempotent, the admin is created once, and the
# dashboard import overwrites the shipped charts by uuid (charts you add yourself are kept).
set -euo pipefail
superset db upgrade
superset fab create-admin --username "${SUPERSET_ADMIN_USER:-admin}" --firstname CHIS --lastname Admin \
  --email admin@chis.local --password "${SUPERSET_ADMIN_PASSWORD:?set SUPERSET_ADMIN_PASSWORD}" || true
superset init
# the CLI imports a ZIP of the export folder (metadata.yaml, databases/, datasets/, charts/, dashboards/)
(cd /app/chis && python -c "import shutil; shutil.make_archive('/tmp/chis_warehouse', 'zip', '/app/chis', 'chis_warehouse')")
superset import-dashboards --path /tmp/chis_warehouse.zip --username "${SUPERSET_ADMIN_USER:-admin}"
exec gunicorn --bind 0.0.0.0:8088 --workers 2 --timeout 120 "superset.app:create_app()"
