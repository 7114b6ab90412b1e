#!/usr/bin/env bash
# Builds libfhirrisk_torch.so: native/build.sh [build-dir]   (default: native/build)
# Finds Torch through `python3 -c 'import torch'` when that PyTorch ships its CMake package (pip, CUDA), else through
# Debian's libtorch-dev. Exit status 2 means a prerequisite is missing (the tests then skip); anything else non-zero
# is a failed build. Prints the library's path on success.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/build}"

missing() {
  echo "fhirrisk_torch: $*" >&2
  exit 2
}

torch_prefix() {
  local prefix
  if prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)" \
      && [[ -f "$prefix/Torch/TorchConfig.cmake" ]]; then
    echo "$prefix"
    return
  fi
  for prefix in "/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/cmake" /usr/lib/cmake /usr/share/cmake; do
    if [[ -f "$prefix/Torch/TorchConfig.cmake" ]]; then
      echo "$prefix"
      return
    fi
  done
  return 1
}

command -v cmake >/dev/null || missing "cmake not found (apt-get install cmake)"
command -v c++ >/dev/null || missing "no C++ compiler (apt-get install g++)"
prefix="$(torch_prefix)" || missing "no Torch CMake package: apt-get install libtorch-dev libopenblas-dev (CPU), or a PyTorch whose python3 can import torch"

jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -Wno-dev >&2
cmake --build "$build" --parallel "$jobs" >&2
echo "$build/libfhirrisk_torch.so"
