#!/usr/bin/env bash
# Times a training step of the visual encoder at 64x64 and at 128x128 in 2x2 blocks, and its input stage alone.
#   bench/encoder-step/run.sh [REPS]
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build bench/encoder-step -c Release -nologo -v:q -clp:ErrorsOnly
exec bench/encoder-step/bin/Release/net10.0/encoder-step "$@"
