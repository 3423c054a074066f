#!/usr/bin/env bash
# Builds libconfpass, the C API (capi/), and lays it out as an installed
# library under OUT, the way cargo-c would:
#
#   OUT/include/confpass.h
#   OUT/lib/libconfpass.so.<v>            the shared library (SONAME libconfpass.so.0.<minor>)
#   OUT/lib/libconfpass.so.0.<minor>      -> libconfpass.so.<v>
#   OUT/lib/libconfpass.so                -> libconfpass.so.0.<minor>
#   OUT/lib/libconfpass.a                 the static library
#   OUT/lib/pkgconfig/confpass.pc         relative prefix: works wherever OUT is unpacked
#
# or, for Windows:
#
#   OUT/include/confpass.h
#   OUT/bin/confpass.dll
#   OUT/lib/libconfpass.dll.a             the import library of confpass.dll
#   OUT/lib/libconfpass.a                 the static library
#   OUT/lib/pkgconfig/confpass.pc
#
# Usage:
#   scripts/build-capi.sh --target host|linux-gnu|windows --out OUT [--backend B] [--features F] [--debug]
#   scripts/build-capi.sh --header          regenerate capi/include/confpass.h
#   scripts/build-capi.sh --check-header    fail if the committed header is stale
#
#   host       this machine's toolchain (fast; the tests' build)
#   linux-gnu  the release build for glibc 2.17 (RHEL/CentOS 7) and later,
#              linked by cargo-zigbuild with zig from the ziglang PyPI
#              package (both pinned, installed here when missing); fails if
#              the shared library needs a symbol newer than GLIBC_2.17
#   windows    x86_64-pc-windows-gnu with Debian's mingw-w64
#
#   --backend  the cryptographic backend: rustcrypto (the default) or aws-lc
#              (what the release libraries use: README, "Which backend")
#
# The crate's library is named confpass_capi (so that its files cannot
# collide with the confpass crate's and binary's in the shared target
# directory); this script installs it under the C names. On Windows the DLL
# is renamed, so its import library is made again, for confpass.dll, with
# mingw-w64's dlltool from the DLL's own export table.
set -euo pipefail
cd "$(dirname "$0")/.."

CBINDGEN_VERSION=0.29.4
# zig_ready, glibc_floor_check, GLIBC_FLOOR, GNU_TARGET
. scripts/zig.sh

die() { echo "build-capi: error: $*" >&2; exit 1; }
step() { echo "== build-capi: $*"; }

install_pinned() { # crate version binary
  if ! "$3" --version 2>/dev/null | grep -qF "$2"; then
    step "installing $1 $2"
    cargo install --locked --quiet "$1@$2"
  fi
}

header() { # output
  install_pinned cbindgen "$CBINDGEN_VERSION" cbindgen
  cbindgen --quiet --config capi/cbindgen.toml --crate confpass-capi --output "$1"
}

target=host out="" extra_features="" backend=rustcrypto profile=release
while [ $# -gt 0 ]; do
  case "$1" in
    --header) header capi/include/confpass.h; exit 0 ;;
    --check-header)
      fresh=$(mktemp)
      trap 'rm -f "$fresh"' EXIT
      header "$fresh"
      if ! diff -u capi/include/confpass.h "$fresh"; then
        die "capi/include/confpass.h is stale: the C API changed without it; run scripts/build-capi.sh --header and commit the result"
      fi
      echo "capi/include/confpass.h is current"
      exit 0 ;;
    --target) target=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --features) extra_features=",${2:?}"; shift ;;
    --backend) backend=${2:?}; shift ;;
    --debug) profile=debug ;;
    *) die "unknown argument $1 (see the comment at the top of $0)" ;;
  esac
  shift
done
[ -n "$out" ] || die "--out DIR is required"
case "$backend" in
  rustcrypto | aws-lc) ;;
  *) die "--backend is rustcrypto or aws-lc, not $backend" ;;
esac
# Only the chosen backend is compiled in.
features=(--no-default-features --features "$backend$extra_features")

pkgid=$(cargo pkgid -p confpass-capi)
version=${pkgid##*[#@]}
major=${version%%.*}
minor=${version#*.}; minor=${minor%%.*}
if [ "$major" = 0 ]; then soname_version="0.$minor"; else soname_version="$major"; fi
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
profile_flag=()
[ "$profile" = release ] && profile_flag=(--release)

# Builds the crate's libraries with cargo or cargo-zigbuild ($1), for the
# rustc target $2 (empty: the host), printing the system libraries a static
# link needs into $libs_file.
libs_file=$(mktemp)
trap 'rm -f "$libs_file"' EXIT
build() { # cargo-command rust-target
  local target_args=() log
  [ -n "$2" ] && target_args=(--target "$2")
  step "$1 rustc -p confpass-capi ${target_args[*]} ${features[*]} ($profile)"
  log=$(mktemp)
  if ! $1 rustc --locked --quiet -p confpass-capi --lib "${profile_flag[@]}" \
    "${target_args[@]}" "${features[@]}" -- --print=native-static-libs >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "the build of confpass-capi failed"
  fi
  sed -n 's/.*native-static-libs: //p' "$log" | tail -n 1 >"$libs_file"
  rm -f "$log"
  [ -s "$libs_file" ] || die "rustc printed no native-static-libs for the static library"
  echo "system libraries of a static link: $(cat "$libs_file")"
}

pc_file() { # libs-private
  mkdir -p "$out/lib/pkgconfig"
  cat >"$out/lib/pkgconfig/confpass.pc" <<EOF
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: confpass
Description: The database password of a Configuration Server, decrypted at start-up (libconfpass)
Version: $version
Libs: -L\${libdir} -lconfpass
Libs.private: $1
Cflags: -I\${includedir}
EOF
}

rm -rf "$out"
mkdir -p "$out/include" "$out/lib"
cp capi/include/confpass.h "$out/include/"

case "$target" in
  host | linux-gnu)
    if [ "$target" = host ]; then
      build cargo ""
      built="$target_dir/$profile"
    else
      zig_ready
      build cargo-zigbuild "$GNU_TARGET.$GLIBC_FLOOR"
      built="$target_dir/$GNU_TARGET/$profile"
    fi
    so="libconfpass.so.$version"
    install -m 755 "$built/libconfpass_capi.so" "$out/lib/$so"
    ln -s "$so" "$out/lib/libconfpass.so.$soname_version"
    ln -s "libconfpass.so.$soname_version" "$out/lib/libconfpass.so"
    # The static library without its debug sections: about a third smaller.
    strip --strip-debug -o "$out/lib/libconfpass.a" "$built/libconfpass_capi.a"
    chmod 644 "$out/lib/libconfpass.a"
    soname=$(readelf -d "$out/lib/$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ "$soname" = "libconfpass.so.$soname_version" ] ||
      die "$so has SONAME '$soname', not libconfpass.so.$soname_version (capi/build.rs)"
    if [ "$target" = linux-gnu ]; then
      glibc_floor_check "$out/lib/$so" || die "the shared library would not run on RHEL/CentOS 7"
    fi
    ;;
  windows)
    rustup target list --installed | grep -qx x86_64-pc-windows-gnu ||
      rustup target add x86_64-pc-windows-gnu
    command -v x86_64-w64-mingw32-dlltool >/dev/null ||
      die "x86_64-w64-mingw32-dlltool not found: install Debian's binutils-mingw-w64-x86-64"
    build cargo x86_64-pc-windows-gnu
    built="$target_dir/x86_64-pc-windows-gnu/$profile"
    mkdir -p "$out/bin"
    install -m 755 "$built/confpass_capi.dll" "$out/bin/confpass.dll"
    # The import library, for the DLL's new name, from its export table.
    def=$(mktemp)
    {
      echo "LIBRARY confpass.dll"
      echo "EXPORTS"
      x86_64-w64-mingw32-objdump -p "$out/bin/confpass.dll" |
        sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' |
        sed -n 's/^[[:space:]]*\[[[:space:]]*[0-9]*\][[:space:]]*\(confpass_[A-Za-z0-9_]*\)$/    \1/p'
    } >"$def"
    grep -q confpass_version "$def" || die "no confpass_ exports found in confpass.dll"
    x86_64-w64-mingw32-dlltool --dllname confpass.dll --input-def "$def" \
      --output-lib "$out/lib/libconfpass.dll.a"
    rm -f "$def"
    # As built: mingw-w64's strip refuses the archive's split-debuginfo
    # members, which hold no sections.
    install -m 644 "$built/libconfpass_capi.a" "$out/lib/libconfpass.a"
    ;;
  *) die "unknown --target $target: host, linux-gnu or windows" ;;
esac

pc_file "$(cat "$libs_file")"
step "installed into $out"
find "$out" | sort
