#!/bin/sh
# lock-balance vs Coccinelle's mini_lock.cocci on one kernel directory, one after the other in one run.
# usage: bench/lock_speed.sh [/path/to/linux] [dir]   (outputs go to /tmp)
set -e
TREE=${1:-/work/kernel/linux-source-6.1}
DIR=${2:-mm}
RK=${RK:-reviewkit}
cd "$TREE"
uptime
/usr/bin/time -f "reviewkit wall=%e user=%U sys=%S" \
  "$RK" scan --rule lock-balance --no-cache -j 2 -q -f json "$DIR" > /tmp/lock_speed_rk.json || true
/usr/bin/time -f "spatch wall=%e user=%U sys=%S" \
  spatch --sp-file scripts/coccinelle/locks/mini_lock.cocci -D report --very-quiet \
         --no-show-diff --no-includes --include-headers --dir "$DIR" --jobs 2 --chunksize 1 > /tmp/lock_speed_spatch.txt
echo "spatch reports: $(grep -c 'lock' /tmp/lock_speed_spatch.txt || true)"
