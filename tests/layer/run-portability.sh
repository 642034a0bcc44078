#!/bin/sh
# run-portability.sh ARCH: builds the static layer (layer/build.sh ARCH,
# cached under build-layer/) and runs test_portability.py on it with the
# development build's sandbox; arm64 runs under qemu-user.
# VIGIL_SOURCE_ROOT and VIGIL_BUILD_ROOT default to . and ./build.
set -eu
arch=${1:-x86_64}
src=${VIGIL_SOURCE_ROOT:-.}
bld=${VIGIL_BUILD_ROOT:-$src/build}
"$src/layer/build.sh" "$arch"
layer_bld=${VIGIL_LAYER_BUILD:-$src/build-layer}
qemu=""
[ "$arch" = arm64 ] && qemu="--qemu qemu-aarch64-static"
# shellcheck disable=SC2086
exec python3 "$src/tests/layer/test_portability.py" --zip "$src/dist/vigil-layer-$arch.zip" \
	--runtime "$layer_bld/$arch/test-runtime" --sandbox "$bld/sandbox/vigil-sandbox" \
	--dynamic "$bld/extension/vigil" $qemu
