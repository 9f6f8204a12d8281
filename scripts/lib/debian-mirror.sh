# The Debian mirror this machine's apt uses (deb822 sources or sources.list), for debootstrap;
# deb.debian.org when there is none. Sourced by the image scripts.
# shellcheck shell=bash
debian_mirror() {
  local uri
  uri="$(sed -nE 's/^URIs: *(http[^ ]*debian)\/?$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)"
  [[ -n "$uri" ]] || uri="$(sed -nE 's/^deb +(http[^ ]*debian)\/? .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n1)"
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}
