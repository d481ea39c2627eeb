#!/bin/sh
# Refresh the target from a saved model every day at $REFRESH_AT (UTC, HH:MM; default 02:00).
# REFRESH_AT=now refreshes once and exits with dbclone's exit code (for a first run or a test).
# The target comes from DBCLONE_TARGET_URL, the model from $MODEL, an optional config file from
# DBCLONE_CONFIG; extra arguments are passed to `dbclone refresh` (e.g. --scale 0.5).
set -u
model=${MODEL:-/models/model.json.gz}
at=${REFRESH_AT:-02:00}

refresh() {
    dbclone --log-json refresh "$model" "$@"
    code=$?
    [ "$code" -eq 0 ] || echo "{\"event\": \"refresh-failed\", \"exit_code\": $code}" >&2
    return "$code"
}

if [ "$at" = now ]; then
    refresh "$@"
    exit $?
fi
while :; do
    now=$(date -u +%s)
    next=$(date -u -d "today $at" +%s)
    [ "$next" -gt "$now" ] || next=$(date -u -d "tomorrow $at" +%s)
    sleep $((next - now))
    refresh "$@"
done
