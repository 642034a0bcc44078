#!/bin/sh
# layer/build.sh x86_64|arm64: the Lambda layer with a fully static vigil.
#
# Builds vigil against musl with its libraries (zlib, mbedTLS, libcurl,
# PCRE2, cJSON; libmicrohttpd for headers only) compiled from their Debian
# source packages, fetched through this machine's own package sources
# (static/fetch-sources.sh), and writes dist/vigil-layer-<arch>.zip:
#
#   extensions/vigil        the static binary itself (no INTERP, no NEEDED)
#   vigil-wrapper           AWS_LAMBDA_EXEC_WRAPPER=/opt/vigil-wrapper
#   vigil/policies/         example policy files (the default policy is built in)
#   vigil/licenses/         the licences of what is linked into vigil
#   vigil/SOURCES           the source package versions it was built from
#
# Everything is cached under build-layer/ (VIGIL_LAYER_BUILD): sources,
# musl for aarch64, the libraries per architecture; a second run rebuilds
# only vigil. Reproducible: pinned flags, paths mapped out of the binary,
# SOURCE_DATE_EPOCH (default: the last commit's time) for the zip.
#
# Needs (Debian): musl-tools, gcc-aarch64-linux-gnu (arm64), dpkg-dev,
# autoconf, automake, libtool, pkg-config, meson, ninja-build, python3.
set -eu

usage() {
	echo "usage: layer/build.sh x86_64|arm64" >&2
	exit 2
}
[ $# -eq 1 ] || usage
arch=$1
case "$arch" in
x86_64) host=x86_64-linux-musl cross=x86_64-linux-musl.ini tool= ;;
arm64 | aarch64) arch=arm64 host=aarch64-linux-musl cross=aarch64-linux-musl.ini
	tool=aarch64-linux-gnu- ;;
*) usage ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bld=${VIGIL_LAYER_BUILD:-$root/build-layer}
mkdir -p "$bld/$arch" "$root/dist"
bld=$(cd "$bld" && pwd)
a="$bld/$arch"
export LC_ALL=C TZ=UTC
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 315532800)
fi
export SOURCE_DATE_EPOCH

for t in "${tool}gcc" pkg-config meson ninja python3 dpkg-source autoreconf; do
	command -v "$t" >/dev/null || { echo "layer/build.sh: $t is missing" >&2; exit 1; }
done

# 1. Debian sources (cached in $bld/src).
"$here/static/fetch-sources.sh" "$bld/src" zlib mbedtls curl pcre2 cjson libmicrohttpd musl

# Pinned flags; build paths mapped out of the objects.
map="-ffile-prefix-map=$bld=/vigil-layer -ffile-prefix-map=$root=/vigil"
CFLAGS="-Os -pipe -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables $map"

# 2. The C library: Debian's musl-gcc for x86_64; for arm64, musl built for
#    aarch64 from Debian's musl source with the aarch64 cross gcc.
if [ "$arch" = x86_64 ]; then
	command -v musl-gcc >/dev/null || { echo "layer/build.sh: musl-gcc is missing (musl-tools)" >&2; exit 1; }
	CC="musl-gcc"
	musl=/usr
else
	musl="$a/musl"
	want="$(cat "$bld/src/musl/.version") $CFLAGS"
	if [ ! -f "$musl/.stamp" ] || [ "$(cat "$musl/.stamp")" != "$want" ]; then
		echo "layer/build.sh: $(cat "$bld/src/musl/.version") for aarch64" >&2
		rm -rf "$a/work/musl" "$musl"
		mkdir -p "$a/work"
		cp -a "$bld/src/musl" "$a/work/musl"
		(cd "$a/work/musl" &&
			./configure --target=aarch64-linux-gnu --prefix="$musl" \
				--disable-shared CROSS_COMPILE=$tool CC="${tool}gcc" CFLAGS="$CFLAGS" &&
			make -j"${VIGIL_LAYER_JOBS:-2}" && make install) >>"$a/musl.log" 2>&1 ||
			{ echo "layer/build.sh: musl failed, see $a/musl.log" >&2; exit 1; }
		echo "$want" >"$musl/.stamp"
	fi
	CC="$musl/bin/musl-gcc"
fi

# 3. The libraries (cached per architecture).
CC=$CC HOST=$host AR="${tool}ar" RANLIB="${tool}ranlib" CFLAGS="$CFLAGS" \
	"$here/static/build-deps.sh" "$bld/src" "$a/work" "$a/deps" ||
	{ echo "layer/build.sh: a library failed, see $a/work/build.log" >&2; exit 1; }

# 4. vigil, with meson and the cross file.
q() { printf "'%s'" "$1"; }
{
	echo "[constants]"
	echo "deps = $(q "$a/deps")"
	echo "musl = $(q "$musl")"
	echo "common_c_args = ['-ffunction-sections', '-fdata-sections', '-fno-asynchronous-unwind-tables', $(q "-ffile-prefix-map=$root=/vigil"), $(q "-ffile-prefix-map=$bld=/vigil-layer")]"
	echo "common_link_args = ['-static', '-Wl,--gc-sections', '-Wl,--hash-style=gnu', '-s']"
} >"$a/paths.ini"
# A static binary cannot dlopen libcurl: link it (-Dlazy_curl=false).
opts="--cross-file $a/paths.ini --cross-file $here/cross/$cross -Dstatic_layer=true -Dtests=disabled"
opts="$opts -Dlazy_curl=false"
if [ -f "$a/vigil/build.ninja" ]; then
	# shellcheck disable=SC2086
	meson setup --reconfigure $opts "$a/vigil" "$root" >"$a/meson.log" 2>&1 ||
		{ echo "layer/build.sh: meson failed, see $a/meson.log" >&2; exit 1; }
else
	# shellcheck disable=SC2086
	meson setup $opts "$a/vigil" "$root" >"$a/meson.log" 2>&1 ||
		{ echo "layer/build.sh: meson failed, see $a/meson.log" >&2; exit 1; }
fi
ninja -C "$a/vigil" extension/vigil >"$a/ninja.log" 2>&1 ||
	{ cat "$a/ninja.log" >&2; exit 1; }
bin="$a/vigil/extension/vigil"

# 5. Fully static, or no layer.
if ! LC_ALL=C readelf -h "$bin" >/dev/null 2>&1; then
	echo "layer/build.sh: $bin is not an ELF file" >&2
	exit 1
fi
if LC_ALL=C readelf -lW "$bin" | grep -q INTERP ||
	LC_ALL=C readelf -dW "$bin" | grep -q NEEDED; then
	echo "layer/build.sh: $bin is not fully static:" >&2
	readelf -lW -dW "$bin" | grep -E 'INTERP|NEEDED' >&2
	exit 1
fi

# 6. The portability test's runtime (tests/layer/), static like vigil; not
#    part of the layer.
pc="env PKG_CONFIG_LIBDIR=$a/deps/lib/pkgconfig PKG_CONFIG_PATH= pkg-config --static"
# shellcheck disable=SC2046,SC2086 # the flags split into words
"$CC" -std=gnu11 $CFLAGS -static -s -Wl,--gc-sections -o "$a/test-runtime" \
	"$root/tests/runtimes/test_runtime.c" $($pc --cflags --libs libcurl libcjson) ||
	{ echo "layer/build.sh: the static test runtime failed" >&2; exit 1; }

# 7. The layer tree and its zip.
opt="$a/opt"
rm -rf "$opt"
mkdir -p "$opt/extensions" "$opt/vigil/policies" "$opt/vigil/licenses"
cp "$bin" "$opt/extensions/vigil"
cp "$here/vigil-wrapper" "$opt/vigil-wrapper"
chmod 755 "$opt/extensions/vigil" "$opt/vigil-wrapper"
cp "$root/policies/examples/"*.json "$opt/vigil/policies/"
: >"$opt/vigil/SOURCES"
for p in musl zlib mbedtls curl pcre2 cjson; do
	cp "$bld/src/$p/debian/copyright" "$opt/vigil/licenses/$p"
	cat "$bld/src/$p/.version" >>"$opt/vigil/SOURCES"
done
echo "built with: $("${tool}gcc" --version | head -1)" >>"$opt/vigil/SOURCES"
find "$opt" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
zip="$root/dist/vigil-layer-$arch.zip"
python3 "$here/static/pack.py" "$opt" "$zip"

zsize=$(wc -c <"$zip")
usize=$(du -sb "$opt" | cut -f1)
bsize=$(wc -c <"$bin")
echo "layer/build.sh: $zip"
echo "  zipped $zsize bytes, unzipped $usize bytes, static vigil $bsize bytes"
echo "  sha256 $(sha256sum "$zip" | cut -d' ' -f1)"
if [ "$zsize" -gt 2097152 ]; then
	echo "layer/build.sh: the layer is over 2 MB zipped" >&2
	exit 1
fi
