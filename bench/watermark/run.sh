#!/usr/bin/env bash
# Reproduces the watermark figures in docs/watermark.md: 300 marked clips × every attack — 100 FoleyWorld corpus
# clips and 100 of v2a's own generated soundtracks when they exist (GENERATED, made without room tone or mark by
# ARGS=--no-room-tone bench/watermark/make-generated.sh .v2a/generated-quiet 100; the bench lays under each the room
# tone v2a generate would, keyed where it marks them), the rest synthesised — 10,000 unmarked clips, speed on 60 s.
# Writes bench/watermark/results.json and prints the table.
# About 30 minutes on one thread of the 2-core dev machine.
# CORPUS=DIR / GENERATED=DIR pick other folders of audio/video files; extra arguments pass through (e.g. --threads 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${CORPUS:-.v2a/train-default/corpus/clips}"
generated="${GENERATED:-.v2a/generated-quiet}"
folder=()
clips=100
if [ -d "$corpus" ]; then folder+=(--folder "$corpus"); clips=$((clips + 100)); fi
if [ -d "$generated" ]; then folder+=(--soundtracks "$generated"); clips=$((clips + 100)); fi
[ ${#folder[@]} -gt 0 ] && folder+=(--folder-clips 100)
dotnet build src/V2a.Cli -c Release -nologo -v:q -clp:ErrorsOnly
src/V2a.Cli/bin/Release/net10.0/v2a watermark bench --clips "$clips" --unmarked 10000 --threads 1 "${folder[@]}" \
  --out bench/watermark/results.json "$@"
