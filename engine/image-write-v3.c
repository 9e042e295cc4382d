/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image-write-v3.c: the Spur 64 heap back to a V3 image (6502/6504/6505).
 *
 * The inverse of image-read-v3.c.  Objects are written in heap order, with
 * nil, false and true put back where the file had them; the hidden objects
 * (free lists, hidden roots, class-table pages) have no V3 form and are left
 * out.  Each object gets the smallest header its size and class allow
 * (1 word for instances of compact classes, 2 words with a class pointer, 3
 * words when the size does not fit 6 bits) unless the layout recorded at load
 * says the file had another.  Class pointers are V3 addresses again, hashes
 * the low 12 bits of the Spur hash (for classes: of the class index, which
 * the reader made hash + 4096 * k), SmallIntegers 31-bit, Floats two words
 * in the format's word order, pcs back to 32-bit layout.
 *
 * Two passes: the first gives every object its V3 address (an array indexed
 * by heap word), the second writes them.  Without a recorded layout (a heap
 * built in memory with V3 personality) everything is computed from the heap:
 * nil, false and true go first and free chunks are left out. */
#include "config.h"

#include <string.h>

#include "image-v3.h"
#include "image-write-private.h"

enum {
  V3_TYPE_3WORD = 0,
  V3_TYPE_2WORD = 1,
  V3_TYPE_FREE = 2,
  V3_TYPE_SHORT = 3,
};

#define V3_HEADER_BYTES 64
#define MAX_FORWARDS 16

typedef struct {
  StOop   oop;
  guint32 body_words;   /* words after the base header; free blocks: all their words */
  guint8  type;
  guint8  fmt;          /* V3 format */
  guint8  cc;
  guint8  gc;
  guint8  size_bits;
} Item;

typedef struct {
  StVM             *vm;
  const StV3Layout *layout;
  GError          **error;
  bool              be;
  bool              native_floats;
  guint32           base;         /* V3 old base address */
  StOop             heap_start;
  uint64_t          heap_words;
  guint32          *map;          /* per heap word: V3 address + 1 of the object whose header is there */
  GArray           *items;
  GHashTable       *cc_of;        /* class oop -> compact class index */
  StOop             float_cls, mctx_cls, bctx_cls, closure_cls, char_table;
  guint8           *buf;          /* one object's bytes */
  gsize             buf_cap;
} V3Writer;

static gboolean G_GNUC_PRINTF (3, 4)
wfail (V3Writer *w, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (w->error != NULL && *w->error == NULL)
    g_set_error (w->error, ST_IMAGE_ERROR, code, "cannot write a V3 image: %s", what);
  return FALSE;
}

/* The notes recorded for oop (a run in the sorted array), or NULL. */
static const StV3Note *
notes_for (const V3Writer *w, StOop oop, gsize *n)
{
  *n = 0;
  if (w->layout == NULL || w->layout->n_notes == 0)
    return NULL;
  const StV3Note *a = w->layout->notes;
  gsize lo = 0, hi = w->layout->n_notes;
  while (lo < hi)
    {
      gsize mid = (lo + hi) / 2;
      if (a[mid].oop < oop)
        lo = mid + 1;
      else
        hi = mid;
    }
  gsize end = lo;
  while (end < w->layout->n_notes && a[end].oop == oop)
    end++;
  *n = end - lo;
  return *n ? &a[lo] : NULL;
}

static bool
note_value (const StV3Note *notes, gsize n, StV3NoteKind kind, guint32 *value)
{
  for (gsize i = 0; i < n; i++)
    if (notes[i].kind == kind)
      {
        *value = notes[i].value;
        return true;
      }
  return false;
}

/* Size, format and header kind of one object in V3 form. */
static gboolean
plan_object (V3Writer *w, StOop o, Item *it)
{
  StVM *vm = w->vm;
  memset (it, 0, sizeof *it);
  it->oop = o;
  guint fmt = st_format (vm, o);
  uint64_t slots = st_num_slots (vm, o);
  guint32 ci = st_class_index (vm, o);
  gsize nn;
  const StV3Note *notes = notes_for (w, o, &nn);
  guint32 v;
  if (ci == ST_CLASS_INDEX_FREE)
    {
      it->type = V3_TYPE_FREE;
      if (!note_value (notes, nn, ST_V3_NOTE_FREE_BYTES, &v) || v < 4 || (v & 3))
        return wfail (w, ST_IMAGE_ERROR_INVALID, "free chunk 0x%" G_GINT64_MODIFIER "x has no V3 size", o);
      it->body_words = v / 4;
      return TRUE;
    }
  StOop cls = st_class_at_index (vm, ci);
  if (cls == 0)
    return wfail (w, ST_IMAGE_ERROR_BAD_OBJECT,
                  "object 0x%" G_GINT64_MODIFIER "x has class index %u, which names no class", o, ci);
  uint64_t words;
  if (fmt <= ST_FMT_WEAK)
    {
      it->fmt = fmt;
      words = slots;
    }
  else if (fmt == ST_FMT_WORDS32 || fmt == ST_FMT_WORDS32 + 1)
    {
      it->fmt = 6;
      words = slots * 2 - (fmt & 1);
    }
  else if (fmt >= ST_FMT_METHOD)
    {
      StOop h = slots > 0 ? st_fetch (vm, o, 0) : 0;
      if (!st_is_smallint (h))
        return wfail (w, ST_IMAGE_ERROR_BAD_OBJECT,
                      "CompiledMethod 0x%" G_GINT64_MODIFIER "x has no SmallInteger header", o);
      uint64_t nlits = (st_smallint_value (h) >> 9) & 0xFF;
      uint64_t bytes = slots * 8 - (fmt & 7);
      if ((1 + nlits) * 8 > bytes)
        return wfail (w, ST_IMAGE_ERROR_BAD_OBJECT,
                      "CompiledMethod 0x%" G_GINT64_MODIFIER "x: %" G_GUINT64_FORMAT
                      " literals do not fit its %" G_GUINT64_FORMAT " bytes", o, nlits, bytes);
      uint64_t v3bytes = (1 + nlits) * 4 + bytes - (1 + nlits) * 8;
      words = (v3bytes + 3) / 4;
      it->fmt = 12 + (guint) (words * 4 - v3bytes);
    }
  else if (fmt >= ST_FMT_BYTES)
    {
      uint64_t bytes = slots * 8 - (fmt & 7);
      words = (bytes + 3) / 4;
      it->fmt = 8 + (guint) (words * 4 - bytes);
    }
  else
    return wfail (w, ST_IMAGE_ERROR_UNSUPPORTED,
                  "object 0x%" G_GINT64_MODIFIER "x has Spur format %u, which V3 cannot represent", o, fmt);
  if (words + 1 > (G_MAXUINT32 >> 2))
    return wfail (w, ST_IMAGE_ERROR_UNSUPPORTED, "object 0x%" G_GINT64_MODIFIER "x is too large for V3", o);
  it->body_words = (guint32) words;
  it->cc = GPOINTER_TO_UINT (g_hash_table_lookup (w->cc_of, GSIZE_TO_POINTER (cls)));
  guint32 words_incl = it->body_words + 1;
  it->type = words_incl > 63 ? V3_TYPE_3WORD : it->cc != 0 ? V3_TYPE_SHORT : V3_TYPE_2WORD;
  if (note_value (notes, nn, ST_V3_NOTE_HEADER_TYPE, &v))
    {
      if (v == V3_TYPE_3WORD || (v == V3_TYPE_2WORD && words_incl <= 63))
        it->type = v;
    }
  if (note_value (notes, nn, ST_V3_NOTE_COMPACT, &v) && (it->type != V3_TYPE_SHORT || (v & 31) != 0))
    it->cc = v & 31;
  if (note_value (notes, nn, ST_V3_NOTE_GC_BITS, &v))
    it->gc = v & 3;
  if (note_value (notes, nn, ST_V3_NOTE_SIZE_BITS, &v) && it->type == V3_TYPE_3WORD)
    it->size_bits = v & 63;
  return TRUE;
}

static guint
header_words (guint type)
{
  return type == V3_TYPE_3WORD ? 3 : type == V3_TYPE_2WORD ? 2 : 1;
}

/* Objects in the order they go to the file. */
static gboolean
collect (V3Writer *w)
{
  StVM *vm = w->vm;
  g_autoptr (GHashTable) skip = g_hash_table_new (NULL, NULL);
  g_hash_table_add (skip, GSIZE_TO_POINTER (vm->free_lists_obj));
  g_hash_table_add (skip, GSIZE_TO_POINTER (vm->hidden_roots_obj));
  if (vm->hidden_roots_obj != 0)
    for (guint i = 0; i < ST_CLASS_TABLE_ROOT_SLOTS && i < st_num_slots (vm, vm->hidden_roots_obj); i++)
      {
        StOop page = st_fetch (vm, vm->hidden_roots_obj, i);
        if (page != vm->nil_obj)
          g_hash_table_add (skip, GSIZE_TO_POINTER (page));
      }
  StOop nft[3] = { vm->nil_obj, vm->false_obj, vm->true_obj };
  for (int i = 0; i < 3; i++)
    g_hash_table_add (skip, GSIZE_TO_POINTER (nft[i]));
  guint order[3] = { 0, 1, 2 };
  guint64 before[3] = { 0, 0, 0 };
  if (w->layout != NULL)
    for (int i = 0; i < 3; i++)
      {
        order[i] = w->layout->nft_order[i] % 3;
        before[i] = w->layout->nft_before[i];
      }
  guint next_nft = 0;
  guint64 emitted = 0;
  Item it;
  StHeapWalk walk;
  st_heap_walk_init (&walk, vm);
  StOop o;
  while (TRUE)
    {
      o = st_heap_walk_next (&walk);
      while (next_nft < 3 && (o == 0 || before[next_nft] <= emitted))
        {
          if (!plan_object (w, nft[order[next_nft]], &it))
            return FALSE;
          g_array_append_val (w->items, it);
          next_nft++;
        }
      if (o == 0)
        break;
      if (g_hash_table_contains (skip, GSIZE_TO_POINTER (o)))
        continue;
      guint32 ci = st_class_index (vm, o);
      if (ci == ST_CLASS_INDEX_FREE)
        {
          gsize nn;
          guint32 v;
          const StV3Note *notes = notes_for (w, o, &nn);
          if (!note_value (notes, nn, ST_V3_NOTE_FREE_BYTES, &v))
            continue;   /* free space made since loading: compacted away */
        }
      else if (ci < ST_CLASS_INDEX_FIRST_REAL)
        continue;       /* hidden objects and forwarders have no V3 form */
      if (!plan_object (w, o, &it))
        return FALSE;
      g_array_append_val (w->items, it);
      emitted++;
    }
  if (walk.damaged)
    return wfail (w, ST_IMAGE_ERROR_BAD_OBJECT,
                  "the heap walk stops at 0x%" G_GINT64_MODIFIER "x: the heap is damaged", walk.damaged_at);
  return TRUE;
}

static inline guint32
map_get (const V3Writer *w, StOop o)
{
  uint64_t off = o - w->heap_start;
  if ((o & 7) != 0 || o < w->heap_start || off / 8 >= w->heap_words)
    return 0;
  return w->map[off / 8];
}

/* The 32-bit form of a slot value. */
static gboolean
encode (V3Writer *w, StOop v, StOop obj, uint64_t slot, guint32 *out)
{
  StVM *vm = w->vm;
  if (st_is_smallint (v))
    {
      int64_t i = st_smallint_value (v);
      if (i < -(G_GINT64_CONSTANT (1) << 30) || i >= (G_GINT64_CONSTANT (1) << 30))
        return wfail (w, ST_IMAGE_ERROR_UNSUPPORTED,
                      "slot %" G_GUINT64_FORMAT " of object 0x%" G_GINT64_MODIFIER "x holds the SmallInteger %"
                      G_GINT64_FORMAT ", which does not fit 31 bits", slot, obj, i);
      *out = ((guint32) i << 1) | 1;
      return TRUE;
    }
  if (st_is_character (v))
    {
      guint32 cp = st_character_value (v);
      if (w->char_table != 0 && cp < 256 && cp < st_num_slots (vm, w->char_table))
        v = st_fetch (vm, w->char_table, cp);
      else
        return wfail (w, ST_IMAGE_ERROR_UNSUPPORTED,
                      "slot %" G_GUINT64_FORMAT " of object 0x%" G_GINT64_MODIFIER "x holds the immediate Character %u, "
                      "which V3 has no object for", slot, obj, cp);
    }
  if (!st_is_pointer (v))
    return wfail (w, ST_IMAGE_ERROR_UNSUPPORTED,
                  "slot %" G_GUINT64_FORMAT " of object 0x%" G_GINT64_MODIFIER "x holds the immediate 0x%"
                  G_GINT64_MODIFIER "x, which V3 cannot represent", slot, obj, v);
  for (int i = 0; i < MAX_FORWARDS && st_addr_in_heap (vm, v) && st_class_index (vm, v) == ST_CLASS_INDEX_FORWARDER
                  && st_num_slots (vm, v) >= 1; i++)
    v = st_fetch (vm, v, 0);
  guint32 a = map_get (w, v);
  if (a == 0)
    return wfail (w, ST_IMAGE_ERROR_BAD_OBJECT,
                  "slot %" G_GUINT64_FORMAT " of object 0x%" G_GINT64_MODIFIER "x points at 0x%" G_GINT64_MODIFIER
                  "x, which is not an object written to the image", slot, obj, v);
  *out = a - 1;
  return TRUE;
}

static inline void
put32 (guint8 *p, guint32 v, bool be)
{
  v = be ? GUINT32_TO_BE (v) : GUINT32_TO_LE (v);
  memcpy (p, &v, 4);
}

/* The literal count of a heap method, or -1. */
static int
method_literals (const V3Writer *w, StOop m)
{
  StVM *vm = w->vm;
  if (!st_is_pointer (m) || !st_addr_in_heap (vm, m) || !st_fmt_is_method (st_format (vm, m))
      || st_num_slots (vm, m) < 1 || !st_is_smallint (st_fetch (vm, m, 0)))
    return -1;
  return (st_smallint_value (st_fetch (vm, m, 0)) >> 9) & 0xFF;
}

static StOop
context_method (const V3Writer *w, StOop ctx)
{
  StVM *vm = w->vm;
  if (!st_is_pointer (ctx) || !st_addr_in_heap (vm, ctx) || st_format (vm, ctx) > ST_FMT_WEAK
      || st_num_slots (vm, ctx) < 4)
    return 0;
  return st_fetch (vm, ctx, 3);
}

/* Undo the reader's pc shift on the encoded slot value in place. */
static void
unshift_pc (guint8 *slot_bytes, bool be, guint32 enc, int nlits)
{
  if (nlits < 0 || (enc & 1) == 0)
    return;
  gint32 pc = (gint32) enc >> 1;
  pc -= (nlits + 1) * 4;
  put32 (slot_bytes, ((guint32) pc << 1) | 1, be);
}

static gboolean
write_object (V3Writer *w, StOut *o, const Item *it)
{
  StVM *vm = w->vm;
  bool be = w->be;
  gsize hw = header_words (it->type);
  gsize need = (hw + (gsize) it->body_words) * 4;
  if (need > w->buf_cap)
    {
      w->buf_cap = MAX (need, w->buf_cap * 2);
      w->buf = g_realloc (w->buf, w->buf_cap);
    }
  guint8 *b = w->buf;
  if (it->type == V3_TYPE_FREE)
    {
      memset (b, 0, (gsize) it->body_words * 4);
      put32 (b, (it->body_words * 4) | V3_TYPE_FREE, be);
      st_out_bytes (o, b, (gsize) it->body_words * 4);
      return TRUE;
    }
  StOop obj = it->oop;
  StOop cls = st_class_at_index (vm, st_class_index (vm, obj));
  guint32 cls_addr = map_get (w, cls);
  if (cls_addr == 0 && it->type != V3_TYPE_SHORT)
    return wfail (w, ST_IMAGE_ERROR_BAD_OBJECT,
                  "the class 0x%" G_GINT64_MODIFIER "x of object 0x%" G_GINT64_MODIFIER "x is not written to the image",
                  cls, obj);
  guint32 words_incl = it->body_words + 1;
  guint32 size_field = it->type == V3_TYPE_3WORD ? it->size_bits : words_incl;
  guint32 base_hdr = ((guint32) it->gc << 30) | ((st_hash (vm, obj) & 0xFFF) << 17) | ((guint32) it->cc << 12)
                   | ((guint32) it->fmt << 8) | (size_field << 2) | it->type;
  guint8 *p = b;
  if (it->type == V3_TYPE_3WORD)
    {
      put32 (p, words_incl * 4, be);
      put32 (p + 4, cls_addr - 1, be);
      p += 8;
    }
  else if (it->type == V3_TYPE_2WORD)
    {
      put32 (p, (cls_addr - 1) | V3_TYPE_2WORD, be);
      p += 4;
    }
  put32 (p, base_hdr, be);
  p += 4;
  guint8 *body = p;
  guint fmt = it->fmt;
  if (fmt <= 4)
    {
      for (guint32 i = 0; i < it->body_words; i++)
        {
          guint32 enc;
          if (!encode (w, st_fetch (vm, obj, i), obj, i, &enc))
            return FALSE;
          put32 (body + 4 * i, enc, be);
        }
      if (cls == w->mctx_cls && it->body_words >= 4)
        {
          guint32 enc;
          memcpy (&enc, body + 4, 4);
          unshift_pc (body + 4, be, be ? GUINT32_FROM_BE (enc) : GUINT32_FROM_LE (enc),
                      method_literals (w, st_fetch (vm, obj, 3)));
        }
      else if (cls == w->bctx_cls && it->body_words >= 6)
        {
          int nlits = method_literals (w, context_method (w, st_fetch (vm, obj, 5)));
          for (guint s = 1; s <= 4; s += 3)
            {
              guint32 enc;
              memcpy (&enc, body + 4 * s, 4);
              unshift_pc (body + 4 * s, be, be ? GUINT32_FROM_BE (enc) : GUINT32_FROM_LE (enc), nlits);
            }
        }
      else if (cls == w->closure_cls && it->body_words >= 3)
        {
          guint32 enc;
          memcpy (&enc, body + 4, 4);
          unshift_pc (body + 4, be, be ? GUINT32_FROM_BE (enc) : GUINT32_FROM_LE (enc),
                      method_literals (w, context_method (w, st_fetch (vm, obj, 0))));
        }
    }
  else if (fmt == 6)
    {
      const guint32 *src = (const guint32 *) st_bytes (vm, obj);
      if (cls == w->float_cls && it->body_words == 2)
        {
          uint64_t bits = st_fetch (vm, obj, 0);
          guint32 hi = (guint32) (bits >> 32), lo = (guint32) bits;
          bool low_first = w->native_floats && !be;
          put32 (body, low_first ? lo : hi, be);
          put32 (body + 4, low_first ? hi : lo, be);
        }
      else
        for (guint32 i = 0; i < it->body_words; i++)
          put32 (body + 4 * i, src[i], be);
    }
  else if (fmt < 12)
    {
      gsize n = (gsize) it->body_words * 4 - (fmt & 3);
      memcpy (body, st_bytes (vm, obj), n);
      memset (body + n, 0, fmt & 3);
    }
  else
    {
      StOop h = st_fetch (vm, obj, 0);
      guint32 nlits = (st_smallint_value (h) >> 9) & 0xFF;
      for (guint32 i = 0; i <= nlits; i++)
        {
          guint32 enc;
          if (!encode (w, st_fetch (vm, obj, i), obj, i, &enc))
            return FALSE;
          put32 (body + 4 * i, enc, be);
        }
      gsize n = (gsize) it->body_words * 4 - (fmt & 3) - (gsize) (1 + nlits) * 4;
      memcpy (body + (1 + nlits) * 4, st_bytes (vm, obj) + (gsize) (1 + nlits) * 8, n);
      memset (body + (1 + nlits) * 4 + n, 0, fmt & 3);
    }
  st_out_bytes (o, b, need);
  return TRUE;
}

static void
write_header (V3Writer *w, StOut *o, guint32 data_size, guint32 splobs)
{
  StImageHeader *h = &w->vm->header;
  bool be = w->be;
  guint32 hsize = h->header_size >= V3_HEADER_BYTES && h->header_size <= 4096 ? h->header_size : V3_HEADER_BYTES;
  guint32 format = w->layout != NULL ? w->layout->format : w->vm->personality.format;
  st_out_u32 (o, format, be);
  st_out_u32 (o, hsize, be);
  st_out_u32 (o, data_size, be);
  st_out_u32 (o, w->base, be);
  st_out_u32 (o, splobs, be);
  st_out_u32 (o, (guint32) h->last_hash, be);
  st_out_u32 (o, (guint32) h->saved_window_size, be);
  st_out_u32 (o, (guint32) h->header_flags, be);
  st_out_u32 (o, h->extra_vm_memory, be);
  st_out_u16 (o, h->num_stack_pages, be);
  st_out_u16 (o, h->cog_code_size, be);
  st_out_u32 (o, h->eden_bytes, be);
  st_out_u16 (o, h->max_ext_sem_tab_size, be);
  st_out_u16 (o, h->image_version, be);
  st_out_u32 (o, (guint32) h->first_seg_size, be);
  st_out_u32 (o, (guint32) h->free_old_space, be);
  if (h->raw_len >= V3_HEADER_BYTES)
    st_out_bytes (o, h->raw + 56, 8);
  else
    st_out_zeros (o, 8);
  st_out_zeros (o, hsize - V3_HEADER_BYTES);
}

gboolean
st_write_v3 (StVM *vm, StOut *o, GError **error)
{
  if (vm->personality.family != ST_FAMILY_V3 || vm->personality.word_bytes != 4)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID,
                   "cannot write a V3 image: the heap has the personality of format %u, not of a 32-bit V3 image",
                   vm->personality.format);
      return FALSE;
    }
  if (vm->n_segments == 0 || vm->special_objects == 0)
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID, "cannot write a V3 image: the heap is empty");
      return FALSE;
    }
  V3Writer w = {
    .vm = vm, .layout = st_v3_layout (vm), .error = error,
    .be = vm->personality.big_endian, .native_floats = vm->personality.native_floats,
  };
  gboolean ok = FALSE;
  w.base = (guint32) ((w.layout != NULL ? w.layout->old_base_addr : vm->header.old_base_addr) & ~G_GUINT64_CONSTANT (3));
  w.heap_start = vm->segments[0].start;
  w.heap_words = (st_objmem_end (vm) - w.heap_start) / 8;
  if (w.heap_words > G_MAXUINT32)
    return wfail (&w, ST_IMAGE_ERROR_UNSUPPORTED, "the heap spans more than 32 GiB");
  w.map = g_try_new0 (guint32, w.heap_words + 1);
  if (w.map == NULL)
    return wfail (&w, ST_IMAGE_ERROR_IO, "out of memory for the address map");
  w.items = g_array_new (FALSE, FALSE, sizeof (Item));
  w.cc_of = g_hash_table_new (NULL, NULL);

  /* Compact classes and the classes whose instances need care. */
  StOop cc = st_special (vm, ST_SPLOB_COMPACT_CLASSES);
  if (cc != vm->nil_obj && st_is_pointer (cc) && st_format (vm, cc) <= ST_FMT_WEAK)
    for (guint i = 0; i < 31 && i < st_num_slots (vm, cc); i++)
      {
        StOop c = st_fetch (vm, cc, i);
        if (c != vm->nil_obj && st_is_pointer (c) && !g_hash_table_contains (w.cc_of, GSIZE_TO_POINTER (c)))
          g_hash_table_insert (w.cc_of, GSIZE_TO_POINTER (c), GUINT_TO_POINTER (i + 1));
      }
  w.float_cls = st_special (vm, ST_SPLOB_CLASS_FLOAT);
  w.mctx_cls = st_special (vm, ST_SPLOB_CLASS_METHOD_CONTEXT);
  w.bctx_cls = st_special (vm, ST_SPLOB_CLASS_BLOCK_CONTEXT);
  w.closure_cls = vm->personality.closures ? st_special (vm, 36) : 0;
  w.char_table = st_special (vm, ST_SPLOB_CHARACTER_TABLE);
  if (w.char_table == vm->nil_obj || !st_is_pointer (w.char_table))
    w.char_table = 0;
  StOop *special_cls[] = { &w.float_cls, &w.mctx_cls, &w.bctx_cls, &w.closure_cls };
  for (gsize i = 0; i < G_N_ELEMENTS (special_cls); i++)
    if (*special_cls[i] == vm->nil_obj)
      *special_cls[i] = 0;

  if (!collect (&w))
    goto out;

  /* Pass 1: addresses. */
  uint64_t off = 0;
  for (guint i = 0; i < w.items->len; i++)
    {
      const Item *it = &g_array_index (w.items, Item, i);
      if (it->type == V3_TYPE_FREE)
        {
          off += (uint64_t) it->body_words * 4;
          continue;
        }
      uint64_t hdr = off + 4 * (header_words (it->type) - 1);
      uint64_t a = w.base + hdr;
      if (a + 1 > G_MAXUINT32)
        {
          wfail (&w, ST_IMAGE_ERROR_UNSUPPORTED, "the objects do not fit a 32-bit address space from base 0x%08x",
                 w.base);
          goto out;
        }
      w.map[(it->oop - w.heap_start) / 8] = (guint32) a + 1;
      off = hdr + 4 + (uint64_t) it->body_words * 4;
    }
  if (off > G_MAXUINT32)
    {
      wfail (&w, ST_IMAGE_ERROR_UNSUPPORTED, "%" G_GUINT64_FORMAT " bytes of objects are too many for V3", off);
      goto out;
    }
  guint32 splobs = map_get (&w, vm->special_objects);
  if (splobs == 0)
    {
      wfail (&w, ST_IMAGE_ERROR_BAD_OBJECT, "the special objects array is not among the objects written");
      goto out;
    }

  /* Pass 2: the bytes. */
  if (w.layout != NULL && w.layout->prefix_len > 0)
    st_out_bytes (o, w.layout->prefix, w.layout->prefix_len);
  else if (vm->personality.header_offset > 0)
    st_out_zeros (o, vm->personality.header_offset);
  write_header (&w, o, (guint32) off, splobs - 1);
  for (guint i = 0; i < w.items->len; i++)
    {
      const Item *it = &g_array_index (w.items, Item, i);
      if (!write_object (&w, o, it))
        goto out;
    }
  if (w.layout != NULL && w.layout->trailer_len > 0)
    st_out_bytes (o, w.layout->trailer, w.layout->trailer_len);
  ok = TRUE;

out:
  g_free (w.map);
  g_free (w.buf);
  g_array_unref (w.items);
  g_hash_table_unref (w.cc_of);
  return ok;
}
