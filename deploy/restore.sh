#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh into an EMPTY database and media folder,
# then bring the schema up to this release's migrations.
#
#   DATABASE_URL=postgres://…/governance_restored MEDIA_ROOT=/app/var/media deploy/restore.sh /backups/2026-12-06
#
# Run it with the same GOVERNANCE_PII_KEY as the backed-up platform, or residents' ID
# and phone numbers stay unreadable. docs/deployment.md, "Backups".
set -euo pipefail
src="${1:?usage: deploy/restore.sh BACKUP_FOLDER}"
: "${DATABASE_URL:?set DATABASE_URL (postgres://…, an empty database)}"
: "${MEDIA_ROOT:?set MEDIA_ROOT}"
( cd "$src" && sha256sum --check --quiet SHA256SUMS )
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$DATABASE_URL" "$src/database.dump"
mkdir -p "$MEDIA_ROOT"
tar --extract --gzip --file="$src/media.tar.gz" --directory="$MEDIA_ROOT"
cd "$(dirname "$0")/.."
python manage.py migrate --noinput
echo "restored from $src"
