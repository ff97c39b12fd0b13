#!/usr/bin/env bash
# Consistent copy of a polyq data directory (the default embedded store), taken while polyq
# runs or not:   bash scripts/backup.sh polyq-data /backups/polyq-2026-12-06
# Restore: start polyq with --store on the copy (or copy it into an empty directory first).
#
# Why this is safe while polyq writes: log segments are only appended to (the newest one) and
# only ever deleted oldest first. The copy holds every segment of one moment, the older ones
# whole and a prefix of the newest: exactly what a power cut at that moment would leave, which
# polyq recovers from (a cut-short last write is dropped; it was not yet acknowledged). A
# segment deleted by polyq during the copy was no longer needed, and neither was anything
# older; their copies are removed, so the backup has no gap.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 DATA_DIR DEST_DIR" >&2
  exit 2
fi
src=$1
dest=$2
if [ ! -d "$src" ]; then
  echo "backup: $src is not a directory" >&2
  exit 2
fi
if [ -e "$src/polyq.db" ]; then
  echo "backup: $src holds a format-1 (SQLite) store; this script copies the log-segment formats (2 and later)" >&2
  exit 2
fi
if [ -e "$dest" ] && [ -n "$(ls -A "$dest")" ]; then
  echo "backup: $dest exists and is not empty" >&2
  exit 2
fi
mkdir -p "$dest"

list() { (cd "$src" && ls | grep -E '^log-[0-9]{20}\.pq$' | sort || true); }

# Segments older than the newest are immutable: copied once. The newest is copied again on
# every pass until a pass ends with no new segment started meanwhile, so that the copy ends
# with the newest segment of one moment (whole copies of the others): a crash image.
declare -A whole=()
vanished=""
finished=""
for pass in $(seq 1 100); do
  segments=$(list)
  if [ -z "$segments" ]; then
    echo "backup: no log segments in $src (not a polyq data directory, or never started)" >&2
    exit 2
  fi
  newest=$(echo "$segments" | tail -n 1)
  for f in $segments; do
    [ -n "${whole[$f]:-}" ] && continue
    if cp "$src/$f" "$dest/$f" 2>/dev/null; then
      [ "$f" != "$newest" ] && whole[$f]=1
    elif [ ! -e "$src/$f" ]; then
      # Deleted by polyq meanwhile: it and everything older are not needed any more.
      [[ "$f" > "$vanished" ]] && vanished=$f
    else
      echo "backup: copying $src/$f failed" >&2
      exit 1
    fi
  done
  if [ "$(list | tail -n 1)" == "$newest" ]; then
    finished=1
    break
  fi
done
if [ -z "$finished" ]; then
  echo "backup: polyq started new segments faster than they could be copied (100 passes); try again, or stop polyq first" >&2
  exit 1
fi
if [ -n "$vanished" ]; then
  for f in "$dest"/log-*.pq; do
    name=$(basename "$f")
    if [[ "$name" < "$vanished" ]] || [ "$name" == "$vanished" ]; then
      rm -f "$f"
    fi
  done
fi
sync "$dest"/* 2>/dev/null || sync
copied=$(ls "$dest" | wc -l)
echo "backup: $copied log segments copied from $src to $dest"
