#!/usr/bin/env bash
# External check of a FhirRisk model on the MIMIC-IV demo (100 real ICU patients, FHIR R4 NDJSON), with the fhirrisk CLI
# only: ingest -> labels -> tokenize with the model's tokenizer -> heads on every labelled point of every split ->
# zero-shot rollouts for hospital_mortality -> evaluate with 95% patient-bootstrap intervals.
# docs/demo-model.md, "External check: MIMIC-IV demo", records one run and says how to read it.
#
# usage: tools/external/mimic-demo-eval.sh <out-dir>     (a new or empty folder)
# environment (all optional):
#   FHIRRISK_EXTERNAL_DATA  the external corpus (default <repo>/../shared/data); the FHIR files are
#                           mimic-iv-demo/mimic-iv-fhir-demo-2.1.0/fhir under it
#   MODEL                   the finetuned model directory with heads.json (default models/demo); rollouts use MODEL/pretrained
#   ROLLOUTS                rollouts per stay for hospital_mortality (default 20; 0 skips the rollouts)
#   BOOTSTRAP               bootstrap replicates of the intervals (default 1000)
#   THREADS                 compute threads (default: all cores)
#   SEED                    the rollouts' and the bootstrap's seed (default 1)
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 <out-dir>" >&2
    exit 2
fi
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
if [[ -n "$(ls -A "$out")" ]]; then
    echo "error: '$out' is not empty." >&2
    echo "hint: pass a new or empty folder." >&2
    exit 2
fi
data="$(realpath -m "${FHIRRISK_EXTERNAL_DATA:-$repo/../shared/data}")"
fhir="$data/mimic-iv-demo/mimic-iv-fhir-demo-2.1.0/fhir"
model="$(cd "$repo" && cd "${MODEL:-models/demo}" && pwd)"
rollouts="${ROLLOUTS:-20}"
bootstrap="${BOOTSTRAP:-1000}"
threads="${THREADS:-$(nproc)}"
seed="${SEED:-1}"
if [[ ! -d "$fhir" ]]; then
    echo "error: no MIMIC-IV demo FHIR folder at '$fhir'." >&2
    echo "hint: set FHIRRISK_EXTERNAL_DATA to the folder holding mimic-iv-demo/." >&2
    exit 2
fi
if [[ ! -f "$model/heads.json" ]]; then
    echo "error: '$model' has no heads.json." >&2
    echo "hint: set MODEL to a finetuned model directory (fhirrisk finetune, fhirrisk demo-model)." >&2
    exit 2
fi

mkdir -p "$out/logs"
dotnet build "$repo/src/FhirRisk.Cli" -c Release -v q -nologo > "$out/logs/build.log"
# step <log name> <fhirrisk arguments>: runs one verb, its output in logs/<log name>.log, and prints its last lines.
step() {
    local log="$out/logs/$1.log"
    shift
    echo "== fhirrisk $*" | tee -a "$out/logs/commands.txt"
    local start=$SECONDS
    dotnet run -c Release --no-build --project "$repo/src/FhirRisk.Cli" -- "$@" > "$log" 2>&1 || { cat "$log" >&2; exit 1; }
    tail -n 2 "$log"
    echo "   ($((SECONDS - start)) s)"
}

step ingest ingest "$fhir" --out "$out/meds"
step labels labels "$out/meds" --task all --out "$out/labels"
# The demo vocabulary knows about 5 % of MIMIC's codes; tokenize refuses more than 50 % unknown unless told it is deliberate.
step tokenize tokenize "$out/meds" --tokenizer "$model" --out "$out/tokens" --allow-unknown-codes
step predict-heads predict --method heads --model "$model" --tokens "$out/tokens" --labels "$out/labels" --task all --split all \
    --threads "$threads" --out "$out/heads"
step evaluate-heads evaluate "$out/heads/heads.predictions.parquet" --out "$out/report-heads" --bootstrap "$bootstrap" --seed "$seed"
if [[ "$rollouts" -gt 0 ]]; then
    # The rollouts may leave out a stay none of whose rollouts settled, so they get a report of their own.
    step predict-rollouts predict --method rollouts --model "$model/pretrained" --tokens "$out/tokens" --labels "$out/labels" \
        --task hospital_mortality --split all --rollouts "$rollouts" --seed "$seed" --threads "$threads" --out "$out/rollouts"
    step evaluate-rollouts evaluate "$out/rollouts/rollouts.predictions.parquet" --out "$out/report-rollouts" --bootstrap "$bootstrap" --seed "$seed"
fi

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git -C "$repo" rev-parse HEAD)$(git -C "$repo" diff --quiet HEAD -- src models || echo ' (with uncommitted changes)')"
    echo "model: $model (model.safetensors sha256 $(sha256sum "$model/model.safetensors" | cut -c1-16))"
    echo "data: $fhir"
    echo "settings: rollouts=$rollouts bootstrap=$bootstrap threads=$threads seed=$seed"
    echo "machine: $(uname -srm); $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); $(free -g | awk '/Mem:/ {print $2}') GB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "dotnet: $(dotnet --version)"
    grep -h "Vocabulary coverage" "$out/logs/tokenize.log"
} > "$out/run.txt"
cat "$out/run.txt"
echo "reports: $out/report-heads/summary.md$([[ "$rollouts" -gt 0 ]] && echo " $out/report-rollouts/summary.md")"
