#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Measures a kernel table on this machine's GPU: builds dsim-calibrate standalone, times the list's GEMM and memory
# kernels, then its attention kernels through PyTorch. Needs CUDA (nvcc), CMake, a nlohmann/json header (found by
# CMake, or in .devdeps/include) and, for attention, Python with PyTorch. Changes no GPU setting.
#
#   calibration/cuda/run_calibration.sh OUT_DIR [KERNEL_LIST]
#
# Leaves OUT_DIR/table.json and the logs build.log, calibrate.log, attention.log, gpu-before.log, gpu-after.log.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 OUT_DIR [KERNEL_LIST]   (default list: calibration/lists/v3.json)" >&2
  exit 2
fi
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$1"
list="${2:-$repo/calibration/lists/v3.json}"
[[ -r "$list" ]] || { echo "$0: cannot read the kernel list '$list'" >&2; exit 2; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"
build="${DSIM_CAL_BUILD_DIR:-$repo/build/cal-device}"

# Read-only GPU state (clocks, power, throttling) before and after, to judge whether the numbers are trustworthy.
gpu_state() {
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --format=csv \
      --query-gpu=name,driver_version,pstate,temperature.gpu,power.draw,power.limit,clocks.sm,clocks.max.sm,clocks.mem ||
      true
    nvidia-smi -q -d CLOCK,POWER,PERFORMANCE,TEMPERATURE || true
  else
    echo "nvidia-smi not found"
  fi
}
gpu_state >"$out/gpu-before.log" 2>&1

# CMake finds nvcc on PATH; the toolkit's usual home serves where PATH lacks it.
if ! command -v nvcc >/dev/null && [[ -x /usr/local/cuda/bin/nvcc && -z "${CUDACXX:-}" ]]; then
  export CUDACXX=/usr/local/cuda/bin/nvcc
fi
echo "== building dsim-calibrate into $build"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# Warnings are not errors here: another host compiler must not stop a measurement run.
{
  cmake -S "$repo/calibration/cuda" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DDSIM_WERROR=OFF
  cmake --build "$build" -j "$(nproc)"
} >"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; echo "$0: build failed; see $out/build.log" >&2; exit 1; }

echo "== timing GEMM and memory kernels of $list"
rm -f "$out/table.json"  # attention must never be added to a table left by an earlier run
status=0
set +e
"$build/dsim-calibrate" --kernels "$list" --out "$out/table.json" 2>&1 | tee "$out/calibrate.log"
status=${PIPESTATUS[0]}
set -e
# 0: every kernel timed; 1: some not timed (the table has the rest); anything else: no table worth extending.
if [[ ! -f "$out/table.json" || ( $status -ne 0 && $status -ne 1 ) ]]; then
  echo "$0: dsim-calibrate wrote no usable table (exit $status); see $out/calibrate.log" >&2
  exit "$status"
fi

echo "== timing attention kernels with PyTorch"
attention_status=0
python3 "$repo/calibration/cuda/time_attention.py" --kernels "$list" --table "$out/table.json" 2>&1 |
  tee "$out/attention.log" || attention_status=$?
[[ $status -ne 0 ]] || status=$attention_status

gpu_state >"$out/gpu-after.log" 2>&1
echo "== GPU state after the run (full report in $out/gpu-after.log)"
head -2 "$out/gpu-after.log"
echo "== wrote $out/table.json (exit $status)"
exit "$status"
