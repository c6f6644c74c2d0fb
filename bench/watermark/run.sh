#!/usr/bin/env bash
# Reproduces the watermark figures in docs/watermark.md: 200 marked clips × every attack, 10,000 unmarked clips,
# speed on 60 s. Writes bench/watermark/results.json and prints the table. About 20 minutes on 2 cores.
# Extra arguments pass through, e.g. --folder /path/to/corpus to add real audio to both sets.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build src/V2a.Cli -c Release -nologo -v:q -clp:ErrorsOnly
src/V2a.Cli/bin/Release/net10.0/v2a watermark bench --clips 200 --unmarked 10000 --out bench/watermark/results.json "$@"
