#!/usr/bin/env bash
# Evaluates a training run's latest checkpoint while the run goes on (or after it stopped), without touching it:
#   1. copies the checkpoint into a scratch run folder beside OUT,
#   2. "resumes" it for zero steps there, which writes a model package from its EMA weights (card, ledger),
#   3. runs the model card's evaluation on it (2 seeds, prompt tests on) on the first CLIPS held-out clips: 16 by
#      default (about 2 min; the figures of the card's checkpoint table), 0 for all 94 as the card measures (about 11 min).
# Usage: scripts/eval-checkpoint.sh RUN SHARDS CORPUS OUT [CLIPS]
#   RUN     a 'v2a train --out' folder          SHARDS  the shards it trains on (their val split is held out)
#   CORPUS  the corpus the shards came from     OUT     where the package (OUT/model), eval.json and report go
# Settings (environment): V2A (the CLI to run, default ./v2a; point it at a copy of the build while you rebuild),
#   SEEDS (candidates a clip, default 2; the card's 94-clip figures use 1), BASELINE (an eval.json on the same clips, e.g.
#   models/default/eval/eval.json: the result is compared with it clip by clip, 'v2a eval compare', into OUT/compare.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:?usage: eval-checkpoint.sh RUN SHARDS CORPUS OUT [CLIPS]}
shards=${2:?shards folder}
corpus=${3:?corpus folder}
out=${4:?output folder}
clips=${5:-16}
v2a=${V2A:-./v2a}
seeds=${SEEDS:-2}
baseline=${BASELINE:-}
[ -z "$baseline" ] || [ -f "$baseline" ] || { echo "eval-checkpoint: BASELINE $baseline: no such file" >&2; exit 2; }

ckpt=$(cat "$run/latest")
step=$((10#${ckpt#ckpt-}))
scratch="$out/run"
rm -rf "$scratch"
mkdir -p "$scratch"
cp -r "$run/$ckpt" "$scratch/"
cp "$run/latest" "$scratch/latest"
[ -f "$run/train.jsonl" ] && cp "$run/train.jsonl" "$scratch/train.jsonl"
"$v2a" train --data "$shards" --out "$scratch" --resume --stop-at "$step" >/dev/null
rm -rf "$out/model"
mv "$scratch/model" "$out/model"
rm -rf "$scratch"
"$v2a" eval --model "$out/model" --data "$corpus" --shards "$shards" --split val --clips "$clips" --seeds "$seeds" \
  --json "$out/eval.json" --report "$out/report"
if [ -n "$baseline" ]; then
  "$v2a" eval compare "$baseline" "$out/eval.json" | tee "$out/compare.txt"
fi
echo "eval-checkpoint: step $step of $run evaluated into $out (eval.json, report/${baseline:+, compare.txt})"
