#!/usr/bin/env bash
# Installs the Debian 12 packages PipeDream Studio needs, only those that are
# missing (apt-get as root, sudo apt-get otherwise). Does nothing when all
# are present.
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  qt6-base-dev qt6-svg-dev libqcustomplot-dev
  libtorch-dev libopenblas0-pthread libgloo-dev
  libgif-dev libwebp-dev
  xvfb xauth fonts-dejavu-core
  clang-format
  zlib1g-dev dataset-fashion-mnist fortunes
  nlohmann-json3-dev libcli11-dev python3
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
