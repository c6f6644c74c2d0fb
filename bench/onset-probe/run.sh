#!/usr/bin/env bash
# Builds and runs the onset probe (Program.cs) on FoleyWorld shards: how well a fresh small-preset visual encoder
# learns to find on-screen onsets, at the shards' frame size. Example (the figures in the model card):
#   ./v2a data prepare .v2a/train-default/corpus --out .v2a/shards64 --frame-size 64
#   bench/onset-probe/run.sh .v2a/shards64 .v2a/train-default/corpus 3e-4 1400 64
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build bench/onset-probe -c Release -nologo -v:q -clp:ErrorsOnly
exec bench/onset-probe/bin/Release/net10.0/onset-probe "$@"
