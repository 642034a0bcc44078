#!/bin/sh
# fetch-sources.sh SRCDIR PACKAGE...
# Downloads and unpacks the Debian source packages of the static layer's
# dependencies into SRCDIR/<package>/ (with Debian's patches applied),
# through a private apt configuration whose deb-src entries are derived
# from this machine's own configured package sources. Nothing outside
# SRCDIR is changed. A package already unpacked is kept (the cache).
set -eu
src=$1
shift
mkdir -p "$src"
src=$(cd "$src" && pwd)
apt="$src/.apt"

need=""
for p in "$@"; do
	[ -f "$src/$p/.unpacked" ] || need="$need $p"
done
[ -n "$need" ] || exit 0

# deb-src entries mirroring the configured deb entries (one-line and
# deb822 formats), in a private list so the system's apt is untouched.
mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial"
: >"$apt/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >>"$apt/sources.list"
done
: >"$apt/sources.list.d/vigil-src.sources"
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	sed 's/^Types:.*/Types: deb-src/' "$f" >>"$apt/sources.list.d/vigil-src.sources"
	echo >>"$apt/sources.list.d/vigil-src.sources"
done

set -- -o "Dir::Etc::SourceList=$apt/sources.list" \
	-o "Dir::Etc::SourceParts=$apt/sources.list.d" \
	-o "Dir::State::Lists=$apt/lists" \
	-o "Dir::Cache=$apt/cache" \
	-o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1"
apt-get -qq "$@" update

for p in $need; do
	rm -rf "${src:?}/$p" "$src/.dl-$p"
	mkdir -p "$src/.dl-$p"
	# Newest version first; a version whose files the configured mirror
	# does not hold (some mirrors carry no security-update sources) falls
	# back to the next one.
	got=""
	for v in $(apt-cache "$@" showsrc "$p" | sed -n 's/^Version: //p' | sort -u |
		sort -r -t: -k1,1 -V); do
		if (cd "$src/.dl-$p" && apt-get -qq "$@" source --download-only "$p=$v" 2>/dev/null); then
			got=$v
			break
		fi
		echo "fetch-sources: $p $v: not available from the configured sources, trying an older version" >&2
		rm -f "$src/.dl-$p"/*
	done
	[ -n "$got" ] || { echo "fetch-sources: no source of $p could be fetched" >&2; exit 1; }
	dsc=$(ls "$src/.dl-$p"/*.dsc)
	# The archive's signed Release file already vouched for these files'
	# hashes; the .dsc signature key is not needed for that.
	dpkg-source --no-check -x "$dsc" "$src/$p" >/dev/null
	basename "$dsc" .dsc >"$src/$p/.version"
	rm -rf "$src/.dl-$p"
	touch "$src/$p/.unpacked"
done
