# shellcheck shell=bash
# Builds for glibc 2.17 (RHEL/CentOS 7) and later, sourced by
# scripts/build-capi.sh and scripts/dist.sh: zig from the ziglang PyPI
# package links what cargo-zigbuild builds against glibc 2.17's symbols,
# whatever the build machine's glibc. Both pinned, installed when missing
# (zig into .venv-zig/, cargo-zigbuild with cargo install --locked).
#
#   zig_ready                 makes `cargo-zigbuild` and zig usable (PATH)
#   glibc_floor_check FILE    fails unless FILE needs no GLIBC_ symbol version
#                             newer than $GLIBC_FLOOR; prints the newest

CARGO_ZIGBUILD_VERSION=0.24.1
ZIGLANG_VERSION=0.14.1
GLIBC_FLOOR=2.17
GNU_TARGET=x86_64-unknown-linux-gnu

zig_ready() {
  rustup target list --installed | grep -qx "$GNU_TARGET" || rustup target add "$GNU_TARGET"
  if ! python3 -m ziglang version 2>/dev/null | grep -qxF "$ZIGLANG_VERSION"; then
    if ! .venv-zig/bin/python3 -m ziglang version 2>/dev/null | grep -qxF "$ZIGLANG_VERSION"; then
      echo "== installing ziglang $ZIGLANG_VERSION into .venv-zig"
      [ -x .venv-zig/bin/python3 ] || python3 -m venv .venv-zig
      .venv-zig/bin/pip install --quiet --disable-pip-version-check "ziglang==$ZIGLANG_VERSION"
    fi
    PATH="$PWD/.venv-zig/bin:$PATH"
  fi
  if ! cargo-zigbuild --version 2>/dev/null | grep -qF "$CARGO_ZIGBUILD_VERSION"; then
    echo "== installing cargo-zigbuild $CARGO_ZIGBUILD_VERSION"
    cargo install --locked --quiet "cargo-zigbuild@$CARGO_ZIGBUILD_VERSION"
  fi
}

glibc_floor_check() { # file
  local newest
  newest=$(objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
  if [ "$(printf '%s\n' "$newest" "$GLIBC_FLOOR" | sort -V | tail -n 1)" != "$GLIBC_FLOOR" ]; then
    objdump -T "$1" | grep GLIBC_ >&2
    echo "error: $1 needs GLIBC_$newest, newer than GLIBC_$GLIBC_FLOOR (RHEL/CentOS 7)" >&2
    return 1
  fi
  echo "newest glibc symbol version needed by $1: GLIBC_$newest (floor $GLIBC_FLOOR)"
}
