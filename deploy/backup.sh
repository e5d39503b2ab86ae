#!/usr/bin/env bash
# Back up the platform: the PostgreSQL database (pg_dump, custom format) and the media
# folder (photos, attachments, import files) into one dated folder.
#
#   DATABASE_URL=postgres://… MEDIA_ROOT=/app/var/media deploy/backup.sh /backups/2026-12-06
#
# The key GOVERNANCE_PII_KEY is NOT in the backup (residents' ID and phone numbers are
# encrypted with it): keep it apart, offline. docs/deployment.md, "Backups".
set -euo pipefail
dest="${1:?usage: deploy/backup.sh DEST_FOLDER}"
: "${DATABASE_URL:?set DATABASE_URL (postgres://…)}"
: "${MEDIA_ROOT:?set MEDIA_ROOT (the uploaded files folder)}"
mkdir -p "$dest"
# pg_dump reads a consistent snapshot while the platform keeps running.
pg_dump --format=custom --no-owner --no-privileges --file="$dest/database.dump" --dbname="$DATABASE_URL"
if [ -d "$MEDIA_ROOT" ]; then
  tar --create --gzip --file="$dest/media.tar.gz" --directory="$MEDIA_ROOT" .
else
  tar --create --gzip --file="$dest/media.tar.gz" --files-from=/dev/null
fi
( cd "$dest" && sha256sum database.dump media.tar.gz > SHA256SUMS )
echo "backup written to $dest"
