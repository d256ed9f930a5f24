#!/usr/bin/env bash
# System prerequisites for shadergrad's tests: Chromium + chromedriver (browser project)
# and a Vulkan CPU driver that Dawn accepts (Node project). Installs them when run as
# root on Debian; otherwise prints the exact command to run and exits non-zero.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)

# Dawn rejects Mesa 22.x (bookworm); lavapipe from bookworm-backports (25.x) works.
mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
mesa_major=${mesa_version%%.*}
mesa_major=${mesa_major#*:}
if [ -z "$mesa_version" ] || [ "${mesa_major:-0}" -lt 24 ] 2>/dev/null; then
  missing+=(mesa-vulkan-drivers)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "prereqs: chromium, chromedriver and Mesa Vulkan ($mesa_version) present"
  exit 0
fi

backports='deb http://deb.debian.org/debian bookworm-backports main'
install_cmd="echo '$backports' > /etc/apt/sources.list.d/bookworm-backports.list && apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver fonts-liberation && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1"

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "prereqs: missing ${missing[*]}." >&2
  echo "prereqs: on Debian bookworm, run as root:" >&2
  echo "  $install_cmd" >&2
  exit 1
fi

echo "prereqs: installing ${missing[*]} (as root, via apt-get)"
bash -c "$install_cmd"
