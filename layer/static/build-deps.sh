#!/bin/sh
# build-deps.sh SRCDIR WORKDIR PREFIX
# Builds the static layer's dependencies from the Debian sources unpacked in
# SRCDIR (fetch-sources.sh) into PREFIX (include/, lib/*.a, lib/pkgconfig/),
# with the toolchain from the environment: CC (a musl-gcc), HOST (the GNU
# triple for configure --host), AR, RANLIB, CFLAGS. Each library is built
# once: PREFIX/.stamp-<name> records the source version, flags and recipe
# it was built from, so a second run with the same inputs does nothing.
#
# Only what vigil uses is enabled: libcurl speaks HTTP and HTTPS (mbedTLS,
# zlib for gzip) and nothing else; PCRE2 with its JIT; libmicrohttpd without
# TLS (only its headers are needed: vigil serves HTTP with its own server).
set -eu
src=$(cd "$1" && pwd)
mkdir -p "$2" "$3"
work=$(cd "$2" && pwd)
prefix=$(cd "$3" && pwd)
: "${CC:?}" "${HOST:?}" "${AR:?}" "${RANLIB:?}" "${CFLAGS:?}"
export CC AR RANLIB CFLAGS
export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" PKG_CONFIG_PATH=""
mkdir -p "$prefix/lib/pkgconfig" "$prefix/include"
jobs=${VIGIL_LAYER_JOBS:-2}
log="$work/build.log"

# A change of this script (flags, configure options) rebuilds everything.
recipe=$(cksum <"$0" | cut -d' ' -f1)

# fresh NAME: copies SRCDIR/NAME to WORKDIR/NAME unless its stamp matches;
# returns 1 (skip) when it is up to date.
fresh() {
	stamp="$prefix/.stamp-$1"
	want="$(cat "$src/$1/.version") $CC $HOST $CFLAGS $recipe"
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		return 1
	fi
	echo "build-deps: $(cat "$src/$1/.version") for $HOST" >&2
	rm -rf "${work:?}/$1"
	cp -a "$src/$1" "$work/$1"
	return 0
}
done_() { echo "$want" >"$prefix/.stamp-$1"; }

if fresh zlib; then
	(cd "$work/zlib" && CHOST=$HOST ./configure --static --prefix="$prefix" &&
		make -j"$jobs" libz.a && make install) >>"$log" 2>&1
	done_ zlib
fi

if fresh mbedtls; then
	(cd "$work/mbedtls" && make -j"$jobs" -C library static &&
		cp library/libmbedtls.a library/libmbedx509.a library/libmbedcrypto.a "$prefix/lib/" &&
		rm -rf "$prefix/include/mbedtls" "$prefix/include/psa" &&
		cp -r include/mbedtls include/psa "$prefix/include/") >>"$log" 2>&1
	done_ mbedtls
fi

if fresh curl; then
	# Debian applies its GnuTLS and NSS flavour patches last; the plain
	# library is the source without them (as debian/rules builds it).
	(cd "$work/curl" &&
		patch -R -p1 <debian/patches/99_nss.patch &&
		patch -R -p1 <debian/patches/90_gnutls.patch &&
		autoreconf -fi &&
		./configure --host="$HOST" --prefix="$prefix" \
			--disable-shared --enable-static --with-pic=no \
			--with-mbedtls="$prefix" --with-zlib="$prefix" \
			--without-openssl --without-gnutls --without-nss --without-wolfssl \
			--without-brotli --without-zstd --without-nghttp2 --without-nghttp3 \
			--without-ngtcp2 --without-libidn2 --without-libpsl --without-librtmp \
			--without-libssh --without-libssh2 --without-libgsasl --without-gssapi \
			--disable-ldap --disable-ldaps --disable-rtsp --disable-dict \
			--disable-telnet --disable-tftp --disable-pop3 --disable-imap \
			--disable-smb --disable-smtp --disable-gopher --disable-mqtt \
			--disable-ftp --disable-file --disable-manual --disable-ntlm \
			--disable-ntlm-wb --disable-kerberos-auth --disable-negotiate-auth \
			--disable-cookies --disable-alt-svc --disable-docs \
			--disable-unix-sockets --enable-threaded-resolver \
			--with-ca-bundle=/etc/pki/tls/certs/ca-bundle.crt --without-ca-path &&
		make -j"$jobs" -C lib && make -C lib install && make -C include install &&
		make install-pkgconfigDATA) >>"$log" 2>&1
	done_ curl
fi

if fresh pcre2; then
	(cd "$work/pcre2" && ./configure --host="$HOST" --prefix="$prefix" \
		--disable-shared --enable-static --enable-jit --disable-pcre2grep-jit \
		--disable-pcre2-16 --disable-pcre2-32 --disable-pcre2grep-libz \
		--disable-pcre2grep-libbz2 --disable-pcre2test-libedit \
		--disable-pcre2test-libreadline &&
		make -j"$jobs" libpcre2-8.la && make install-libLTLIBRARIES \
		install-nodist_includeHEADERS install-includeHEADERS install-pkgconfigDATA) >>"$log" 2>&1
	done_ pcre2
fi

# shellcheck disable=SC2086,SC2016 # CFLAGS splits; pkg-config variables stay literal
if fresh cjson; then
	(cd "$work/cjson" && $CC $CFLAGS -std=c89 -c cJSON.c -o cJSON.o &&
		$AR rcD libcjson.a cJSON.o && $RANLIB libcjson.a &&
		mkdir -p "$prefix/include/cjson" && cp cJSON.h "$prefix/include/cjson/" &&
		cp libcjson.a "$prefix/lib/" &&
		printf '%s\n' "prefix=$prefix" 'libdir=${prefix}/lib' 'includedir=${prefix}/include' '' \
			'Name: libcjson' 'Description: cJSON (static, for the Vigil layer)' \
			"Version: $(cut -d_ -f2 <.version | cut -d- -f1)" \
			'Libs: -L${libdir} -lcjson' 'Libs.private: -lm' \
			'Cflags: -I${includedir} -I${includedir}/cjson' \
			>"$prefix/lib/pkgconfig/libcjson.pc") >>"$log" 2>&1
	done_ cjson
fi

if fresh libmicrohttpd; then
	(cd "$work/libmicrohttpd" && ./configure --host="$HOST" --prefix="$prefix" \
		--disable-shared --enable-static --disable-https --without-gnutls \
		--disable-curl --disable-doc --disable-examples --disable-tools \
		--disable-messages --disable-dauth --disable-httpupgrade &&
		make -j"$jobs" -C src/microhttpd && make -C src/microhttpd install &&
		make -C src/include install && make install-pkgconfigDATA) >>"$log" 2>&1
	done_ libmicrohttpd
fi
