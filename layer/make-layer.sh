#!/bin/sh
# make-layer.sh VIGIL WRAPPER OUTDIR ZIP
# Lays out OUTDIR/opt as Lambda unpacks the layer under /opt, with the
# shared libraries vigil needs beyond glibc in opt/vigil/lib (vigil's run
# path is $ORIGIN/../vigil/lib), and zips it into ZIP.
set -eu
vigil=$1 wrapper=$2 out=$3
zip="$(cd "$(dirname "$4")" && pwd)/$(basename "$4")"
opt="$out/opt"
rm -rf "$opt" "$zip"
mkdir -p "$opt/extensions" "$opt/vigil/lib"
cp "$vigil" "$opt/extensions/vigil"
cp "$wrapper" "$opt/vigil-wrapper"
chmod 755 "$opt/extensions/vigil" "$opt/vigil-wrapper"
# glibc's own libraries come from the execution environment.
ldd "$vigil" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do
	case "$(basename "$lib")" in
	libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux*) ;;
	*) cp -L "$lib" "$opt/vigil/lib/" ;;
	esac
done
(cd "$opt" && zip -qry "$zip" .)
