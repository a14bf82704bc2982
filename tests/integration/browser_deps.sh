#!/bin/sh
# Installs what the console's browser tests need when missing: Debian's chromium and its driver.
# Called by `make test` (and usable alone), so a fresh CI machine gets them; a no-op once installed.
set -e
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver
