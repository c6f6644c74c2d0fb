#!/usr/bin/env bash
# Builds and runs the tone probe (Program.cs): do a model's tonal sounds (impacts' rings, bells, drips, ticks, knocks,
# keyboard notes) ring like the real ones? Generates, with MODEL (default: the installed default) and seed 0, a
# soundtrack for every held-out clip of EVAL (an eval.json of `v2a eval`, default the model card's) whose true classes
# include a tonal one, its caption as the prompt, then measures. The figures in the model card:
#   bench/tone-probe/run.sh .v2a/train-default/corpus
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="$1"
eval_json="${EVAL:-models/default/eval/eval.json}"
work="${WORK:-.v2a/tone-probe}"
rm -rf "$work" && mkdir -p "$work/in"
python3 - "$eval_json" "$corpus" "$work/in" <<'PY'
import json, os, sys
tonal = {'impact_rubber', 'impact_wood', 'impact_metal', 'impact_stone', 'impact_glass', 'bell', 'water_drip', 'clock_tick', 'door_knock', 'keyboard_music'}
for c in json.load(open(sys.argv[1]))['per_clip']:
    if tonal & set(c['true_classes']):
        os.symlink(os.path.abspath(os.path.join(sys.argv[2], 'clips', c['id'] + '.mp4')), os.path.join(sys.argv[3], c['id'] + '.mp4'))
        open(os.path.join(sys.argv[3], c['id'] + '.prompt.txt'), 'w').write(c['caption'])
PY
./v2a generate "$work/in" -o "$work/out" --seed 0 ${MODEL:+--model "$MODEL"}
dotnet build bench/tone-probe -c Release -nologo -v:q -clp:ErrorsOnly
exec bench/tone-probe/bin/Release/net10.0/tone-probe "$corpus" "$work/out"
