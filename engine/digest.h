/* SPDX-License-Identifier: GPL-3.0-or-later */
/* digest.h: a canonical SHA-256 digest of the object graph.
 *
 * The digest covers the objects reachable from the special objects array
 * (an object's class counts as a reference to it), visited breadth-first
 * in slot order, so it depends neither on addresses, nor on unreachable
 * garbage and free space, nor on the file format an image came from.  Per
 * object it hashes: its class (as a visit number), its format family
 * (pointers, weak, ephemeron, 64/32/16/8-bit, method), its element count,
 * its identity hash, and its contents: pointer slots as visit numbers or
 * immediate values, non-pointer data as little-endian elements.
 *
 * Two heaps with equal digests hold the same graph; a Spur 32 -> 64 -> 32
 * round trip, or single file -> folder -> single file, keeps it. */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

typedef struct {
  uint64_t objects;        /* reachable objects hashed */
  uint64_t bytes;          /* heap bytes those objects occupy */
  uint64_t bad_refs;       /* references that did not hit an object (hashed as such) */
} StDigestStats;

gboolean st_digest (StVM *vm, guint8 out[32], GError **error);
gboolean st_digest_full (StVM *vm, guint8 out[32], StDigestStats *stats, GError **error);
/* out as 64 lowercase hex digits (newly allocated). */
char    *st_digest_hex (const guint8 digest[32]);

G_END_DECLS
