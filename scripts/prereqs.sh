#!/usr/bin/env bash
# System prerequisites for shadergrad. With no argument (npm test): Chromium + chromedriver
# (browser project) and a Vulkan CPU driver that Dawn accepts (Node project). With --node
# (npm run train / bench / soak): only what Dawn needs, a Vulkan loader and driver.
# Installs what is missing when run as root on Debian; otherwise prints the exact command to
# run and exits non-zero.
set -euo pipefail

mode=all
case "${1:-}" in
  '') ;;
  --node) mode=node ;;
  *) echo "usage: scripts/prereqs.sh [--node]" >&2; exit 2 ;;
esac

# Dawn uses Metal on macOS and D3D12 on Windows: nothing to install there.
if [ "$mode" = node ] && [ "$(uname -s)" != Linux ]; then
  exit 0
fi

missing=()
if [ "$mode" = all ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
fi

# A GPU vendor's Vulkan driver (or one chosen by the environment) serves Dawn in Node; the
# tests always want lavapipe, whose results they were measured on.
vendor_driver=''
if [ "$mode" = node ]; then
  if [ -n "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
    vendor_driver="${VK_ICD_FILENAMES:-${VK_DRIVER_FILES:-}}"
  else
    for icd in /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json /usr/local/nvidia/share/vulkan/icd.d/nvidia*.json; do
      if [ -f "$icd" ]; then vendor_driver=$icd; break; fi
    done
  fi
fi

mesa_version=''
if [ -z "$vendor_driver" ]; then
  # Dawn rejects Mesa 22.x (bookworm); lavapipe from bookworm-backports (25.x) works.
  mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  mesa_major=${mesa_version%%.*}
  mesa_major=${mesa_major#*:}
  if [ -z "$mesa_version" ] || [ "${mesa_major:-0}" -lt 24 ] 2>/dev/null; then
    missing+=(mesa-vulkan-drivers)
  fi
fi
if [ "$mode" = node ] && ! { ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; }; then
  missing+=(libvulkan1)
fi

if [ ${#missing[@]} -eq 0 ]; then
  if [ "$mode" = node ]; then
    echo "prereqs: Vulkan driver for Dawn present (${vendor_driver:-Mesa $mesa_version})"
  else
    echo "prereqs: chromium, chromedriver and Mesa Vulkan ($mesa_version) present"
  fi
  exit 0
fi

backports='deb http://deb.debian.org/debian bookworm-backports main'
vulkan_cmd="DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1"
if [ "$mode" = node ]; then
  install_cmd="echo '$backports' > /etc/apt/sources.list.d/bookworm-backports.list && apt-get update && $vulkan_cmd"
else
  install_cmd="echo '$backports' > /etc/apt/sources.list.d/bookworm-backports.list && apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver fonts-liberation && $vulkan_cmd"
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "prereqs: missing ${missing[*]}." >&2
  echo "prereqs: on Debian bookworm, run as root:" >&2
  echo "  $install_cmd" >&2
  if [ "$mode" = node ]; then
    echo "prereqs: (elsewhere: install your GPU's Vulkan driver, or Mesa's lavapipe 24+ without a GPU)" >&2
  fi
  exit 1
fi

echo "prereqs: installing ${missing[*]} (as root, via apt-get)"
bash -c "$install_cmd"
