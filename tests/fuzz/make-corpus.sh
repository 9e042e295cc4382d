#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# make-corpus.sh OUTDIR [IMAGES_DIR]: seed inputs for fuzz-read, cut from
# the real images (../shared/images): the small Spur images whole, every
# image's first 64 KiB and 300 KiB (truncated mid-segment), and the last
# 4 KiB of each Spur image behind its own header (the bridge region).
set -eu
out=${1:?usage: make-corpus.sh OUTDIR [IMAGES_DIR]}
images=${2:-$(dirname "$0")/../../../shared/images}
mkdir -p "$out"
for f in "$images"/*/*.image /usr/share/scratch/Scratch.image; do
  [ -f "$f" ] || continue
  name=$(basename "$(dirname "$f")")
  size=$(wc -c < "$f")
  if [ "$size" -le 300000 ]; then
    cp "$f" "$out/$name-whole"
  fi
  head -c 65536 "$f" > "$out/$name-64k"
  head -c 307200 "$f" > "$out/$name-300k"
  # the header, then the file's tail: sizes and bridges that do not add up
  { head -c 128 "$f"; tail -c 4096 "$f"; } > "$out/$name-tail"
done
ls "$out" | wc -l
