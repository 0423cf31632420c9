# Shared by the scripts: install the Debian packages a command needs, only when something is missing.
# Usage: ensure_packages COMMAND-OR-PATH:PACKAGE ...
ensure_packages() {
  local missing=() item what pkg
  for item in "$@"; do
    what=${item%%:*}
    pkg=${item#*:}
    if [ "${what#/}" != "$what" ]; then
      [ -e "$what" ] || missing+=("$pkg")
    else
      command -v "$what" >/dev/null 2>&1 || missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install: ${missing[*]}" >&2; return 1; }
    sudo="sudo"
  fi
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
