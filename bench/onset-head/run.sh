#!/usr/bin/env bash
# Builds and runs the onset-head scorer (Program.cs): a package's onset head, from the video alone, as a detector of a
# corpus's on-screen sharp onsets on the held-out clips of its shards — scored as `v2a eval` scores generated audio
# (the same reference onsets, set-aside stretches and ±50 ms matching), pooled and by class. Example:
#   bench/onset-head/run.sh models/default .v2a/train-default/shards64c .v2a/train-default/corpus
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build bench/onset-head -c Release -nologo -v:q -clp:ErrorsOnly
exec bench/onset-head/bin/Release/net10.0/onset-head "$@"
