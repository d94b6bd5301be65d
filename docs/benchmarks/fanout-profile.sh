#!/usr/bin/env bash
# usage: fanout-profile.sh ARTEL_BIN LABEL [DELIVERIES_PER_S]
# Runs wsbench's run-artel.sh (one node on SQLite, rooms of 100, one fixed step of
# DELIVERIES_PER_S / 100 messages/s, default 20,000 deliveries/s) and perf-records the
# artel node for 8 s in the middle of the measured window. Needs a copy of
# ../shared/wsbench with its loader built (WSBENCH, default /tmp/wsbench-ff) and a
# release build of artel, ideally with RUSTFLAGS="-C force-frame-pointers=yes" so the
# call stacks unwind. Results in PROF_DIR/LABEL (default /tmp/ff-prof); see
# docs/benchmarks/fanout-profile.md and fanout-buckets.py.
set -u
ARTEL_BIN=$1; LABEL=$2; RATE_DELIV=${3:-20000}
OUTDIR=${PROF_DIR:-/tmp/ff-prof}/$LABEL; mkdir -p $OUTDIR
cd ${WSBENCH:-/tmp/wsbench-ff}
( MODES=sqlite ONLY=w1 ROOM_SIZES=100 CONNS=2000 START_DELIVERIES=$RATE_DELIV MAX_STEPS=1 DURATION=16 \
  SKIP_BUILD=1 ARTEL=$ARTEL_BIN OUT=$OUTDIR/results ./run-artel.sh > $OUTDIR/run.log 2>&1 ) &
RUN=$!
# wait for the loader of the measured run (the setup's server comes and goes first)
for i in $(seq 600); do pgrep -f "target/release/loadgen --adapter artel" >/dev/null && break; sleep 0.5; done
sleep 6
PID=$(pgrep -f "^$ARTEL_BIN serve" | head -1)
echo "artel pid $PID" > $OUTDIR/perf.log
perf record -F 997 -e cpu-clock -g -p $PID -o $OUTDIR/perf.data -- sleep 8 >> $OUTDIR/perf.log 2>&1
wait $RUN
perf report -i $OUTDIR/perf.data --no-children --stdio --sort symbol 2>/dev/null | grep -v "^$" | grep "%" | head -60 > $OUTDIR/top-self.txt
perf report -i $OUTDIR/perf.data --children --stdio --sort symbol -g none 2>/dev/null | grep "%" | head -80 > $OUTDIR/top-children.txt
echo done
