#!/usr/bin/env bash
# The entry point of the mmx GPU bundle (made by scripts/gpu-bundle.mjs; see GPU.md beside this file). Needs no
# network: Node (bin/node when bundled, else Node >= 20.19 on the PATH), a Vulkan driver for the GPU (NVIDIA's
# installs its ICD json with the driver), and the Vulkan loader (the bundled lib/libvulkan.so.1 when the system
# has none).
#
#   ./run.sh info              which backends can run here, and on what
#   ./run.sh test [args]       the cross-backend suite on cpu, wasm and webgpu (MMX_BACKENDS overrides)
#   ./run.sh bench [args]      the benchmark on wasm and webgpu, without PyTorch (bench args override)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"

if [ -x "$HERE/bin/node" ]; then NODE="$HERE/bin/node"; else NODE="$(command -v node || true)"; fi
[ -n "$NODE" ] || { echo "run.sh: no Node here: install Node >= 20.19 or rebuild the bundle with --with-node" >&2; exit 1; }
"$NODE" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  { echo "run.sh: $("$NODE" --version) is too old: mmx needs Node >= 20.19" >&2; exit 1; }

# The system's Vulkan loader when there is one, else the bundled one.
if ! { command -v ldconfig >/dev/null && ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; }; then
  export LD_LIBRARY_PATH="$HERE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# Point the loader at NVIDIA's ICD when nothing else was chosen (other ICDs only slow the probe down).
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    if [ -f "$icd" ]; then
      export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
      break
    fi
  done
fi
export MESA_SHADER_CACHE_DIR="${MESA_SHADER_CACHE_DIR:-$HERE/.cache/mesa-shader-cache}"

cmd="${1:-info}"
[ $# -eq 0 ] || shift
case "$cmd" in
  info)
    echo "node $("$NODE" --version); VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}; LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-unset}"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    "$NODE" --input-type=module -e '
      const { availableBackends } = await import("@mmx/core");
      for (const b of await availableBackends()) console.log(`${b.available ? "yes" : "no "} ${b.name.padEnd(10)} ${b.detail}`);'
    ;;
  test)
    MMX_BACKENDS="${MMX_BACKENDS:-cpu,wasm,webgpu}" exec "$NODE" scripts/test-backends.mjs "$@"
    ;;
  bench)
    if [ $# -eq 0 ]; then set -- --backend wasm,webgpu --no-torch; fi
    exec "$NODE" bench/dist/index.js "$@"
    ;;
  *)
    echo "usage: ./run.sh info | test [vitest args] | bench [bench args]" >&2
    exit 2
    ;;
esac
