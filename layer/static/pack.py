#!/usr/bin/env python3
"""pack.py DIR ZIP: zips the tree DIR into ZIP reproducibly.

Entries in byte order of their paths, directories included, every time stamp
SOURCE_DATE_EPOCH (clamped to 1980, the zip format's first year), modes
normalised (0755 for directories and executables, 0644 otherwise), no
owner or extra fields: the same tree gives the same bytes.
"""
import os
import stat
import sys
import time
import zipfile


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: pack.py DIR ZIP")
    root, out = sys.argv[1], sys.argv[2]
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
    stamp = time.gmtime(max(epoch, 315532800))[:6]
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            paths.append(os.path.relpath(full, root))
    paths.sort(key=lambda p: p.encode())
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w") as z:
        for rel in paths:
            full = os.path.join(root, rel)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                sys.exit("pack.py: %s: symbolic links are not packed" % rel)
            isdir = stat.S_ISDIR(st.st_mode)
            info = zipfile.ZipInfo(rel + "/" if isdir else rel, stamp)
            info.create_system = 3  # Unix: the modes below apply
            if isdir:
                mode = stat.S_IFDIR | 0o755
            elif st.st_mode & 0o111:
                mode = stat.S_IFREG | 0o755
            else:
                mode = stat.S_IFREG | 0o644
            info.external_attr = mode << 16
            if isdir:
                info.external_attr |= 0x10  # MS-DOS directory bit
                z.writestr(info, b"")
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(full, "rb") as f:
                    z.writestr(info, f.read(), compresslevel=9)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
