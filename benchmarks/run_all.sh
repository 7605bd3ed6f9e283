#!/usr/bin/env bash
# Runs every table of docs/BENCHMARKS.md's benchmark suite on this machine, in one go, with PyTorch beside us:
# all models, modes, levels and published batch sizes. Each step writes report.{txt,md,csv,json} and its PNG
# plots into docs/bench/<step>/ and prints how long it took; run it in a quiet window (nothing else running:
# `ps aux | grep java`, `uptime`).
#
#   benchmarks/run_all.sh             # everything (estimated about 45 minutes on 2 quiet cores; each step prints its own time)
#   benchmarks/run_all.sh --dry-run   # print the commands and the estimates only
#   benchmarks/run_all.sh dense zoo-memory   # only the named steps
#
# BENCH overrides the command (default ./mithril bench), e.g. to run a jar built elsewhere:
#   BENCH="java --add-modules jdk.incubator.vector -Xmx14g -jar benchmarks/target-x/mithril.jar bench" benchmarks/run_all.sh
# OUT overrides the folder (default docs/bench); PEERS the peers (default "--peers torch"; PEERS= for none).
# The JVM gets a 14 GiB heap (MITHRIL_JAVA_OPTS, read by ./mithril) instead of the default quarter of the memory,
# for the zoo models' training steps. A subject that still runs out of heap becomes a note in its report.
#
# Estimates: per-call times from the quiet-machine figures of docs/BENCHMARKS.md (ResNet-18 about 45 ms per image
# in inference, the decoder about 75 ms per sequence, a training step about 3x inference), times the calls each
# step makes, plus compiling each subject and starting PyTorch; short runs of every step at batch 1 checked that
# each one works.
#
# Training at the largest batches (ResNet-18 at 128, ResNet-50 at 32, the decoder at 64) fits the 14 GiB heap since a
# Full training step allocates no buffer (its planned buffers are all it holds); before, a step allocated 160-435 MB
# per image or sequence and those rows were left out.
#
# Inference first runs the warm-up calls of the best level and of the hand-written model once, untimed, at each
# batch size, so that neither of the compared pair is timed while the JIT still compiles the kernels they share.
# The protocol is the published one (warm-up calls, then timed calls, the median reported), with 100 warm-up and
# 30 timed calls for linear and mlp (see the dense step). The zoo models take seconds per call, so their steps use
# fewer, and the heaviest rows fewer still; each step's command line, printed as it starts, says how many:
#   resnet18 at batch 1 and 32, all levels:          30 warm-up, 5 timed (with fewer, batch 1 still runs some
#                                                    convolution kernels interpreted: 2 measured 14-20 img/s, 10 about 38)
#   resnet18 at batch 128, Full only:                1 warm-up, 3 timed  (the levels table uses batch 1 and 32)
#   resnet50 at batch 32, all levels, inference:     1 warm-up, 3 timed; its training at batch 32, Full: 1 and 3
#   transformer at batch 1 and 16, all levels:       1 warm-up, 3 timed
#   transformer at batch 64, Full only:              1 warm-up, 3 timed
#   generation at batch 1 and 16, all levels:        1 warm-up, 3 timed; at batch 64, Full only: 1 warm-up, 2 timed
#   memory of the zoo models:                        15 warm-up (so that the JIT has compiled the kernels: until then the
#                                                    Vector API allocates its vectors; with 3, ResNet-18's inference still
#                                                    allocated 27 MB a call, 0.15 MB after 15), 2 calls around which memory is probed
#   scaling of the zoo models:                       1 warm-up, 2 timed
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH=${BENCH:-./mithril bench}
export MITHRIL_JAVA_OPTS=${MITHRIL_JAVA_OPTS:--Xmx14g}
OUT=${OUT:-docs/bench}
PEERS=${PEERS---peers torch}
DRY=0
ONLY=()
for a in "$@"; do
  case "$a" in
    --dry-run) DRY=1 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) ONLY+=("$a") ;;
  esac
done

# step NAME ESTIMATE_MINUTES ARGS...: one bench run into $OUT/NAME
TOTAL_EST=0
step() {
  local name=$1 est=$2
  shift 2
  if [ ${#ONLY[@]} -gt 0 ] && [[ ! " ${ONLY[*]} " == *" $name "* ]]; then return; fi
  TOTAL_EST=$((TOTAL_EST + est))
  # shellcheck disable=SC2086 # BENCH and PEERS are word lists on purpose
  echo "== $name (about $est min): $BENCH $* $PEERS --format markdown --out $OUT/$name"
  [ "$DRY" = 1 ] && return
  mkdir -p "$OUT/$name"
  local start=$SECONDS
  # shellcheck disable=SC2086
  $BENCH "$@" $PEERS --format markdown --out "$OUT/$name" > "$OUT/$name/stdout.md"
  echo "   done in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
}

echo "run_all: $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
ps -eo pid,pcpu,args | awk '$2 > 20 && !/awk|run_all/' | head -5 | cut -c1-120 | sed 's/^/   busy: /' || true

# Linear and MLP at batch sizes 32, 128, 1024: 100 warm-up calls and 30 timed (with the default 20, the first
# subject measured can still be running C2's code for part of its timed calls: MLP Full at batch 32 measured 1.6k
# samples/s after 20 warm-ups and 30.7k after 200, on a loaded machine); compile times with fewer, as each
# build-time compile runs javac.
step dense 5            --model linear,mlp --mode inference,training,memory,scaling --level all --warmup 100 --runs 30
step dense-compile 2    --model linear,mlp --mode compile --level all --warmup 5 --runs 10

# ResNet-18: compile times and the levels table at batch 1 and 32; batch 128 at Full only, fewest runs. 30 warm-up
# calls: with 10, Full at batch 1 (measured first) was still warming up (35.5 img/s, then 47.1 after 40).
step resnet18 12        --model resnet18 --batch-sizes 1,32 --mode compile,inference,training --level all --warmup 30 --runs 5
step resnet18-b128 6    --model resnet18 --batch-sizes 128 --mode inference,training --level full --warmup 1 --runs 3

# ResNet-50 at batch 32: the published cross-framework and optimization-level table.
step resnet50 4         --model resnet50 --mode compile,inference --level all --warmup 1 --runs 3
step resnet50-training 4 --model resnet50 --batch-sizes 32 --mode training --level full --warmup 1 --runs 3

# The decoder (6 layers, 8 heads, width 512, sequence 128).
step transformer 3      --model transformer --batch-sizes 1,16 --mode compile,inference,training --level all --warmup 1 --runs 3
step transformer-b64 5  --model transformer --batch-sizes 64 --mode inference,training --level full --warmup 1 --runs 3

# Generation: tokens/s and latency per token, KV cache and no cache (no peer in this mode), and memory and thread
# scaling of the zoo models at one batch size each (no peer in those modes either).
PEERS_SAVED=$PEERS; PEERS=""
step generation 3       --model transformer --batch-sizes 1,16 --mode generation --level all --warmup 1 --runs 3
step generation-b64 3   --model transformer --batch-sizes 64 --mode generation --level full --warmup 1 --runs 2
step zoo-memory 4       --model resnet18,resnet50,transformer --batch-sizes 8 --mode memory --level full --warmup 15 --runs 2
step zoo-scaling 1      --model resnet18,resnet50,transformer --batch-sizes 8 --mode scaling --level full --warmup 1 --runs 2

# ND4J (the optional backend; ./mithril adds its class path): its rows, the hand-written ND4J twin and the overhead table.
step nd4j 3             --model linear,mlp --backend nd4j --mode inference,training --level all --warmup 100 --runs 30
PEERS=$PEERS_SAVED

echo "run_all: estimated $TOTAL_EST min in all; reports and plots under $OUT/<step>/"
