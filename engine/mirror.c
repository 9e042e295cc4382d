/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "class-info.h"
#include "method.h"
#include "mirror.h"
#include "printer.h"
#include "path.h"

const char *
st_mirror_format_name (guint f)
{
  switch (f)
    {
    case 0: return "zero sized";
    case 1: return "fixed pointers";
    case 2: return "indexable pointers";
    case 3: return "fixed and indexable pointers";
    case 4: return "weak";
    case 5: return "ephemeron";
    case 7: return "forwarded";
    case 9: return "64-bit indexable";
    case 10: case 11: return "32-bit indexable";
    case 12: case 13: case 14: case 15: return "16-bit indexable";
    default: break;
    }
  if (f >= 24 && f <= 31)
    return "CompiledMethod";
  if (f >= 16 && f <= 23)
    return "byte indexable";
  return "unused format";
}

static void
slot_free (gpointer data)
{
  StMirrorSlot *s = data;
  g_free (s->name);
  g_free (s->step);
  g_free (s->print);
  g_free (s->class_name);
  g_free (s);
}

void
st_mirror_free (StMirror *m)
{
  if (m == NULL)
    return;
  g_free (m->print);
  g_free (m->class_name);
  if (m->slots)
    g_ptr_array_unref (m->slots);
  g_free (m);
}

static StMirrorSlot *
add_slot (StPrinter *p, StHandles *handles, StMirror *m, StMirrorSlotKind kind, char *name, uint64_t index,
          StOop value)
{
  StVM *vm = st_printer_vm (p);
  StMirrorSlot *s = g_new0 (StMirrorSlot, 1);
  s->kind = kind;
  s->name = name;
  s->step = g_strdup_printf ("%" G_GUINT64_FORMAT, index);
  s->slot = index;
  s->print = st_printer_print (p, value, 100);
  s->class_name = st_printer_class_name_of (p, value);
  s->immediate = st_is_immediate (value);
  s->address = st_is_pointer (value) && st_printer_is_object (vm, value) ? value : 0;
  if (handles != NULL)
    s->handle = st_handles_add (handles, value);
  g_ptr_array_add (m->slots, s);
  return s;
}

StMirror *
st_mirror_of (StVM *vm, StHandles *handles, StOop oop, guint max_slots, GError **error)
{
  if (max_slots == 0)
    max_slots = 256;
  if (!st_is_immediate (oop) && !st_printer_is_object (vm, oop))
    {
      g_set_error (error, ST_PATH_ERROR, ST_PATH_ERROR_BAD_OBJECT,
                   "0x%" G_GINT64_MODIFIER "x is not the address of a readable object", oop);
      return NULL;
    }
  StPrinter *p = st_printer_new (vm);
  StMirror *m = g_new0 (StMirror, 1);
  m->slots = g_ptr_array_new_with_free_func (slot_free);
  m->print = st_printer_print (p, oop, 0);
  m->class_name = st_printer_class_name_of (p, oop);
  m->immediate = st_is_immediate (oop);
  if (handles != NULL)
    m->handle = st_handles_add (handles, oop);
  if (m->immediate)
    {
      m->format_name = "immediate";
      m->class_index = st_is_smallint (oop) ? ST_CLASS_INDEX_SMALLINTEGER
                       : st_is_character (oop) ? ST_CLASS_INDEX_CHARACTER : ST_CLASS_INDEX_SMALLFLOAT;
      st_printer_free (p);
      return m;
    }
  uint64_t h = st_header (vm, oop);
  m->is_class = st_printer_is_class (p, oop);
  m->address = oop;
  m->format = st_hdr_format (h);
  m->format_name = st_mirror_format_name (m->format);
  m->class_index = st_hdr_class_index (h);
  m->identity_hash = st_hdr_hash (h);
  if (vm->personality.family == ST_FAMILY_V3)
    m->identity_hash &= ST_V3_HASH_MASK;      /* as the image sees it (spur.h) */
  m->num_slots = st_num_slots (vm, oop);
  m->byte_size = st_object_end (vm, oop) - st_object_start (vm, oop);
  m->immutable = st_hdr_is_immutable (h);
  m->pinned = st_hdr_is_pinned (h);
  guint fmt = m->format;
  if (st_fmt_is_method (fmt))
    {
      StMethodHeader mh;
      uint64_t nlits = st_method_header (vm, oop, &mh, NULL) ? mh.num_literals : 0;
      if (nlits > m->num_slots - 1)
        nlits = m->num_slots - 1;
      add_slot (p, handles, m, ST_MIRROR_SLOT_HEADER, g_strdup ("header"), 0, st_fetch (vm, oop, 0));
      for (uint64_t i = 1; i <= nlits && i <= max_slots; i++)
        add_slot (p, handles, m, ST_MIRROR_SLOT_LITERAL, g_strdup_printf ("literal %" G_GUINT64_FORMAT, i), i,
                  st_fetch (vm, oop, i));
      m->slots_omitted = nlits > max_slots ? nlits - max_slots : 0;
      m->named_count = 0;
      m->indexable_count = st_byte_length (vm, oop) - (nlits + 1) * 8;
      st_printer_free (p);
      return m;
    }
  if (st_fmt_is_pointers (fmt))
    {
      uint64_t fixed = st_printer_fixed_count (p, oop);
      m->named_count = fixed;
      m->indexable_count = m->num_slots - fixed;
      StOop cls = st_class_info_class_of (vm, oop);
      g_auto (GStrv) names = st_printer_is_object (vm, cls) ? st_printer_inst_var_names (p, cls) : NULL;
      guint nnames = names ? g_strv_length (names) : 0;
      for (uint64_t i = 0; i < fixed; i++)
        {
          bool named = i < nnames;
          StMirrorSlot *s = add_slot (p, handles, m, ST_MIRROR_SLOT_NAMED,
                                      named ? g_strdup (names[i]) : g_strdup_printf ("slot %" G_GUINT64_FORMAT, i),
                                      i, st_fetch (vm, oop, i));
          if (named && (g_str_equal (names[i], "class") || g_ascii_isdigit (names[i][0])))
            named = false;
          if (named)
            {
              g_free (s->step);
              s->step = g_strdup (names[i]);
            }
        }
      /* A context's pc as the image counts it, when that differs from
       * the 64-bit layout this heap stores. */
      if (st_printer_is_context (p, oop) && fixed > 1 && vm->personality.word_bytes == 4)
        {
          StMirrorSlot *s = m->slots->pdata[1];
          int64_t pc;
          StOop method = st_printer_context_method (p, oop);
          if (method != 0 && st_printer_image_pc (p, method, st_fetch (vm, oop, 1), &pc))
            {
              g_free (s->print);
              s->print = g_strdup_printf ("%" G_GINT64_FORMAT " (as the image counts; stored as %" G_GINT64_FORMAT
                                          " in the 64-bit heap layout)", pc, st_smallint_value (st_fetch (vm, oop, 1)));
            }
        }
      uint64_t shown = MIN (m->indexable_count, (uint64_t) max_slots);
      for (uint64_t i = 0; i < shown; i++)
        add_slot (p, handles, m, ST_MIRROR_SLOT_INDEXED, g_strdup_printf ("%" G_GUINT64_FORMAT, i + 1), fixed + i,
                  st_fetch (vm, oop, fixed + i));
      m->slots_omitted = m->indexable_count - shown;
      st_printer_free (p);
      return m;
    }
  /* Bytes and words: the elements as numbers. */
  m->named_count = 0;
  m->indexable_count = st_indexable_count (vm, oop);
  uint64_t shown = MIN (m->indexable_count, (uint64_t) max_slots);
  const guint8 *b = st_bytes (vm, oop);
  for (uint64_t i = 0; i < shown; i++)
    {
      uint64_t v;
      if (fmt >= ST_FMT_BYTES)
        v = b[i];
      else if (fmt >= ST_FMT_SHORTS16)
        v = ((const guint16 *) b)[i];
      else if (fmt >= ST_FMT_WORDS32)
        v = ((const guint32 *) b)[i];
      else
        v = ((const uint64_t *) b)[i];
      StMirrorSlot *s = g_new0 (StMirrorSlot, 1);
      s->kind = ST_MIRROR_SLOT_ELEMENT;
      s->name = g_strdup_printf ("%" G_GUINT64_FORMAT, i + 1);
      s->step = g_strdup_printf ("%" G_GUINT64_FORMAT, i);
      s->slot = i;
      s->print = g_strdup_printf ("%" G_GUINT64_FORMAT, v);
      s->class_name = g_strdup (v <= (uint64_t) ST_SMALLINT_MAX ? "SmallInteger" : "LargePositiveInteger");
      s->immediate = true;
      g_ptr_array_add (m->slots, s);
    }
  m->slots_omitted = m->indexable_count - shown;
  st_printer_free (p);
  return m;
}
