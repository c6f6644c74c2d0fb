#!/usr/bin/env bash
# Builds the default model end to end and installs it in models/default:
#   1. a FoleyWorld corpus      (v2a corpus make, resumable)
#   2. training shards          (v2a data prepare, 64x64 frames, split val=0.05 by clip id, annotated onsets and
#                                event classes)
#   3. the `small` preset       (v2a train from random weights seeing 64x64 frames, with an event path in the visual
#                                encoder, mirrored frames, the annotated sync loss and the event-class loss;
#                                checkpoints every 250 steps; --resume after a kill)
#   4. twice the clips          (the corpus extended to twice its size with the same seed — its first clips unchanged —
#                                prepared with the stage-3 package's vocabulary)
#   5. more training            (v2a train --init-from the stage-3 package on them, the video dropped in 30 % of the
#                                clips, 1,000 steps at lr 2.5e-4)
#   6. words for what is unseen (v2a train --init-from the stage-5 package on the same shards with --overlay 0.25: a
#                                quarter of the clips get another clip's rain, wind or fire and its caption mixed in;
#                                1,000 steps at lr 1e-4)
#   7. rings                    (v2a train --init-from the stage-6 package on the same shards with --tonal-weight 10:
#                                the flow loss weighed up to 11x on tonal lines, the rings of bells, glass, metal and
#                                notes; 1,000 steps at lr 1e-4)
#   8. the package              (RUN-rings/model → models/default: config, EMA weights, vocab, card, ledger)
# Every stage is resumable: run the script again after a kill and it continues where it stopped.
# The corpora are the current FoleyWorld's (1.2 since 2026-11-29: larger birds, knockers and bells, the same audio); the
# shipped default was trained on 1.1's pictures (models/default/MODEL_CARD.md, "What limits it", first entry).
# Settings (environment): V2A_TRAIN_WORK (work folder, default .v2a/train-default), V2A_TRAIN_CLIPS
# (corpus size, default 2000), V2A_TRAIN_STEPS (default 8000 ≈ 4.5–6 h on 2 cores at about 30 steps a minute; stage 4
# adds 2,000 more clips (12 min) and their shards (13 min), stages 5, 6 and 7 1,000 steps each, 0.6–0.8 h),
# V2A_TRAIN_SEED (default 1), V2A_TRAIN_FRAME_SIZE (frames the visual encoder sees, default 64; 32 is the preset's),
# V2A_TRAIN_SYNC_LOSS (weight of the onset head's loss, default 0.5; 0 turns it off), V2A_TRAIN_CLASS_LOSS (weight of
# the event-class head's loss, default 2; 0 turns it off).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${V2A_TRAIN_WORK:-.v2a/train-default}
clips=${V2A_TRAIN_CLIPS:-2000}
steps=${V2A_TRAIN_STEPS:-8000}
seed=${V2A_TRAIN_SEED:-1}
frame=${V2A_TRAIN_FRAME_SIZE:-64}
sync=${V2A_TRAIN_SYNC_LOSS:-0.5}
classes=${V2A_TRAIN_CLASS_LOSS:-2}
mkdir -p "$work"

./v2a corpus make --out "$work/corpus" --clips "$clips" --seed "$seed" --jobs 2

# Prepare unless the shards are complete and newer than the corpus (shards64c: with event classes).
shards="$work/shards${frame}c"
if [ ! -f "$shards/manifest.json" ] || [ "$work/corpus/meta.jsonl" -nt "$shards/manifest.json" ]; then
  ./v2a data prepare "$work/corpus" --out "$shards" --split val=0.05 --frame-size "$frame"
fi

resume=()
[ -f "$work/run-class/latest" ] && resume=(--resume)
./v2a train --data "$shards" --preset small --frame-size "$frame" --sync-loss "$sync" --visual-events 128 --mirror 0.5 \
  --class-loss "$classes" --out "$work/run-class" --steps "$steps" --checkpoint-every 250 --seed "$seed" "${resume[@]}"

# The wider corpus starts as hard links to the first one (the corpus writes every file anew, so the first is untouched).
[ -d "$work/corpus-wide" ] || cp -al "$work/corpus" "$work/corpus-wide"
./v2a corpus make --out "$work/corpus-wide" --clips $((2 * clips)) --seed "$seed" --jobs 2
wide="$work/shards-wide${frame}c"
if [ ! -f "$wide/manifest.json" ] || [ "$work/corpus-wide/meta.jsonl" -nt "$wide/manifest.json" ]; then
  ./v2a data prepare "$work/corpus-wide" --out "$wide" --split val=0.05 --frame-size "$frame" --vocab "$work/run-class/model"
fi

resume=()
[ -f "$work/run-wide/latest" ] && resume=(--resume)
./v2a train --data "$wide" --init-from "$work/run-class/model" --mirror 0.5 --sync-loss "$sync" --class-loss "$classes" \
  --drop-video 0.3 --out "$work/run-wide" --steps 1000 --lr 2.5e-4 --warmup 50 --checkpoint-every 250 --seed $((seed + 4)) "${resume[@]}"

resume=()
[ -f "$work/run-overlay/latest" ] && resume=(--resume)
./v2a train --data "$wide" --init-from "$work/run-wide/model" --overlay 0.25 --out "$work/run-overlay" --steps 1000 --lr 1e-4 \
  --warmup 50 --checkpoint-every 250 --seed $((seed + 5)) "${resume[@]}"

resume=()
[ -f "$work/run-rings/latest" ] && resume=(--resume)
./v2a train --data "$wide" --init-from "$work/run-overlay/model" --overlay 0.25 --tonal-weight 10 --out "$work/run-rings" \
  --steps 1000 --lr 1e-4 --warmup 50 --checkpoint-every 250 --seed $((seed + 6)) "${resume[@]}"

weights="$work/run-rings/model/model.safetensors"
size=$(stat -c %s "$weights")
if [ "$size" -gt 40000000 ]; then
  echo "train-default: $weights is $size bytes, over the 40 MB budget; not installed" >&2
  exit 1
fi
rm -rf models/.default-new
mkdir -p models
cp -r "$work/run-rings/model" models/.default-new
cp "$work/run-rings/loss.png" models/.default-new/loss.png
rm -rf models/default
mv models/.default-new models/default
echo "train-default: installed models/default ($(du -sh models/default | cut -f1)); fill in MODEL_CARD.md's evaluation with 'v2a eval'"
