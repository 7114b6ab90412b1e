#!/usr/bin/env bash
# The GPU benchmark of issue 7: `bench rollout` with FhirRisk on the Torch backend on CUDA, beside the PyTorch peer
# on the same GPU (docs/benchmarks.md, "On a GPU").
#
#   tools/device/gpu-bench.sh pack   # here (needs .NET): a self-contained bench in artifacts/bench-linux-x64.tgz
#   tools/device/gpu-bench.sh run    # on the GPU machine (PyTorch with CUDA, cmake, a C++ compiler; no .NET):
#                                    # unpacks it, builds the ATen shim against that PyTorch, runs the bench, and
#                                    # copies the output to $OUT (default: bench-out/)
#
# The packed bench is about 35 MB; carry artifacts/bench-linux-x64.tgz to the GPU machine with the working tree.
# FHIRRISK_BENCH_DEVICE (default cuda) picks the device, so `run` can be tried on a CPU machine with libtorch;
# FHIRRISK_BENCH_QUICK=1 passes --quick.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
package="$root/artifacts/bench-linux-x64.tgz"

case "${1:-}" in
  pack)
    rm -rf "$root/artifacts/bench-linux-x64"
    dotnet publish "$root/bench/FhirRisk.Bench" -c Release -r linux-x64 --self-contained true -o "$root/artifacts/bench-linux-x64" >/dev/null
    tar -C "$root/artifacts" -czf "$package" bench-linux-x64
    echo "$package ($(du -h "$package" | cut -f1))"
    ;;
  run)
    out="${OUT:-$root/bench-out}"
    mkdir -p "$out"
    [[ -f "$package" ]] || { echo "gpu-bench: $package is missing; run 'tools/device/gpu-bench.sh pack' first and carry it" >&2; exit 2; }
    work="$(mktemp -d)"
    tar -C "$work" -xzf "$package"
    {
      echo "== machine"
      nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
      python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "(no GPU)")' || true
      nproc
    } | tee "$out/machine.txt"
    library="$("$root/native/build.sh" "$work/native" | tail -1)"
    export FHIRRISK_TORCH_NATIVE="$library"
    export FHIRRISK_BENCH_PYTHON="${FHIRRISK_BENCH_PYTHON:-$(command -v python3)}"
    export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="${DOTNET_SYSTEM_GLOBALIZATION_INVARIANT:-1}"
    cd "$root"
    status=0
    device="${FHIRRISK_BENCH_DEVICE:-cuda}"
    "$work/bench-linux-x64/FhirRisk.Bench" rollout --torch "$device" ${FHIRRISK_BENCH_QUICK:+--quick} 2>&1 | tee "$out/rollout-$device.txt" || status=$?
    exit "$status"
    ;;
  *)
    echo "usage: tools/device/gpu-bench.sh pack|run" >&2
    exit 2
    ;;
esac
