#!/usr/bin/env bash
# The real-GPU report (`npm run bench -- --device-report`) on a bare Linux x86-64 machine with
# an NVIDIA GPU and no Node (see ../shared/design.md, "Running on a bare Linux machine").
#
#   pack   here, on an amd64 machine with Node, the repo installed and apt: builds dist/cli and
#          gathers .device-pack/ (git-ignored): node.xz (this machine's node, xz -9),
#          app.tar.xz (the CLI bundle, the `webgpu` package's linux-x64 dawn.node and JS, TF.js
#          and jax-js with their dependencies) and debs/ (libvulkan1 from `apt-get download`).
#   run    there, as root: unpacks node and the app into a temp folder, unpacks the Vulkan
#          loader into / when ldconfig has none, points VK_DRIVER_FILES at the NVIDIA ICD when
#          Dawn finds no adapter (or only a CPU one), and runs the report under `timeout` into
#          $OUT (the device tool's output folder), --out DIR, or .tmp/device-report.
#          Options: --root DIR (unpack the loader into DIR and load it from there, never into
#          /: how it is tested on a machine that has a loader), --out DIR, --timeout SECONDS
#          (default 400), then `--` and extra report flags (e.g. -- --quick --peak 67).
#
# The device tool call for a later session, after `bash scripts/device-report.sh pack` here:
#   run(command="bash scripts/device-report.sh run", carry=[".device-pack"], timeout_s=480)
# It returns report.json, report.md and device-report.log from $OUT; the report writes both
# files after each section, so a run cut off by the timeout still returns what it measured.
#
# Tested on lavapipe as it runs there, with no node on PATH (/usr/bin/node hidden):
#   mkdir /tmp/nonode; for f in /usr/bin/*; do case ${f##*/} in node|npm|npx|corepack) ;; *) ln -s "$f" /tmp/nonode/;; esac; done
#   env -i HOME=$HOME PATH=/tmp/nonode:/usr/sbin OUT=/tmp/out bash scripts/device-report.sh run --root /tmp/vk -- --quick
# SG_NVIDIA_ICD replaces the NVIDIA ICD path (to test the fallback with VK_ICD_FILENAMES=/none
# and lavapipe's ICD); SG_NO_XZ=1 decompresses with Python's lzma, as where xz is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACK="$ROOT/.device-pack"
NVIDIA_ICD=${SG_NVIDIA_ICD:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
# Packages the bundle loads at run time besides webgpu: the peers and what their Node builds require.
PEER_PACKAGES=(@tensorflow/tfjs-core @tensorflow/tfjs-backend-webgpu @tensorflow/tfjs-backend-cpu @tensorflow/tfjs-layers
  @jax-js/jax seedrandom long node-fetch whatwg-url tr46 webidl-conversions)

die() { echo "device-report: $*" >&2; exit 1; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

pack() {
  [[ $(uname -m) == x86_64 ]] || die "pack on an x86-64 machine: node and dawn.node travel as this machine's binaries"
  cd "$ROOT"
  npx vite build --config vite.lib.config.ts --mode cli --logLevel warn
  mkdir -p "$PACK/debs"
  local node_bin
  node_bin=$(readlink -f "$(command -v node)")
  # xz -9 of the 99 MB binary takes a minute or two: redo it only when the binary changed.
  if [[ ! -s $PACK/node.xz || $node_bin -nt $PACK/node.xz || $(cat "$PACK/node.version" 2>/dev/null) != "$(node --version)" ]]; then
    echo "device-report: compressing $node_bin ($(node --version), $(mib "$(stat -c %s "$node_bin")")) with xz -9"
    xz -9 -c "$node_bin" >"$PACK/node.xz.part" && mv "$PACK/node.xz.part" "$PACK/node.xz"
    node --version >"$PACK/node.version"
  fi

  local stage
  stage=$(mktemp -d)
  mkdir -p "$stage/app/dist" "$stage/app/node_modules/webgpu/dist/linux-x64"
  echo '{ "private": true, "type": "module" }' >"$stage/app/package.json"
  cp -r dist/cli "$stage/app/dist/"
  cp node_modules/webgpu/{package.json,index.js} "$stage/app/node_modules/webgpu/"
  cp node_modules/webgpu/dist/linux-x64/dawn.node "$stage/app/node_modules/webgpu/dist/linux-x64/"
  # Whole packages, less what Node never loads here (source maps, typings, tests, browser bundles).
  tar -C node_modules -cf - --exclude='*.map' --exclude='*.d.ts' --exclude='*.d.cts' --exclude='*_test.js' \
    --exclude='*.min.js' --exclude='*.es2017.js' --exclude='*.fesm.js' "${PEER_PACKAGES[@]}" | tar -C "$stage/app/node_modules" -xf -
  tar -C "$stage" -cf - app | xz -9 -T2 >"$PACK/app.tar.xz"
  rm -rf "$stage"

  rm -f "$PACK"/debs/*.deb
  (cd "$PACK/debs" && apt-get download libvulkan1 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  ls "$PACK"/debs/libvulkan1_*.deb >/dev/null 2>&1 || die "apt-get download libvulkan1 fetched nothing"

  local total
  total=$(du -cb "$PACK"/node.xz "$PACK"/app.tar.xz "$PACK"/debs/*.deb | tail -1 | cut -f1)
  ls -l "$PACK"/node.xz "$PACK"/app.tar.xz "$PACK"/debs/*.deb
  echo "device-report: packed $(mib "$total") into $PACK (the device tool carries at most 64 MiB with the working tree)"
  ((total < 56 * 1048576)) || die "the pack is too big to travel"
}

# Decompresses an .xz file with xz, or with Python's lzma where xz is missing.
unxz_to() {
  if command -v xz >/dev/null && [[ -z ${SG_NO_XZ:-} ]]; then
    xz -dc "$1" >"$2"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}

# Prints the default adapter Dawn finds ("vendor architecture device description"), or "none".
probe() {
  (cd "$WORK/app" && "$WORK/node" --input-type=module -e "
    import { create, globals } from 'webgpu';
    Object.assign(globalThis, globals);
    const adapter = await create([]).requestAdapter();
    const i = adapter?.info;
    console.log(i ? [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') : 'none');
    process.exit(0);" 2>/dev/null || echo none)
}

run() {
  local root=/ out=${OUT:-} limit=400
  local -a extra=()
  while (($#)); do
    case $1 in
      --root) root=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      --timeout) limit=$2; shift 2 ;;
      --) shift; extra=("$@"); break ;;
      *) die "run: unknown option '$1' (--root DIR, --out DIR, --timeout SECONDS, -- REPORT_FLAGS)" ;;
    esac
  done
  [[ -s $PACK/node.xz && -s $PACK/app.tar.xz ]] || die "no pack at $PACK: run 'bash scripts/device-report.sh pack' first (and carry .device-pack)"
  out=${out:-$ROOT/.tmp/device-report}
  mkdir -p "$out"
  WORK=$(mktemp -d /tmp/shadergrad-device.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
  unxz_to "$PACK/node.xz" "$WORK/node"
  chmod +x "$WORK/node"
  unxz_to "$PACK/app.tar.xz" "$WORK/app.tar"
  tar -C "$WORK" -xf "$WORK/app.tar" && rm "$WORK/app.tar"

  if [[ $root != / ]]; then
    mkdir -p "$root"
    for deb in "$PACK"/debs/*.deb; do dpkg -x "$deb" "$root"; done
    export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  elif ! ldconfig -p | grep -q 'libvulkan\.so\.1 '; then
    for deb in "$PACK"/debs/*.deb; do dpkg -x "$deb" /; done
    ldconfig
  fi
  # An empty driver shader cache, so that the report's "cold" compile is cold.
  export MESA_SHADER_CACHE_DIR="$WORK/shader-cache" __GL_SHADER_DISK_CACHE_PATH="$WORK/shader-cache"

  local adapter
  adapter=$(probe)
  if [[ ($adapter == none || $adapter =~ llvmpipe|SwiftShader) && -z ${VK_DRIVER_FILES:-} && -f $NVIDIA_ICD ]]; then
    echo "device-report: Dawn found '$adapter'; trying VK_DRIVER_FILES=$NVIDIA_ICD"
    export VK_DRIVER_FILES=$NVIDIA_ICD
    adapter=$(probe)
  fi
  [[ $adapter != none ]] || die "Dawn finds no adapter (libvulkan: $(ldconfig -p | grep -c 'libvulkan\.so\.1 ') in ldconfig; VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset})"

  {
    echo "device-report: node $("$WORK/node" --version) from the pack; adapter: $adapter"
    if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv || true; fi
  } | tee "$out/device-report.log"
  local rc=0
  timeout --kill-after=10 "$limit" "$WORK/node" --enable-source-maps "$WORK/app/dist/cli/bench.js" --device-report --out "$out" "${extra[@]}" 2>&1 |
    tee -a "$out/device-report.log" || rc=$?
  if ((rc == 124 || rc == 137)); then echo "device-report: stopped after ${limit} s; $out holds the sections that finished" | tee -a "$out/device-report.log"; fi
  return "$rc"
}

case ${1:-} in
  pack) shift; pack "$@" ;;
  run) shift; run "$@" ;;
  *) die "usage: bash scripts/device-report.sh pack | run [--root DIR] [--out DIR] [--timeout SECONDS] [-- REPORT_FLAGS]" ;;
esac
