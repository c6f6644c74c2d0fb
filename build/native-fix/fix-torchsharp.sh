#!/usr/bin/env bash
# Makes TorchSharp's native shim load on systems whose libstdc++ lacks GLIBCXX_3.4.32 (Debian 12:
# GCC 12). See shared/DESIGN.md, "TorchSharp on this machine". Idempotent and quick: a shim that is
# already fixed, or a system that needs no fix, costs one check.
# Usage: fix-torchsharp.sh NATIVE_DIR   (the folder holding libLibTorchSharp.so)
set -euo pipefail
dir=${1:?usage: fix-torchsharp.sh NATIVE_DIR}
shim="$dir/libLibTorchSharp.so"
[ -f "$shim" ] || exit 0
here=$(cd "$(dirname "$0")" && pwd)

libstdcxx=$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
if [ -n "$libstdcxx" ] && grep -qa 'GLIBCXX_3\.4\.32' "$libstdcxx"; then
  exit 0  # the system libstdc++ is new enough
fi
# Already fixed? (MSBuild copies keep the package's timestamps, so check the shim itself, not a stamp.)
if command -v patchelf >/dev/null && [ -f "$dir/libv2a_iosinit.so" ] \
   && patchelf --print-needed "$shim" 2>/dev/null | grep -qx libv2a_iosinit.so; then
  exit 0
fi

for tool in patchelf g++ cc; do
  if ! command -v "$tool" >/dev/null; then
    echo "v2a: cannot fix $shim: '$tool' is missing (run ./setup, which installs it)" >&2
    exit 3
  fi
done

tools="$here/.out"
mkdir -p "$tools"
if [ ! -x "$tools/weaken_verneed" ] || [ "$here/weaken_verneed.c" -nt "$tools/weaken_verneed" ]; then
  cc -O2 -o "$tools/weaken_verneed.tmp" "$here/weaken_verneed.c" && mv "$tools/weaken_verneed.tmp" "$tools/weaken_verneed"
fi
if [ ! -f "$tools/libv2a_iosinit.so" ] || [ "$here/ios_base_library_init.cpp" -nt "$tools/libv2a_iosinit.so" ]; then
  g++ -O2 -shared -fPIC -o "$tools/libv2a_iosinit.so.tmp" "$here/ios_base_library_init.cpp" && mv "$tools/libv2a_iosinit.so.tmp" "$tools/libv2a_iosinit.so"
fi

# Work on a copy, then rename: an interrupted fix never leaves a half-patched shim.
tmp="$shim.v2a-tmp"
cp "$shim" "$tmp"
# Replace, never overwrite in place: a running v2a has these libraries mapped.
cp "$tools/libv2a_iosinit.so" "$dir/libv2a_iosinit.so.v2a-tmp"
mv "$dir/libv2a_iosinit.so.v2a-tmp" "$dir/libv2a_iosinit.so"
patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$tmp"
"$tools/weaken_verneed" "$tmp" GLIBCXX_3.4.32 || true   # 1 = no such requirement left: nothing to weaken
if ! patchelf --print-needed "$tmp" | grep -qx libv2a_iosinit.so; then
  patchelf --add-needed libv2a_iosinit.so "$tmp"
fi
case "$(patchelf --print-rpath "$tmp")" in
  *'$ORIGIN'*) ;;
  *) patchelf --set-rpath '$ORIGIN' "$tmp" ;;
esac
mv "$tmp" "$shim"
