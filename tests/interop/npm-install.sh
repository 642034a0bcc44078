#!/bin/sh
# Installs aws-lambda-ric for the interop tests into the build folder, once:
# the install is keyed on package.json, package-lock.json and .npmrc, so a
# second run with the same files does nothing.
#   npm-install.sh SOURCE_DIR INSTALL_DIR STAMP
# Its native part builds with Debian's autoconf, automake, libtool, cmake,
# g++, make and unzip (scripts/debian-packages.txt).
set -eu
src=$1
dir=$2
stamp=$3
mkdir -p "$dir"
key=$(cat "$src/package.json" "$src/package-lock.json" "$src/.npmrc" | sha256sum | cut -d' ' -f1)
addon=$dir/node_modules/aws-lambda-ric/dist/rapid-client.node
if [ -f "$dir/install.key" ] && [ "$(cat "$dir/install.key")" = "$key" ] && [ -f "$addon" ]; then
	touch "$stamp"
	exit 0
fi
rm -f "$dir/install.key"
cp "$src/package.json" "$src/package-lock.json" "$src/.npmrc" "$dir/"
cd "$dir"
echo "interop: installing aws-lambda-ric into $dir (takes minutes the first time)" >&2
npm ci --no-audit --no-fund --loglevel=error >npm-install.log 2>&1 || {
	tail -n 40 npm-install.log >&2
	exit 1
}
[ -f "$addon" ] || { echo "interop: aws-lambda-ric's native addon was not built" >&2; exit 1; }
echo "$key" >install.key
touch "$stamp"
