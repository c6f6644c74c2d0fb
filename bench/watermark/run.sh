#!/usr/bin/env bash
# Reproduces the watermark figures in docs/watermark.md: 200 marked clips × every attack (100 corpus clips when the
# corpus exists, the rest synthesised), 10,000 unmarked clips, speed on 60 s. Writes bench/watermark/results.json and
# prints the table. About 25 minutes on one thread of the 2-core dev machine.
# CORPUS=DIR picks another folder of audio/video files; extra arguments pass through (e.g. --threads 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${CORPUS:-.v2a/train-default/corpus/clips}"
folder=()
if [ -d "$corpus" ]; then
  folder=(--folder "$corpus" --folder-clips 100)
fi
dotnet build src/V2a.Cli -c Release -nologo -v:q -clp:ErrorsOnly
src/V2a.Cli/bin/Release/net10.0/v2a watermark bench --clips 200 --unmarked 10000 --threads 1 "${folder[@]}" \
  --out bench/watermark/results.json "$@"
