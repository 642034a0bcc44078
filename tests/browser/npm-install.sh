#!/bin/sh
# Installs the browser tests' npm packages (playwright-core only: the
# browser is Debian's chromium) into the build folder, once per lockfile.
# usage: npm-install.sh SOURCE_DIR ENV_DIR STAMP
set -eu
src=$1 env=$2
stamp=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
mkdir -p "$env"
cp "$src/package.json" "$src/package-lock.json" "$src/.npmrc" "$env/"
cd "$env"
# --ignore-scripts: nothing in the tree needs an install script, and none
# should run; playwright-core would otherwise not download browsers anyway.
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
touch "$stamp"
