#!/usr/bin/env bash
# Makes the "generated" half of the watermark bench: v2a's own output, unmarked, for videos the default model never
# trained on. For N clips spread over a FoleyWorld corpus (default .v2a/corpus-ref, which ./v2a corpus make
# --out .v2a/corpus-ref --clips 900 --seed 1000 builds), runs `v2a generate` with the clip's first caption as the
# prompt, seed = the clip's index, --no-watermark, and writes OUT/<id>.wav. Resumable: clips already there are kept.
# Usage: bench/watermark/make-generated.sh [OUT=.v2a/generated-unmarked] [N=100]
# V2A=PATH runs another copy of the CLI (e.g. one that a rebuild of the tree will not overwrite mid-run); ARGS adds
# options to every `v2a generate` (e.g. ARGS=--no-room-tone for soundtracks the bench gives v2a's keyed room tone).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-.v2a/generated-unmarked}"
n="${2:-100}"
corpus="${CORPUS:-.v2a/corpus-ref}"
v2a="${V2A:-./v2a}"
[ -f "$corpus/meta.jsonl" ] || { echo "make-generated: no corpus at $corpus (meta.jsonl missing)" >&2; exit 2; }
mkdir -p "$out"
total=$(wc -l < "$corpus/meta.jsonl")
step=$(( total / n > 0 ? total / n : 1 ))
i=0; made=0
while IFS= read -r line && [ "$made" -lt "$n" ]; do
  if (( i % step == 0 )); then
    id=$(jq -r .id <<<"$line"); video=$(jq -r .video <<<"$line"); caption=$(jq -r '.captions[0] // ""' <<<"$line")
    if [ ! -f "$out/$id.wav" ]; then
      prompt=(); [ -n "$caption" ] && prompt=(--prompt "$caption")
      "$v2a" generate "$corpus/$video" -o "$out/$id.wav" "${prompt[@]}" --seed "$i" --no-watermark ${ARGS:-} >/dev/null
    fi
    made=$((made + 1))
    echo "make-generated: $made/$n $id" >&2
  fi
  i=$((i + 1))
done < "$corpus/meta.jsonl"
