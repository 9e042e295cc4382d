/* SPDX-License-Identifier: GPL-3.0-or-later */
/* source.h: method trailers and method source from the .sources/.changes files.
 *
 * The bytes of a CompiledMethod end in a trailer after the bytecodes.  Two
 * families of encoding exist; the image tells which by whether it has a
 * CompiledMethodTrailer class:
 *
 * Old style (Squeak before 4.0, Cuis, Scratch), by the last byte f:
 *   f >= 252   a 4-byte source pointer: ((f - 251) << 24) | b[-2] << 16 |
 *              b[-3] << 8 | b[-4] (b[-1] being f)
 *   f == 0     no source: the trailer is the run of zero bytes (up to 4)
 *   1..251     "magic" temp names: f + 1 bytes
 *
 * CompiledMethodTrailer (Squeak 4+, Pharo 1-11): kind = f >> 2,
 *   0 NoTrailer (Squeak: 1 byte; Pharo: 4 zero bytes)
 *   1 ClearedTrailer, 2 TempsNamesQCompress, 3 TempsNamesZip,
 *   5 SourceByStringIdentifier, 6 EmbeddedSourceQCompress,
 *   7 EmbeddedSourceZip, 11 EmbeddedSource (Pharo): a length field of
 *     (f & 3) + 1 bytes before f (most significant byte nearest f) and
 *     that many data bytes before it
 *   4 SourceBySelector: 1 byte
 *   8 VarLengthSourcePointer: 7-bit groups before f, least significant
 *     group nearest f, continued while the high bit is set
 *   63 SourcePointer: the 4-byte pointer above.
 *
 * A source pointer names a file (1 = .sources, 2 = .changes) and a
 * position.  Squeak and Pharo (SourceFileArray): bit 24 set = sources;
 *   position = (p >> 25) * 2^24 + (p & 0xFFFFFF) for sources, and
 *   ((p >> 25) - 1) * 2^24 + (p & 0xFFFFFF) for changes.
 * Cuis (CuisSourceFileArray): q = p - 2^24; changes when q & 2^25;
 *   position = (q & 0x1FFFFFF) * pointerScale (32, read from the image's
 *   SourceFiles object).
 * The text at that position is a chunk: it ends at a single '!', and
 * "!!" stands for '!'. */
#pragma once

#include "objmem.h"
#include "method.h"
#include "printer.h"

G_BEGIN_DECLS

typedef enum {
  ST_TRAILER_NONE,                 /* no trailer bytes at all (CompiledBlock) */
  ST_TRAILER_NO_SOURCE,            /* NoTrailer / zero bytes */
  ST_TRAILER_CLEARED,
  ST_TRAILER_TEMP_NAMES,           /* qCompressed or zipped temp names, or old magic temp names */
  ST_TRAILER_SOURCE_BY_SELECTOR,
  ST_TRAILER_SOURCE_BY_STRING,
  ST_TRAILER_EMBEDDED_SOURCE,      /* plain UTF-8 */
  ST_TRAILER_EMBEDDED_SOURCE_QCOMPRESS,
  ST_TRAILER_EMBEDDED_SOURCE_ZIP,
  ST_TRAILER_SOURCE_POINTER,       /* 4-byte source pointer */
  ST_TRAILER_VAR_SOURCE_POINTER,   /* variable-length source pointer */
  ST_TRAILER_UNKNOWN,              /* an undefined kind: the size is not known */
} StTrailerKind;

typedef struct {
  StTrailerKind kind;
  guint         flag_byte;
  uint64_t      size;              /* bytes of the trailer */
  uint64_t      data_offset;       /* byte offset (heap layout) of kind-specific data */
  uint64_t      data_length;
  uint64_t      source_pointer;    /* for the two source-pointer kinds */
} StTrailer;

const char *st_trailer_kind_name (StTrailerKind kind);

typedef enum {
  ST_TRAILER_STYLE_OLD,      /* last byte >= 252: source pointer; 0: zeros; else temp names */
  ST_TRAILER_STYLE_CLASS,    /* CompiledMethodTrailer kinds */
  ST_TRAILER_STYLE_BLOCK,    /* a CompiledBlock: no trailer (or Pharo's 4 zero bytes) */
} StTrailerStyle;

/* The style of this image's methods: CLASS when the image has a global
 * CompiledMethodTrailer, OLD otherwise. */
StTrailerStyle st_source_trailer_style (StPrinter *p);

/* Decode the trailer of a method (hdr from st_method_header).  FALSE with
 * *why set when the trailer is impossible (its size exceeds the bytes
 * after the literals, or its kind is undefined). */
bool st_method_trailer (StVM *vm, StOop method, const StMethodHeader *hdr, StTrailerStyle style,
                        StTrailer *out, const char **why);

/* Where a source pointer leads. */
typedef struct {
  guint    file_index;    /* 1 sources, 2 changes, 0 none */
  uint64_t position;
  char    *file;          /* path of that file, or NULL when the image has none beside it */
  char    *scheme;        /* "SourceFileArray" or "CuisSourceFileArray (scale 32)" */
} StSourceLocation;

void st_source_location_clear (StSourceLocation *loc);

/* Decode a source pointer per the image's SourceFiles scheme. */
bool st_source_locate (StPrinter *p, uint64_t source_pointer, StSourceLocation *out);

/* Read the chunk that starts at `position` of `path` (undoubling "!!",
 * CR line ends turned into LF, Latin-1 turned into UTF-8 when the text is
 * not UTF-8).  NULL with error when the file cannot be read or the
 * position is past its end. */
char *st_source_read_chunk (const char *path, uint64_t position, GError **error);

/* The source of a method, by its trailer.  Sets *origin to a description
 * ("CuisV4.sources @ 123456", "embedded in the trailer").  NULL with error
 * (ST_IMAGE_ERROR_INVALID when there is no source to be had: no pointer,
 * no file) otherwise. */
char *st_source_of_method (StPrinter *p, StOop method, char **origin, GError **error);

G_END_DECLS
