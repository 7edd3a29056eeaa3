#!/bin/sh
# Nightly backup of the portal's database in pg_dump's custom format (restore: see README "Backups").
# Usage: deploy/backup.sh DATABASE_URL DIRECTORY    (libpq URL: postgresql://user@host:5432/portal)
set -eu
url=$1
dir=$2
mkdir -p "$dir"
file="$dir/po-portal-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --no-owner --file="$file.partial" "$url"
mv "$file.partial" "$file"
echo "$file"
