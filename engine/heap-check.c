/* SPDX-License-Identifier: GPL-3.0-or-later */
/* heap-check.c: the integrity checker.
 *
 * Passes, in order:
 *   1. mark: walk every segment, set one bit per object header in a bitmap
 *      over the segments (one bit per heap word), check overflow headers;
 *   2. objects: walk again; per object check class index, class, format,
 *      size, padding, and every live pointer slot against the bitmap (a
 *      slot may not point outside the heap, into an object, at a free
 *      chunk or at a hidden object); forwarders, methods (header, and
 *      every instruction unless skipped) and contexts get their own checks;
 *   3. class table (pages, entries, hash == index);
 *   4. special objects array;
 *   5. free lists and the free-chunk tree against the chunks walked;
 *   6. segment bridges;
 *   7. sender chains of all contexts, and the scheduler's process lists.
 * Every loop is bounded by the heap size or by a count from pass 1, so a
 * cycle in a damaged list ends the walk with a finding instead of a hang. */
#include "config.h"

#include "class-info.h"
#include "disasm.h"
#include "heap-check.h"
#include "method.h"

#define DEFAULT_MAX_FINDINGS 10000

/* Per class index: what the class table holds there, decided once. */
enum {
  CLS_UNKNOWN = 0,
  CLS_OK,
  CLS_MISSING,
  CLS_NOT_A_CLASS,
  CLS_NO_SPEC,
};

/* Eight bytes per class-table entry in use: the checker's only memory
 * besides the bitmap that grows with the image (with the class table). */
typedef struct {
  guint8  state;
  guint8  is_context : 1;        /* MethodContext / Context */
  guint8  is_block_context : 1;  /* V3 BlockContext */
  guint8  inst_spec;
  guint8  raw_spec;
  guint16 inst_size;
} ClassEntry;

/* One opcode of a bytecode set, precomputed from the bytecode table so
 * that one-byte instructions need no decoding. */
typedef struct {
  guint8  length;      /* 0: unused opcode */
  guint8  op;          /* StBcOp */
  guint8  stops;       /* a return, or an unconditional jump */
  gint16  literal;     /* literal index named by a one-byte instruction, or -1 */
  gint16  jump;        /* forward distance of a one-byte jump, or 0 */
  guint8  decode;      /* a longer instruction whose operands matter here */
} OpInfo;

typedef struct {
  StVM          *vm;
  StCheckReport *r;
  OpInfo         ops[2][256];    /* [0] V3 / V3PlusClosures, [1] SistaV1 */
  guint          max_findings;

  guint64       *bitmap;         /* one bit per heap word of every segment */
  uint64_t      *seg_bit_base;   /* first bit of each segment */
  StOop         *seg_walk_end;   /* where pass 1 stopped in each segment */
  guint          seg_cache;

  ClassEntry    *classes;        /* indexed by class index, up to n_classes */
  guint32        n_classes;

  StOop          method_context_class;
  StOop          block_context_class;

  bool           bytecodes;      /* decode every method's instructions */
  GArray        *contexts;       /* StOop */
  bool           in_hidden;      /* the object being checked has a reserved class index */
  GArray        *kept;           /* StFinding, at most max_findings */
} Checker;

static const char *const kind_names[ST_FINDING_N_KINDS] = {
  [ST_FINDING_HEAP_WALK] = "heap-walk",
  [ST_FINDING_BAD_POINTER] = "bad-pointer",
  [ST_FINDING_POINTER_TO_FREE] = "pointer-to-free-chunk",
  [ST_FINDING_BAD_IMMEDIATE] = "bad-immediate",
  [ST_FINDING_BAD_CLASS_INDEX] = "bad-class-index",
  [ST_FINDING_NOT_A_CLASS] = "not-a-class",
  [ST_FINDING_CLASS_TABLE] = "class-table",
  [ST_FINDING_HIDDEN_OBJECT] = "hidden-object",
  [ST_FINDING_FORMAT_MISMATCH] = "format-mismatch",
  [ST_FINDING_BAD_SIZE] = "bad-size",
  [ST_FINDING_BAD_FORWARDER] = "bad-forwarder",
  [ST_FINDING_FREE_CHUNK] = "free-chunk",
  [ST_FINDING_FREE_LIST] = "free-list",
  [ST_FINDING_BRIDGE] = "segment-bridge",
  [ST_FINDING_SPECIAL_OBJECTS] = "special-objects",
  [ST_FINDING_METHOD] = "method",
  [ST_FINDING_CONTEXT] = "context",
  [ST_FINDING_SENDER_CYCLE] = "sender-cycle",
  [ST_FINDING_PROCESS_LIST] = "process-list",
};

const char *
st_finding_kind_name (StFindingKind kind)
{
  if ((guint) kind >= ST_FINDING_N_KINDS)
    return "unknown";
  return kind_names[kind];
}

static void finding (Checker *c, StFindingKind kind, StOop addr, int64_t field,
                     const char *expected, const char *found, const char *fmt, ...) G_GNUC_PRINTF (7, 8);

static void
finding (Checker *c, StFindingKind kind, StOop addr, int64_t field,
         const char *expected, const char *found, const char *fmt, ...)
{
  StCheckReport *r = c->r;
  r->n_findings_total++;
  r->per_kind[kind]++;
  if (c->kept->len >= c->max_findings)
    return;
  g_array_set_size (c->kept, c->kept->len + 1);
  StFinding *f = &g_array_index (c->kept, StFinding, c->kept->len - 1);
  va_list ap;
  va_start (ap, fmt);
  f->message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  f->kind = kind;
  f->address = addr;
  f->field = field;
  f->expected = g_strdup (expected);
  f->found = g_strdup (found);
  f->class_name = addr != 0 ? st_class_name_of (c->vm, addr) : NULL;
}

static void
skip_note (Checker *c, const char *why)
{
  if (c->r->n_skipped < G_N_ELEMENTS (c->r->skipped))
    c->r->skipped[c->r->n_skipped++] = why;
}

/* ---- the object-start bitmap ---- */

static int
segment_index (Checker *c, StOop a)
{
  const StVM *vm = c->vm;
  const StSegment *s = &vm->segments[c->seg_cache];
  if (a >= s->start && a < s->start + s->bytes)
    return (int) c->seg_cache;
  guint lo = 0, hi = vm->n_segments;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      s = &vm->segments[mid];
      if (a < s->start)
        hi = mid;
      else if (a >= s->start + s->bytes)
        lo = mid + 1;
      else
        {
          c->seg_cache = mid;
          return (int) mid;
        }
    }
  return -1;
}

static inline void
mark_start (Checker *c, guint seg, StOop oop)
{
  uint64_t bit = c->seg_bit_base[seg] + (oop - c->vm->segments[seg].start) / 8;
  c->bitmap[bit >> 6] |= G_GUINT64_CONSTANT (1) << (bit & 63);
}

/* Does an object's header sit at a?  (a inside a segment and 8-aligned.) */
static inline bool
is_start (Checker *c, StOop a)
{
  if ((a & 7) != 0)
    return false;
  int seg = segment_index (c, a);
  if (seg < 0)
    return false;
  uint64_t bit = c->seg_bit_base[seg] + (a - c->vm->segments[seg].start) / 8;
  return (c->bitmap[bit >> 6] >> (bit & 63)) & 1;
}

/* ---- classes ---- */

static ClassEntry *
class_entry (Checker *c, guint32 ci)
{
  if (ci >= c->n_classes)
    return NULL;
  ClassEntry *e = &c->classes[ci];
  if (e->state != CLS_UNKNOWN)
    return e;
  StOop cls = st_class_info_class_at (c->vm, ci);
  if (cls == 0 || !is_start (c, cls))
    {
      e->state = CLS_MISSING;
      return e;
    }
  StClassSpec spec;
  if (!st_object_is_class (c->vm, cls))
    e->state = CLS_NOT_A_CLASS;
  else if (!st_class_spec (c->vm, cls, &spec))
    e->state = CLS_NO_SPEC;
  else
    {
      e->state = CLS_OK;
      e->inst_spec = (guint8) spec.inst_spec;
      e->raw_spec = (guint8) spec.raw_spec;
      e->inst_size = (guint16) MIN (spec.inst_size, G_MAXUINT16);
    }
  e->is_context = cls == c->method_context_class;
  e->is_block_context = c->block_context_class != 0 && cls == c->block_context_class;
  return e;
}

/* ---- slots ---- */

static bool
immediate_ok (const StVM *vm, StOop v)
{
  guint tag = v & ST_TAG_MASK;
  if (tag == ST_TAG_SMALLINT || tag == ST_TAG_CHARACTER)
    return true;
  /* Only a 64-bit image can hold SmallFloat64 immediates. */
  return tag == ST_TAG_SMALLFLOAT && vm->personality.word_bytes == 8;
}

static void
check_slot (Checker *c, StOop obj, uint64_t i, StOop v)
{
  c->r->pointer_slots++;
  if (st_is_immediate (v))
    {
      if (ST_UNLIKELY (!immediate_ok (c->vm, v)))
        {
          g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x (tag %u)", v, (guint) (v & 7));
          finding (c, ST_FINDING_BAD_IMMEDIATE, obj, (int64_t) i, "an object pointer or a valid immediate", found,
                   "slot %" G_GUINT64_FORMAT " of 0x%" G_GINT64_MODIFIER "x holds 0x%" G_GINT64_MODIFIER
                   "x, an immediate with tag %u, which this %u-bit image cannot have",
                   i, obj, v, (guint) (v & 7), c->vm->personality.word_bytes * 8);
        }
      return;
    }
  if (ST_UNLIKELY (!is_start (c, v)))
    {
      g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", v);
      bool inside = st_objmem_segment_of (c->vm, v) != NULL;
      finding (c, ST_FINDING_BAD_POINTER, obj, (int64_t) i, "the address of an object header", found,
               "slot %" G_GUINT64_FORMAT " of 0x%" G_GINT64_MODIFIER "x points to 0x%" G_GINT64_MODIFIER "x, %s",
               i, obj, v, inside ? "which is inside the heap but not the start of an object" : "which is outside the heap");
      return;
    }
  guint32 tci = st_class_index (c->vm, v);
  /* Objects with reserved indices 16..31 are the VM's own (class-table
   * pages, hidden roots, object stacks): invisible to the image, so no
   * ordinary object refers to one.  One that does points at an object
   * whose class index was damaged, or at a VM structure by mistake.
   * (Unreferenced ones are garbage and not reported: every Spur image
   * here carries one, a 60-slot copy of the special objects array.) */
  if (ST_UNLIKELY (tci >= ST_CLASS_INDEX_ARRAY_PUN && tci < ST_CLASS_INDEX_FIRST_REAL && !c->in_hidden))
    {
      g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x (class index %u)", v, tci);
      finding (c, ST_FINDING_HIDDEN_OBJECT, obj, (int64_t) i, "an object with a class index >= 32", found,
               "slot %" G_GUINT64_FORMAT " of 0x%" G_GINT64_MODIFIER "x points to 0x%" G_GINT64_MODIFIER
               "x, a hidden object (reserved class index %u) the image must not see", i, obj, v, tci);
      return;
    }
  if (ST_UNLIKELY (tci == ST_CLASS_INDEX_FREE))
    {
      g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x (a free chunk)", v);
      finding (c, ST_FINDING_POINTER_TO_FREE, obj, (int64_t) i, "a live object", found,
               "slot %" G_GUINT64_FORMAT " of 0x%" G_GINT64_MODIFIER "x points to the free chunk at 0x%"
               G_GINT64_MODIFIER "x", i, obj, v);
    }
}

static void
check_slots (Checker *c, StOop obj, uint64_t from, uint64_t to)
{
  const uint64_t *p = st_ptr (c->vm, obj) + 1;
  for (uint64_t i = from; i < to; i++)
    {
      StOop v = p[i];
      /* The common case inline: an immediate with a good tag, or a
       * pointer to a live object. */
      if (st_is_smallint (v) || st_is_character (v))
        {
          c->r->pointer_slots++;
          continue;
        }
      check_slot (c, obj, i, v);
    }
}

/* ---- pass 1: mark object starts ---- */

static void
pass_mark (Checker *c)
{
  StVM *vm = c->vm;
  for (guint s = 0; s < vm->n_segments; s++)
    {
      const StSegment *seg = &vm->segments[s];
      StOop a = seg->start;
      StOop limit = seg->start + (seg->bytes >= ST_BRIDGE_BYTES ? seg->bytes - ST_BRIDGE_BYTES : 0);
      c->seg_walk_end[s] = limit;
      uint64_t guard = seg->bytes / 16 + 1;
      while (a < limit && guard-- > 0)
        {
          uint64_t first = st_word_at (vm, a);
          StOop oop = a;
          if ((first >> 56) == 0xFF)
            {
              oop = a + 8;
              if (oop >= limit)
                {
                  finding (c, ST_FINDING_HEAP_WALK, a, ST_FINDING_NO_FIELD, NULL, NULL,
                           "segment %u: an overflow size word at 0x%" G_GINT64_MODIFIER
                           "x has no object header after it; the rest of the segment is not checked", s, a);
                  c->seg_walk_end[s] = a;
                  break;
                }
            }
          uint64_t n = st_num_slots (vm, oop);
          if (n > (limit - oop - 8) / 8)
            {
              g_autofree char *found = g_strdup_printf ("%" G_GUINT64_FORMAT " slots", n);
              g_autofree char *expected = g_strdup_printf ("at most %" G_GUINT64_FORMAT " slots", (limit - oop - 8) / 8);
              finding (c, ST_FINDING_HEAP_WALK, oop, ST_FINDING_NO_FIELD, expected, found,
                       "segment %u: the object at 0x%" G_GINT64_MODIFIER "x claims %" G_GUINT64_FORMAT
                       " slots, past the segment's end at 0x%" G_GINT64_MODIFIER "x; the rest of the segment "
                       "(%" G_GUINT64_FORMAT " bytes) is not checked", s, oop, n, limit, limit - a);
              c->seg_walk_end[s] = a;
              break;
            }
          mark_start (c, s, oop);
          a = oop + 8 + 8 * (n == 0 ? 1 : n);
        }
    }
}

/* ---- pass 2: objects ---- */

static bool
names_literal (StBcOp op)
{
  switch (op)
    {
    case ST_OP_PUSH_LIT_CONST:
    case ST_OP_PUSH_LIT_VAR:
    case ST_OP_STORE_LIT_VAR:
    case ST_OP_POP_STORE_LIT_VAR:
    case ST_OP_SEND:
    case ST_OP_SUPER_SEND:
    case ST_OP_DIRECTED_SUPER_SEND:
    case ST_OP_PUSH_FULL_CLOSURE:
      return true;
    default:
      return false;
    }
}

static void
init_op_tables (Checker *c)
{
  for (guint set = 0; set < 2; set++)
    for (guint op = 0; op < 256; op++)
      {
        const StBcRow *row = st_bytecode_row (set ? ST_BYTECODE_SET_SISTA_V1 : ST_BYTECODE_SET_V3_CLOSURES, (guint8) op);
        OpInfo *o = &c->ops[set][op];
        o->length = row->op == ST_OP_UNKNOWN ? 0 : row->length;
        o->op = (guint8) row->op;
        o->stops = row->op == ST_OP_JUMP || (row->flags & ST_BC_F_RETURN) != 0;
        o->literal = -1;
        o->jump = 0;
        if (row->length == 1 && (row->op == ST_OP_JUMP || row->op == ST_OP_JUMP_TRUE || row->op == ST_OP_JUMP_FALSE))
          o->jump = (gint16) (op - row->first + row->base);
        /* Longer instructions are decoded only when an operand names a
         * literal, moves the pc or sizes a block, or when they are SistaV1
         * prefixes (folded into what follows); others just advance. */
        o->decode = row->length > 1
                    && (names_literal (row->op) || row->op == ST_OP_JUMP || row->op == ST_OP_JUMP_TRUE
                        || row->op == ST_OP_JUMP_FALSE || row->op == ST_OP_PUSH_CLOSURE
                        || (row->flags & ST_BC_F_EXT) != 0 || row->op == ST_OP_UNKNOWN
                        || row->op == ST_OP_STORE_RCVR_VAR || row->op == ST_OP_POP_STORE_RCVR_VAR
                        || row->op == ST_OP_PUSH_RCVR_VAR);
        if (row->length == 1 && (row->op == ST_OP_PUSH_LIT_CONST || row->op == ST_OP_PUSH_LIT_VAR
                                 || row->op == ST_OP_POP_STORE_LIT_VAR || row->op == ST_OP_SEND))
          o->literal = (gint16) (op - row->first + row->base);
      }
}

/* Decode the instructions after the literals: each must be a defined
 * opcode of the method's bytecode set, fit in the method and name only
 * literals the method has.  Where the bytecodes end is found the way a
 * decompiler finds it, without guessing the trailer's format: at the first
 * return (or unconditional jump) past which no jump and no block body
 * reaches; what follows is the trailer.  Quick-return methods (V3
 * primitives 256..519) have no bytecodes at all.  One finding per method. */
static void
check_bytecodes (Checker *c, StOop m, const StMethodHeader *mh)
{
  if (c->vm->personality.family == ST_FAMILY_V3 && mh->primitive >= 256 && mh->primitive <= 519)
    return;
  const OpInfo *table = c->ops[mh->bytecode_set == ST_BYTECODE_SET_SISTA_V1];
  const guint8 *b = st_bytes (c->vm, m);
  uint64_t end = mh->end_pc;
  uint64_t off = mh->initial_pc;
  uint64_t reach = off;        /* the furthest byte a jump or block body reaches */
  while (off < end)
    {
      const OpInfo *o = &table[b[off]];
      const char *why = NULL;
      uint64_t next;
      if (o->length == 1)
        {
          /* The common case: no operand bytes, no decoding. */
          if (o->literal >= 0 && o->literal >= (int) mh->num_literals)
            why = "names a literal the method does not have";
          next = off + 1;
        }
      else if (o->length > 1 && !o->decode)
        {
          if (off + o->length > end)
            why = "runs past the end of the method";
          next = off + o->length;
        }
      else
        {
          StBcInstr in;
          if (o->length == 0)
            why = "is an unused opcode";
          else if (!st_bytecode_decode (mh->bytecode_set, b, (gsize) end, (gsize) off, &in))
            why = "runs past the end of the method";
          else if (in.op == ST_OP_UNKNOWN)
            why = "is an unused opcode";
          else if (names_literal (in.op) && (in.a < 0 || in.a >= (int64_t) mh->num_literals))
            why = "names a literal the method does not have";
          if (why == NULL)
            {
              next = off + in.length;
              if ((in.op == ST_OP_JUMP || in.op == ST_OP_JUMP_TRUE || in.op == ST_OP_JUMP_FALSE) && in.a > 0)
                reach = MAX (reach, next + (uint64_t) in.a);
              else if (in.op == ST_OP_PUSH_CLOSURE && in.c > 0)
                reach = MAX (reach, next + (uint64_t) in.c);
              o = &table[in.opcode];
            }
        }
      if (why != NULL)
        {
          g_autofree char *expected = g_strdup_printf ("a defined instruction using literals 0..%d",
                                                       (int) mh->num_literals - 1);
          g_autofree char *found = g_strdup_printf ("opcode %u at byte %" G_GUINT64_FORMAT, b[off], off);
          finding (c, ST_FINDING_METHOD, m, ST_FINDING_NO_FIELD, expected, found,
                   "CompiledMethod 0x%" G_GINT64_MODIFIER "x: the instruction at byte %" G_GUINT64_FORMAT
                   " (opcode %u, %s) %s", m, off, b[off],
                   mh->bytecode_set == ST_BYTECODE_SET_SISTA_V1 ? "SistaV1" : "V3", why);
          return;
        }
      /* Short jumps are one byte: their distance comes from the opcode. */
      if (o->length == 1 && o->jump > 0)
        reach = MAX (reach, next + (uint64_t) o->jump);
      if (o->stops && next >= reach)
        return;           /* the rest is the trailer */
      off = next;
    }
}

static void
check_method (Checker *c, StOop m)
{
  c->r->methods++;
  StMethodHeader mh;
  const char *why = NULL;
  if (!st_method_header (c->vm, m, &mh, &why))
    {
      StOop h = st_num_slots (c->vm, m) > 0 ? st_fetch (c->vm, m, 0) : 0;
      g_autofree char *found = g_strdup_printf ("header 0x%" G_GINT64_MODIFIER "x, %" G_GUINT64_FORMAT " bytes",
                                                h, st_byte_length (c->vm, m));
      finding (c, ST_FINDING_METHOD, m, 0, "a SmallInteger header whose literals fit the method", found,
               "CompiledMethod 0x%" G_GINT64_MODIFIER "x: %s", m, why);
      /* Still check what can be pointers: the slots the object has, up to
       * the first byte it holds. */
      return;
    }
  check_slots (c, m, 0, 1 + (uint64_t) mh.num_literals);
  if (c->vm->personality.family == ST_FAMILY_SPUR && mh.primitive != 0)
    {
      guint8 op = st_bytes (c->vm, m)[mh.initial_pc];
      guint want = mh.bytecode_set == ST_BYTECODE_SET_SISTA_V1 ? 248 : 139;
      if (op != want)
        {
          g_autofree char *expected = g_strdup_printf ("callPrimitive bytecode %u", want);
          g_autofree char *found = g_strdup_printf ("bytecode %u", op);
          finding (c, ST_FINDING_METHOD, m, ST_FINDING_NO_FIELD, expected, found,
                   "CompiledMethod 0x%" G_GINT64_MODIFIER "x has the primitive flag but its first bytecode "
                   "(byte %" G_GUINT64_FORMAT ") is %u, not callPrimitive (%u)", m, mh.initial_pc, op, want);
        }
    }
  if (mh.initial_pc >= mh.end_pc)
    finding (c, ST_FINDING_METHOD, m, ST_FINDING_NO_FIELD, "at least one bytecode", "none",
             "CompiledMethod 0x%" G_GINT64_MODIFIER "x has no bytecodes after its %u literals", m, mh.num_literals);
  else if (c->bytecodes)
    check_bytecodes (c, m, &mh);
}

/* The method a context runs, or 0 when it cannot be found. */
static StOop
context_method (Checker *c, StOop ctx, const ClassEntry *e)
{
  StVM *vm = c->vm;
  StOop m = st_fetch (vm, ctx, 3);
  if (e->is_block_context)
    {
      /* V3 BlockContext: caller, pc, stackp, nargs, startpc, home. */
      StOop home = st_fetch (vm, ctx, 5);
      if (!is_start (c, home) || st_num_slots (vm, home) < 6)
        return 0;
      m = st_fetch (vm, home, 3);
    }
  if (!is_start (c, m) || !st_fmt_is_method (st_format (vm, m)))
    return 0;
  return m;
}

static void
check_context (Checker *c, StOop ctx, uint64_t n, const ClassEntry *e)
{
  StVM *vm = c->vm;
  c->r->contexts++;
  g_array_append_val (c->contexts, ctx);
  if (n < 6)
    {
      g_autofree char *found = g_strdup_printf ("%" G_GUINT64_FORMAT " slots", n);
      finding (c, ST_FINDING_CONTEXT, ctx, ST_FINDING_NO_FIELD, "at least 6 slots", found,
               "context 0x%" G_GINT64_MODIFIER "x has %" G_GUINT64_FORMAT " slots; a context has 6 named ones",
               ctx, n);
      check_slots (c, ctx, 0, n);
      return;
    }
  check_slots (c, ctx, 0, 6);
  /* Stack pointer: the number of live stack slots after the 6 named ones. */
  StOop sp = st_fetch (vm, ctx, 2);
  uint64_t live = 0;
  if (st_is_smallint (sp) && st_smallint_value (sp) >= 0 && (uint64_t) st_smallint_value (sp) <= n - 6)
    live = (uint64_t) st_smallint_value (sp);
  else if (sp != vm->nil_obj)
    {
      g_autofree char *expected = g_strdup_printf ("nil or 0..%" G_GUINT64_FORMAT, n - 6);
      g_autofree char *found = st_is_smallint (sp) ? g_strdup_printf ("%" G_GINT64_FORMAT, st_smallint_value (sp))
                                                   : g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", sp);
      finding (c, ST_FINDING_CONTEXT, ctx, 2, expected, found,
               "context 0x%" G_GINT64_MODIFIER "x: stack pointer %s is outside its %" G_GUINT64_FORMAT
               " stack slots", ctx, found, n - 6);
    }
  check_slots (c, ctx, 6, 6 + live);

  StOop pc = st_fetch (vm, ctx, 1);
  StOop method = context_method (c, ctx, e);
  /* A context with neither pc nor method (nor home) was never run or has
   * been cleared: V3 images keep such all-nil contexts (Squeak mini: 4). */
  if (method == 0 && pc == vm->nil_obj && st_fetch (vm, ctx, e->is_block_context ? 5 : 3) == vm->nil_obj)
    return;
  if (method == 0)
    {
      StOop m = st_fetch (vm, ctx, e->is_block_context ? 5 : 3);
      g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", m);
      finding (c, ST_FINDING_CONTEXT, ctx, e->is_block_context ? 5 : 3, "a CompiledMethod", found,
               e->is_block_context ? "BlockContext 0x%" G_GINT64_MODIFIER "x: its home context has no CompiledMethod"
                                   : "context 0x%" G_GINT64_MODIFIER "x: slot 3 is not a CompiledMethod", ctx);
      return;
    }
  if (pc == vm->nil_obj)
    return;       /* a dead (returned-from) context */
  StMethodHeader mh;
  if (!st_method_header (vm, method, &mh, NULL))
    return;       /* reported with the method */
  /* pc is 1-based, in the 64-bit layout: the first bytecode is at
   * initial_pc + 1 and pc may point just past the last byte. */
  if (!st_is_smallint (pc) || st_smallint_value (pc) < (int64_t) mh.initial_pc + 1
      || st_smallint_value (pc) > (int64_t) mh.end_pc + 1)
    {
      g_autofree char *expected = g_strdup_printf ("nil or %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT,
                                                   mh.initial_pc + 1, mh.end_pc + 1);
      g_autofree char *found = st_is_smallint (pc) ? g_strdup_printf ("%" G_GINT64_FORMAT, st_smallint_value (pc))
                                                   : g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", pc);
      finding (c, ST_FINDING_CONTEXT, ctx, 1, expected, found,
               "context 0x%" G_GINT64_MODIFIER "x: pc %s is outside the bytecodes of its method 0x%"
               G_GINT64_MODIFIER "x", ctx, found, method);
    }
}

static void
check_forwarder (Checker *c, StOop o, uint64_t n)
{
  if (n < 1)
    {
      finding (c, ST_FINDING_BAD_FORWARDER, o, ST_FINDING_NO_FIELD, "1 slot (the target)", "0 slots",
               "forwarder 0x%" G_GINT64_MODIFIER "x has no slot for its target", o);
      return;
    }
  StOop t = st_fetch (c->vm, o, 0);
  const char *why = NULL;
  if (!st_is_pointer (t))
    why = "is not an object pointer";
  else if (!is_start (c, t))
    why = "is not the start of an object";
  else if (st_class_index (c->vm, t) == ST_CLASS_INDEX_FREE)
    why = "is a free chunk";
  else if (t == o)
    why = "is the forwarder itself";
  if (why != NULL)
    {
      g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", t);
      finding (c, ST_FINDING_BAD_FORWARDER, o, 0, "a live object", found,
               "forwarder 0x%" G_GINT64_MODIFIER "x points to 0x%" G_GINT64_MODIFIER "x, which %s", o, t, why);
    }
}

/* Format, size and padding consistency that need no class. */
static void
check_shape (Checker *c, StOop o, uint64_t n, guint fmt)
{
  const char *why = NULL;
  if (fmt == 6 || fmt == 8)
    why = "format %u is unused";
  else if (fmt == ST_FMT_ZERO && n != 0)
    why = "format %u (zero-sized) with slots";
  else if (n == 0 && fmt >= ST_FMT_WORDS32 && (fmt & (fmt >= ST_FMT_BYTES ? 7 : fmt >= ST_FMT_SHORTS16 ? 3 : 1)) != 0)
    why = "format %u counts unused trailing elements but the object has no slots";
  else if (fmt >= ST_FMT_METHOD && n == 0)
    why = "format %u (CompiledMethod) with no slots";
  if (why != NULL)
    {
      g_autofree char *found = g_strdup_printf ("format %u, %" G_GUINT64_FORMAT " slots", fmt, n);
      g_autofree char *detail = g_strdup_printf (why, fmt);
      finding (c, ST_FINDING_BAD_SIZE, o, ST_FINDING_NO_FIELD, "a format and size that agree", found,
               "object 0x%" G_GINT64_MODIFIER "x: %s", o, detail);
    }
  if (st_hdr_num_slots (st_header (c->vm, o)) == ST_OVERFLOW_SLOTS && n < ST_OVERFLOW_SLOTS)
    {
      g_autofree char *found = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
      finding (c, ST_FINDING_BAD_SIZE, o, ST_FINDING_NO_FIELD, "an overflow count of at least 255", found,
               "object 0x%" G_GINT64_MODIFIER "x has an overflow size word holding %" G_GUINT64_FORMAT
               " slots; counts below 255 belong in the header", o, n);
    }
}

static void
check_against_class (Checker *c, StOop o, uint64_t n, guint fmt, guint32 ci, const ClassEntry *e)
{
  const StClassSpec spec_copy = { .inst_spec = e->inst_spec, .inst_size = e->inst_size, .raw_spec = e->raw_spec };
  const StClassSpec *spec = &spec_copy;
  if (!st_class_spec_admits_format (spec, fmt))
    {
      g_autofree char *expected = g_strdup_printf ("format %u (instSpec %u of the class)", spec->inst_spec, spec->raw_spec);
      g_autofree char *found = g_strdup_printf ("format %u", fmt);
      finding (c, ST_FINDING_FORMAT_MISMATCH, o, ST_FINDING_NO_FIELD, expected, found,
               "object 0x%" G_GINT64_MODIFIER "x has format %u but its class (index %u) makes instances of "
               "format %u%s", o, fmt, ci, spec->inst_spec, spec->inst_spec == 7 ? " (immediates only)" : "");
      return;
    }
  bool bad = false;
  switch (fmt)
    {
    case ST_FMT_ZERO:
      bad = spec->inst_size != 0;
      break;
    case ST_FMT_FIXED:
    case ST_FMT_EPHEMERON:
      bad = n != spec->inst_size;
      break;
    case ST_FMT_FIXED_INDEXABLE:
    case ST_FMT_WEAK:
      bad = n < spec->inst_size;
      break;
    default:
      break;
    }
  if (bad)
    {
      g_autofree char *expected = g_strdup_printf ("%s%u slots", fmt == ST_FMT_FIXED_INDEXABLE || fmt == ST_FMT_WEAK
                                                   ? "at least " : "", spec->inst_size);
      g_autofree char *found = g_strdup_printf ("%" G_GUINT64_FORMAT " slots", n);
      finding (c, ST_FINDING_FORMAT_MISMATCH, o, ST_FINDING_NO_FIELD, expected, found,
               "object 0x%" G_GINT64_MODIFIER "x has %" G_GUINT64_FORMAT " slots but its class (index %u) "
               "has %u named instance variables", o, n, ci, spec->inst_size);
    }
}

static void
check_object (Checker *c, StOop o)
{
  StVM *vm = c->vm;
  uint64_t h = st_header (vm, o);
  uint64_t n = st_num_slots (vm, o);
  guint fmt = st_hdr_format (h);
  guint32 ci = st_hdr_class_index (h);
  c->r->objects++;

  if (ci == ST_CLASS_INDEX_FREE)
    {
      c->r->free_chunks++;
      c->r->free_bytes += st_object_end (vm, o) - st_object_start (vm, o);
      return;
    }
  check_shape (c, o, n, fmt);
  if (ci == ST_CLASS_INDEX_FORWARDER)
    {
      check_forwarder (c, o, n);
      return;
    }
  if (ci < ST_CLASS_INDEX_FIRST_REAL)
    {
      if (ci < ST_CLASS_INDEX_ARRAY_PUN)
        {
          g_autofree char *found = g_strdup_printf ("%u (%s)", ci, st_class_index_describe (ci));
          finding (c, ci == ST_CLASS_INDEX_BRIDGE ? ST_FINDING_BRIDGE : ST_FINDING_BAD_CLASS_INDEX, o,
                   ST_FINDING_NO_FIELD, "0, 8, 16..31 or a class index >= 32", found,
                   "object 0x%" G_GINT64_MODIFIER "x has class index %u (%s), which no object inside a segment "
                   "may have", o, ci, st_class_index_describe (ci));
          return;
        }
      /* A hidden object: only its pointers can be checked. */
      if (st_fmt_is_pointers (fmt))
        {
          c->in_hidden = true;
          check_slots (c, o, 0, n);
          c->in_hidden = false;
        }
      return;
    }

  const ClassEntry *e = class_entry (c, ci);
  if (e == NULL || e->state == CLS_MISSING)
    {
      g_autofree char *found = g_strdup_printf ("%u", ci);
      finding (c, ST_FINDING_BAD_CLASS_INDEX, o, ST_FINDING_NO_FIELD, "the index of a class in the class table", found,
               "object 0x%" G_GINT64_MODIFIER "x has class index %u, but the class table has no class there", o, ci);
    }
  else if (e->state == CLS_OK)
    {
      check_against_class (c, o, n, fmt, ci, e);
      if (e->is_context || e->is_block_context)
        {
          if (st_fmt_is_pointers (fmt))
            check_context (c, o, n, e);
          return;
        }
    }
  /* CLS_NOT_A_CLASS and CLS_NO_SPEC are reported once, with the class table. */

  if (fmt >= ST_FMT_METHOD)
    check_method (c, o);
  else if (st_fmt_is_pointers (fmt))
    check_slots (c, o, 0, n);
}

static void
pass_objects (Checker *c)
{
  StVM *vm = c->vm;
  for (guint s = 0; s < vm->n_segments; s++)
    {
      StOop a = vm->segments[s].start;
      StOop limit = c->seg_walk_end[s];
      while (a < limit)
        {
          StOop oop = (st_word_at (vm, a) >> 56) == 0xFF ? a + 8 : a;
          check_object (c, oop);
          uint64_t n = st_num_slots (vm, oop);
          a = oop + 8 + 8 * (n == 0 ? 1 : n);
        }
    }
}

/* ---- pass 3: class table ---- */

static void
pass_class_table (Checker *c)
{
  StVM *vm = c->vm;
  StOop roots = vm->hidden_roots_obj;
  if (!is_start (c, roots))
    {
      finding (c, ST_FINDING_CLASS_TABLE, 0, ST_FINDING_NO_FIELD, "the hidden roots object", NULL,
               "the hidden roots object 0x%" G_GINT64_MODIFIER "x is not an object in the heap", roots);
      return;
    }
  if (st_class_index (vm, roots) != ST_CLASS_INDEX_ARRAY_PUN)
    {
      g_autofree char *found = g_strdup_printf ("%u", st_class_index (vm, roots));
      finding (c, ST_FINDING_HIDDEN_OBJECT, roots, ST_FINDING_NO_FIELD, "16 (array pun)", found,
               "the hidden roots object 0x%" G_GINT64_MODIFIER "x has class index %s, not the array pun 16",
               roots, found);
    }
  uint64_t nroots = st_num_slots (vm, roots);
  if (nroots < ST_CLASS_TABLE_ROOT_SLOTS || !st_fmt_is_pointers (st_format (vm, roots)))
    {
      g_autofree char *found = g_strdup_printf ("%" G_GUINT64_FORMAT " slots, format %u", nroots, st_format (vm, roots));
      finding (c, ST_FINDING_CLASS_TABLE, roots, ST_FINDING_NO_FIELD, "at least 4096 pointer slots", found,
               "the hidden roots object 0x%" G_GINT64_MODIFIER "x is too small for the class table", roots);
      return;
    }
  bool v3 = vm->personality.family == ST_FAMILY_V3;
  for (guint32 major = 0; major < ST_CLASS_TABLE_ROOT_SLOTS; major++)
    {
      StOop page = st_fetch (vm, roots, major);
      if (page == vm->nil_obj)
        {
          if (major == 0)
            finding (c, ST_FINDING_CLASS_TABLE, roots, 0, "class-table page 0", "nil",
                     "the class table has no first page (hidden roots slot 0 is nil)");
          continue;
        }
      if (!is_start (c, page))
        continue;     /* reported as a bad pointer of the hidden roots */
      uint64_t np = st_num_slots (vm, page);
      guint32 pci = st_class_index (vm, page);
      if (np != ST_CLASS_TABLE_PAGE_SIZE || pci != ST_CLASS_INDEX_ARRAY_PUN || !st_fmt_is_pointers (st_format (vm, page)))
        {
          g_autofree char *found = g_strdup_printf ("%" G_GUINT64_FORMAT " slots, class index %u, format %u",
                                                    np, pci, st_format (vm, page));
          finding (c, pci != ST_CLASS_INDEX_ARRAY_PUN ? ST_FINDING_HIDDEN_OBJECT : ST_FINDING_CLASS_TABLE, page,
                   ST_FINDING_NO_FIELD, "1024 pointer slots, class index 16", found,
                   "class-table page %u at 0x%" G_GINT64_MODIFIER "x is malformed", major, page);
          if (np != ST_CLASS_TABLE_PAGE_SIZE || !st_fmt_is_pointers (st_format (vm, page)))
            continue;
        }
      for (guint32 minor = 0; minor < ST_CLASS_TABLE_PAGE_SIZE; minor++)
        {
          StOop cls = st_fetch (vm, page, minor);
          guint32 idx = (major << ST_CLASS_TABLE_PAGE_SHIFT) | minor;
          if (cls == vm->nil_obj || !is_start (c, cls))
            continue;   /* bad pointers are reported with the page's slots */
          c->r->classes++;
          ClassEntry *e = class_entry (c, idx);
          if (e == NULL)
            continue;
          if (e->state == CLS_NOT_A_CLASS || e->state == CLS_NO_SPEC)
            {
              g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", cls);
              finding (c, ST_FINDING_NOT_A_CLASS, cls, minor, "a class", found,
                       e->state == CLS_NOT_A_CLASS
                       ? "class-table entry %u (page %u slot %u) is 0x%" G_GINT64_MODIFIER "x, which is not a class"
                       : "class-table entry %u (page %u slot %u) is 0x%" G_GINT64_MODIFIER
                         "x, whose format slot is not a valid instance specification",
                       idx, major, minor, cls);
              continue;
            }
          guint32 hash = st_hash (vm, cls);
          /* Spur: a class's identity hash is its index.  V3 origin: indices
           * were given at load as hash + 4096 * k (V3 hashes have 12 bits).
           * Below 32 an entry may alias another (Spur 32 puts SmallInteger
           * at 1 and 3): then its hash names the entry it aliases. */
          bool ok = v3 ? (idx & 0xFFF) == (hash & 0xFFF) : hash == idx;
          /* An alias: the class also sits at the index its hash names, which
           * is the entry its instances use.  Real Spur images have many (the
           * Pharo 8 kernel image 570, SqueakJS's headless image 65): classes
           * reshaped or rebuilt keep their old table entries.  Spur 32 puts
           * SmallInteger at 1 and 3 on purpose.  Counted, not reported. */
          if (!ok && !v3 && st_class_info_class_at (vm, hash) == cls)
            {
              c->r->class_aliases++;
              ok = true;
            }
          /* V3 origin: the reader files the immediate classes under the
           * reserved indices too (SmallInteger at 1), whatever their hash. */
          if (!ok && v3 && idx < ST_CLASS_INDEX_FIRST_REAL)
            ok = true;
          if (!ok)
            {
              g_autofree char *expected = g_strdup_printf (v3 ? "%u (mod 4096)" : "%u", v3 ? idx & 0xFFF : idx);
              g_autofree char *found = g_strdup_printf ("%u", hash);
              g_autofree char *name = st_class_name (vm, cls);
              finding (c, ST_FINDING_CLASS_TABLE, cls, ST_FINDING_NO_FIELD, expected, found,
                       "class %s (0x%" G_GINT64_MODIFIER "x) sits at class-table index %u but its identity hash "
                       "is %u", name, cls, idx, hash);
            }
        }
    }
}

/* ---- pass 4: special objects array ---- */

static const struct { guint index; const char *name; guint32 spur_index; } special_classes[] = {
  { ST_SPLOB_CLASS_BITMAP, "Bitmap", 0 },
  { ST_SPLOB_CLASS_SMALLINTEGER, "SmallInteger", ST_CLASS_INDEX_SMALLINTEGER },
  { ST_SPLOB_CLASS_BYTESTRING, "ByteString", ST_CLASS_INDEX_BYTE_STRING },
  { ST_SPLOB_CLASS_ARRAY, "Array", ST_CLASS_INDEX_ARRAY },
  { ST_SPLOB_CLASS_FLOAT, "Float", ST_CLASS_INDEX_FLOAT },
  { ST_SPLOB_CLASS_METHOD_CONTEXT, "MethodContext", ST_CLASS_INDEX_CONTEXT },
  { ST_SPLOB_CLASS_POINT, "Point", 0 },
  { ST_SPLOB_CLASS_LARGE_POSITIVE_INTEGER, "LargePositiveInteger", ST_CLASS_INDEX_LARGE_POSITIVE_INTEGER },
  { ST_SPLOB_CLASS_MESSAGE, "Message", ST_CLASS_INDEX_MESSAGE },
  { ST_SPLOB_CLASS_COMPILED_METHOD, "CompiledMethod", 0 },
  { ST_SPLOB_CLASS_SEMAPHORE, "Semaphore", 0 },
  { ST_SPLOB_CLASS_CHARACTER, "Character", 0 },
  { ST_SPLOB_CLASS_BYTE_ARRAY, "ByteArray", ST_CLASS_INDEX_BYTE_ARRAY },
  { ST_SPLOB_CLASS_PROCESS, "Process", 0 },
  { ST_SPLOB_CLASS_LARGE_NEGATIVE_INTEGER, "LargeNegativeInteger", ST_CLASS_INDEX_LARGE_NEGATIVE_INTEGER },
};

static void
pass_special_objects (Checker *c)
{
  StVM *vm = c->vm;
  StOop so = vm->special_objects;
  if (!is_start (c, so) || !st_fmt_is_pointers (st_format (vm, so)))
    {
      g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", so);
      finding (c, ST_FINDING_SPECIAL_OBJECTS, 0, ST_FINDING_NO_FIELD, "an Array of pointers", found,
               "the special objects array 0x%" G_GINT64_MODIFIER "x is not a pointer object in the heap", so);
      return;
    }
  uint64_t n = st_num_slots (vm, so);
  if (n < ST_SPLOB_SCHEDULER_ASSOCIATION + 1)
    {
      g_autofree char *found = g_strdup_printf ("%" G_GUINT64_FORMAT " slots", n);
      finding (c, ST_FINDING_SPECIAL_OBJECTS, so, ST_FINDING_NO_FIELD, "at least 4 slots", found,
               "the special objects array 0x%" G_GINT64_MODIFIER "x has only %" G_GUINT64_FORMAT " slots", so, n);
      return;
    }
  const struct { StOop want; const char *name; } fixed[] = {
    { vm->nil_obj, "nil (the first object)" },
    { vm->false_obj, "false (the second object)" },
    { vm->true_obj, "true (the third object)" },
  };
  for (guint i = 0; i < 3; i++)
    if (st_fetch (vm, so, i) != fixed[i].want)
      {
        g_autofree char *expected = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x, %s", fixed[i].want, fixed[i].name);
        g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", st_fetch (vm, so, i));
        finding (c, ST_FINDING_SPECIAL_OBJECTS, so, i, expected, found,
                 "special objects slot %u should be %s", i, fixed[i].name);
      }
  StOop assoc = st_fetch (vm, so, ST_SPLOB_SCHEDULER_ASSOCIATION);
  if (!is_start (c, assoc) || !st_fmt_is_pointers (st_format (vm, assoc)) || st_num_slots (vm, assoc) < 2
      || !is_start (c, st_fetch (vm, assoc, 1)) || st_num_slots (vm, st_fetch (vm, assoc, 1)) < 2)
    {
      g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", assoc);
      finding (c, ST_FINDING_SPECIAL_OBJECTS, so, ST_SPLOB_SCHEDULER_ASSOCIATION,
               "an Association whose value is the ProcessorScheduler", found,
               "special objects slot 3 is not an Association holding the process scheduler");
    }
  bool spur = vm->personality.family == ST_FAMILY_SPUR;
  for (gsize i = 0; i < G_N_ELEMENTS (special_classes); i++)
    {
      guint k = special_classes[i].index;
      if (k >= n)
        continue;
      StOop cls = st_fetch (vm, so, k);
      if (cls == vm->nil_obj)
        continue;     /* an image may not have every class */
      if (!is_start (c, cls) || !st_object_is_class (vm, cls))
        {
          g_autofree char *expected = g_strdup_printf ("the class %s", special_classes[i].name);
          g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", cls);
          finding (c, ST_FINDING_SPECIAL_OBJECTS, so, k, expected, found,
                   "special objects slot %u should be the class %s but 0x%" G_GINT64_MODIFIER "x is not a class",
                   k, special_classes[i].name, cls);
          continue;
        }
      /* Spur VMs instantiate these classes by fixed index, so the class
       * table must hold the class there (its hash may name an alias entry:
       * CP-Node's Float has hash 4 and sits at 4 and 34).  V3 images have
       * no such indices. */
      guint32 want = special_classes[i].spur_index;
      if (spur && want != 0 && st_class_info_class_at (vm, want) != cls)
        {
          g_autofree char *expected = g_strdup_printf ("the class at class-table index %u", want);
          g_autofree char *name = st_class_name (vm, cls);
          g_autofree char *found = g_strdup_printf ("class index %u (%s)", st_hash (vm, cls), name);
          finding (c, ST_FINDING_SPECIAL_OBJECTS, so, k, expected, found,
                   "special objects slot %u (%s) holds %s (hash %u), but the VM finds that class at index %u",
                   k, special_classes[i].name, name, st_hash (vm, cls), want);
        }
    }
}

/* ---- pass 5: free lists and the free-chunk tree ---- */

static uint64_t
chunk_bytes (const StVM *vm, StOop o)
{
  return st_object_end (vm, o) - st_object_start (vm, o);
}

/* Is v a free chunk in the heap?  Reports when not. */
static bool
free_link_ok (Checker *c, StOop from, int64_t field, StOop v, const char *what)
{
  if (is_start (c, v) && st_class_index (c->vm, v) == ST_CLASS_INDEX_FREE)
    return true;
  g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", v);
  finding (c, ST_FINDING_FREE_LIST, from, field, "a free chunk", found,
           "%s of 0x%" G_GINT64_MODIFIER "x is 0x%" G_GINT64_MODIFIER "x, which is not a free chunk", what, from, v);
  return false;
}

static void
pass_free_space (Checker *c)
{
  StVM *vm = c->vm;
  StOop fl = vm->free_lists_obj;
  if (!is_start (c, fl))
    {
      finding (c, ST_FINDING_FREE_LIST, 0, ST_FINDING_NO_FIELD, "the free-lists object (fourth object)", NULL,
               "the free-lists object 0x%" G_GINT64_MODIFIER "x is not an object in the heap", fl);
      return;
    }
  guint32 fci = st_class_index (vm, fl);
  uint64_t nfl = st_num_slots (vm, fl);
  if (fci != ST_CLASS_INDEX_LONGS64_PUN || st_format (vm, fl) != ST_FMT_WORDS64 || nfl < ST_NUM_FREE_LISTS)
    {
      g_autofree char *found = g_strdup_printf ("class index %u, format %u, %" G_GUINT64_FORMAT " slots",
                                                fci, st_format (vm, fl), nfl);
      finding (c, fci != ST_CLASS_INDEX_LONGS64_PUN ? ST_FINDING_HIDDEN_OBJECT : ST_FINDING_FREE_LIST, fl,
               ST_FINDING_NO_FIELD, "class index 19, format 9, 64 slots", found,
               "the free-lists object 0x%" G_GINT64_MODIFIER "x is malformed", fl);
      if (nfl < ST_NUM_FREE_LISTS || st_format (vm, fl) != ST_FMT_WORDS64)
        return;
    }
  /* A 64-bit Spur file brings its own lists; the Spur 32 reader rebuilds
   * them in 8-byte units (the file's count 4-byte ones), and V3 files have
   * none.  Either way the heap in memory must have consistent lists. */
  if (vm->personality.family != ST_FAMILY_SPUR || vm->personality.word_bytes != 8)
    skip_note (c, "free lists: this image's file has no 64-bit free lists; the ones the reader built are checked");

  /* Every chunk reached through a list or the tree, to find duplicates and
   * chunks on no list.  Free chunks are few; a hash set is small. */
  GHashTable *seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  uint64_t budget = c->r->free_chunks + 1;

  for (guint i = 1; i < ST_NUM_FREE_LISTS; i++)
    {
      StOop prev = 0;
      StOop p = st_fetch (vm, fl, i);
      uint64_t steps = 0;
      int64_t field = i;
      StOop from = fl;
      while (p != 0)
        {
          if (!free_link_ok (c, from, field, p, field == (int64_t) i && from == fl ? "free list head" : "the next link"))
            break;
          if (++steps > budget || g_hash_table_contains (seen, GSIZE_TO_POINTER (p)))
            {
              finding (c, ST_FINDING_FREE_LIST, p, 0, "each chunk on one list once", "a chunk met twice",
                       "free list %u reaches the chunk 0x%" G_GINT64_MODIFIER "x a second time (a cycle or a "
                       "chunk on two lists)", i, p);
              break;
            }
          g_hash_table_add (seen, GSIZE_TO_POINTER (p));
          uint64_t units = chunk_bytes (vm, p) / 8;
          if (units != i)
            {
              g_autofree char *expected = g_strdup_printf ("%u bytes", i * 8);
              g_autofree char *found = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", units * 8);
              finding (c, ST_FINDING_FREE_LIST, p, ST_FINDING_NO_FIELD, expected, found,
                       "free chunk 0x%" G_GINT64_MODIFIER "x of %" G_GUINT64_FORMAT " bytes is on free list %u "
                       "(chunks of %u bytes)", p, units * 8, i, i * 8);
            }
          /* Chunks of 24 bytes and more are doubly linked. */
          if (units >= 3 && st_num_slots (vm, p) >= 2 && st_fetch (vm, p, 1) != prev)
            {
              g_autofree char *expected = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", prev);
              g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", st_fetch (vm, p, 1));
              finding (c, ST_FINDING_FREE_LIST, p, 1, expected, found,
                       "free chunk 0x%" G_GINT64_MODIFIER "x on list %u: its previous link is wrong", p, i);
            }
          prev = p;
          from = p;
          field = 0;
          p = st_num_slots (vm, p) >= 1 ? st_fetch (vm, p, 0) : 0;
        }
    }

  /* The tree: head 0, nodes ordered by size, each heading a list of
   * chunks of its size; slots: 0 next, 1 prev, 2 parent, 3 smaller, 4 larger. */
  typedef struct { StOop node, parent; uint64_t lo, hi; } Item;
  GArray *stack = g_array_new (FALSE, FALSE, sizeof (Item));
  StOop root = st_fetch (vm, fl, 0);
  if (root != 0)
    {
      Item it = { root, 0, 0, G_MAXUINT64 };
      g_array_append_val (stack, it);
    }
  while (stack->len > 0)
    {
      Item it = g_array_index (stack, Item, stack->len - 1);
      g_array_set_size (stack, stack->len - 1);
      StOop node = it.node;
      if (!free_link_ok (c, it.parent ? it.parent : fl, it.parent ? 3 : 0, node, it.parent ? "a tree child" : "the free tree root"))
        continue;
      if (g_hash_table_contains (seen, GSIZE_TO_POINTER (node)) || g_hash_table_size (seen) > budget)
        {
          finding (c, ST_FINDING_FREE_LIST, node, ST_FINDING_NO_FIELD, "each chunk in the tree once", "a chunk met twice",
                   "the free-chunk tree reaches 0x%" G_GINT64_MODIFIER "x a second time", node);
          continue;
        }
      uint64_t bytes = chunk_bytes (vm, node);
      uint64_t n = st_num_slots (vm, node);
      if (n < 5 || bytes < ST_NUM_FREE_LISTS * 8)
        {
          g_autofree char *found = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", bytes);
          finding (c, ST_FINDING_FREE_LIST, node, ST_FINDING_NO_FIELD, "at least 512 bytes", found,
                   "free chunk 0x%" G_GINT64_MODIFIER "x in the free tree is too small for the tree", node);
          g_hash_table_add (seen, GSIZE_TO_POINTER (node));
          continue;
        }
      if (bytes <= it.lo || bytes >= it.hi)
        {
          g_autofree char *found = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", bytes);
          finding (c, ST_FINDING_FREE_LIST, node, ST_FINDING_NO_FIELD, "a size between its ancestors' sizes", found,
                   "free tree node 0x%" G_GINT64_MODIFIER "x is out of size order", node);
        }
      if (st_fetch (vm, node, 2) != it.parent)
        {
          g_autofree char *expected = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", it.parent);
          g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", st_fetch (vm, node, 2));
          finding (c, ST_FINDING_FREE_LIST, node, 2, expected, found,
                   "free tree node 0x%" G_GINT64_MODIFIER "x: its parent link is wrong", node);
        }
      g_hash_table_add (seen, GSIZE_TO_POINTER (node));
      /* Same-size chunks hang off the node's next link. */
      StOop p = st_fetch (vm, node, 0);
      StOop from = node;
      uint64_t steps = 0;
      while (p != 0)
        {
          if (!free_link_ok (c, from, 0, p, "the next link"))
            break;
          if (++steps > budget || g_hash_table_contains (seen, GSIZE_TO_POINTER (p)))
            {
              finding (c, ST_FINDING_FREE_LIST, p, 0, "each chunk on one list once", "a chunk met twice",
                       "the list of tree node 0x%" G_GINT64_MODIFIER "x reaches 0x%" G_GINT64_MODIFIER
                       "x a second time", node, p);
              break;
            }
          g_hash_table_add (seen, GSIZE_TO_POINTER (p));
          if (chunk_bytes (vm, p) != bytes)
            {
              g_autofree char *expected = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", bytes);
              g_autofree char *found = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", chunk_bytes (vm, p));
              finding (c, ST_FINDING_FREE_LIST, p, ST_FINDING_NO_FIELD, expected, found,
                       "free chunk 0x%" G_GINT64_MODIFIER "x hangs off tree node 0x%" G_GINT64_MODIFIER
                       "x but has another size", p, node);
            }
          from = p;
          p = st_num_slots (vm, p) >= 1 ? st_fetch (vm, p, 0) : 0;
        }
      StOop smaller = st_fetch (vm, node, 3), larger = st_fetch (vm, node, 4);
      if (larger != 0)
        {
          Item child = { larger, node, bytes, it.hi };
          g_array_append_val (stack, child);
        }
      if (smaller != 0)
        {
          Item child = { smaller, node, it.lo, bytes };
          g_array_append_val (stack, child);
        }
    }
  g_array_unref (stack);

  /* Chunks in the heap that no list reaches. */
  if (g_hash_table_size (seen) < c->r->free_chunks)
    for (guint s = 0; s < vm->n_segments; s++)
      {
        StOop a = vm->segments[s].start;
        while (a < c->seg_walk_end[s])
          {
            StOop oop = (st_word_at (vm, a) >> 56) == 0xFF ? a + 8 : a;
            if (st_class_index (vm, oop) == ST_CLASS_INDEX_FREE && !g_hash_table_contains (seen, GSIZE_TO_POINTER (oop)))
              {
                g_autofree char *found = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", chunk_bytes (vm, oop));
                finding (c, ST_FINDING_FREE_LIST, oop, ST_FINDING_NO_FIELD, "on the free list or tree for its size",
                         found, "free chunk 0x%" G_GINT64_MODIFIER "x (%" G_GUINT64_FORMAT " bytes) is on no free "
                         "list and not in the free tree", oop, chunk_bytes (vm, oop));
              }
            a = st_object_end (vm, oop);
          }
      }
  g_hash_table_unref (seen);
}

/* ---- pass 6: segment bridges ---- */

/* A segment ends in a 16-byte bridge.  The last segment's is an object
 * header (class index 3, no slots) and its pad word.  Every other one
 * spans the gap to the next segment: word 0 is an overflow size word (top
 * byte 0xFF) whose count makes the bridge end where the next segment
 * starts, word 1 either the bridge's own header (class index 3, 255 slots:
 * the form a running VM keeps) or the size in bytes of the next segment
 * (the form of the image file, which readers keep). */
static void
pass_bridges (Checker *c)
{
  StVM *vm = c->vm;
  for (guint s = 0; s < vm->n_segments; s++)
    {
      const StSegment *seg = &vm->segments[s];
      if (seg->bytes < ST_BRIDGE_BYTES)
        {
          finding (c, ST_FINDING_BRIDGE, 0, ST_FINDING_NO_FIELD, "a segment of at least 16 bytes", NULL,
                   "segment %u at 0x%" G_GINT64_MODIFIER "x is too small for its bridge", s, seg->start);
          continue;
        }
      StOop b = seg->start + seg->bytes - ST_BRIDGE_BYTES;
      uint64_t w0 = st_word_at (vm, b), w1 = st_word_at (vm, b + 8);
      bool last = s + 1 == vm->n_segments;
      g_autofree char *expected = NULL, *found = NULL;
      if (last)
        {
          if (st_hdr_class_index (w0) != ST_CLASS_INDEX_BRIDGE || st_hdr_num_slots (w0) != 0)
            {
              expected = g_strdup ("a header with class index 3 and no slots");
              found = g_strdup_printf ("0x%016" G_GINT64_MODIFIER "x (class index %u, %u slots)",
                                       w0, st_hdr_class_index (w0), st_hdr_num_slots (w0));
            }
        }
      else
        {
          const StSegment *next = &vm->segments[s + 1];
          uint64_t want = (next->start - b - ST_BRIDGE_BYTES) / 8;
          uint64_t count = w0 & G_GUINT64_CONSTANT (0x00FFFFFFFFFFFFFF);
          bool header_form = st_hdr_class_index (w1) == ST_CLASS_INDEX_BRIDGE
                             && st_hdr_num_slots (w1) == ST_OVERFLOW_SLOTS;
          bool file_form = w1 == next->bytes;
          if ((w0 >> 56) != 0xFF || count != want || !(header_form || file_form))
            {
              expected = g_strdup_printf ("span word 0x%016" G_GINT64_MODIFIER "x, then a bridge header or %"
                                          G_GUINT64_FORMAT " (the next segment's size)",
                                          (G_GUINT64_CONSTANT (0xFF) << 56) | want, next->bytes);
              found = g_strdup_printf ("0x%016" G_GINT64_MODIFIER "x, 0x%016" G_GINT64_MODIFIER "x", w0, w1);
            }
        }
      if (expected != NULL)
        finding (c, ST_FINDING_BRIDGE, b, ST_FINDING_NO_FIELD, expected, found,
                 "segment %u: the bridge at 0x%" G_GINT64_MODIFIER "x is wrong (%s)", s, b,
                 last ? "the last segment's bridge must be an empty bridge object"
                      : "it must span to the next segment");
    }
}

/* ---- pass 7: contexts and processes ---- */

static bool
is_context (Checker *c, StOop o)
{
  if (!is_start (c, o))
    return false;
  const ClassEntry *e = class_entry (c, st_class_index (c->vm, o));
  return e != NULL && (e->is_context || e->is_block_context) && st_num_slots (c->vm, o) >= 6;
}

static void
pass_sender_chains (Checker *c)
{
  StVM *vm = c->vm;
  GHashTable *done = g_hash_table_new (g_direct_hash, g_direct_equal);
  GArray *path = g_array_new (FALSE, FALSE, sizeof (StOop));
  guint n = c->contexts->len;
  for (guint i = 0; i < n; i++)
    {
      StOop ctx = g_array_index (c->contexts, StOop, i);
      if (g_hash_table_contains (done, GSIZE_TO_POINTER (ctx)))
        continue;
      g_array_set_size (path, 0);
      StOop x = ctx;
      bool cycle = false;
      while (true)
        {
          g_array_append_val (path, x);
          if (path->len > n + 1)
            {
              cycle = true;
              break;
            }
          StOop s = st_fetch (vm, x, 0);
          if (s == vm->nil_obj || !st_is_pointer (s))
            break;
          if (!is_context (c, s))
            {
              /* A BlockContext's caller and a Context's sender are contexts or nil. */
              if (is_start (c, s))
                {
                  g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", s);
                  finding (c, ST_FINDING_CONTEXT, x, 0, "a context or nil", found,
                           "context 0x%" G_GINT64_MODIFIER "x: its sender 0x%" G_GINT64_MODIFIER "x is not a context",
                           x, s);
                }
              break;
            }
          if (g_hash_table_contains (done, GSIZE_TO_POINTER (s)))
            break;
          x = s;
        }
      if (cycle)
        {
          /* x is on the cycle: measure it and report it at its lowest address. */
          StOop low = x, y = st_fetch (vm, x, 0);
          guint len = 1;
          while (y != x && len <= n)
            {
              low = MIN (low, y);
              y = st_fetch (vm, y, 0);
              len++;
            }
          g_autofree char *found = g_strdup_printf ("a cycle of %u contexts", len);
          finding (c, ST_FINDING_SENDER_CYCLE, low, 0, "a sender chain ending in nil", found,
                   "the sender chain through context 0x%" G_GINT64_MODIFIER "x loops (%u contexts)", low, len);
        }
      for (guint k = 0; k < path->len; k++)
        g_hash_table_add (done, GSIZE_TO_POINTER (g_array_index (path, StOop, k)));
    }
  g_array_unref (path);
  g_hash_table_unref (done);
}

static void
check_process (Checker *c, StOop p, StOop list, guint priority)
{
  StVM *vm = c->vm;
  c->r->processes++;
  StOop ctx = st_fetch (vm, p, 1);
  if (ctx != vm->nil_obj && !is_context (c, ctx))
    {
      g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", ctx);
      finding (c, ST_FINDING_PROCESS_LIST, p, 1, "a context or nil", found,
               "process 0x%" G_GINT64_MODIFIER "x: its suspendedContext is not a context", p);
    }
  if (list != 0 && st_fetch (vm, p, 3) != list)
    {
      g_autofree char *expected = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", list);
      g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", st_fetch (vm, p, 3));
      finding (c, ST_FINDING_PROCESS_LIST, p, 3, expected, found,
               "process 0x%" G_GINT64_MODIFIER "x is on the list 0x%" G_GINT64_MODIFIER
               "x but its myList says otherwise", p, list);
    }
  StOop pr = st_fetch (vm, p, 2);
  if (priority != 0 && (!st_is_smallint (pr) || st_smallint_value (pr) != priority))
    {
      g_autofree char *expected = g_strdup_printf ("%u", priority);
      g_autofree char *found = st_is_smallint (pr) ? g_strdup_printf ("%" G_GINT64_FORMAT, st_smallint_value (pr))
                                                   : g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", pr);
      finding (c, ST_FINDING_PROCESS_LIST, p, 2, expected, found,
               "process 0x%" G_GINT64_MODIFIER "x waits in the run queue of priority %u but has priority %s",
               p, priority, found);
    }
}

static void
pass_processes (Checker *c)
{
  StVM *vm = c->vm;
  StOop so = vm->special_objects;
  if (!is_start (c, so) || st_num_slots (vm, so) <= ST_SPLOB_SCHEDULER_ASSOCIATION)
    return;
  StOop assoc = st_fetch (vm, so, ST_SPLOB_SCHEDULER_ASSOCIATION);
  if (!is_start (c, assoc) || st_num_slots (vm, assoc) < 2)
    return;    /* reported with the special objects */
  StOop sched = st_fetch (vm, assoc, 1);
  if (!is_start (c, sched) || st_num_slots (vm, sched) < 2 || !st_fmt_is_pointers (st_format (vm, sched)))
    return;
  StOop lists = st_fetch (vm, sched, 0);
  if (!is_start (c, lists) || !st_fmt_is_pointers (st_format (vm, lists)))
    {
      g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", lists);
      finding (c, ST_FINDING_PROCESS_LIST, sched, 0, "an Array of process lists", found,
               "the process scheduler 0x%" G_GINT64_MODIFIER "x has no array of run queues", sched);
      return;
    }
  StOop active = st_fetch (vm, sched, 1);
  if (is_start (c, active) && st_num_slots (vm, active) >= 4)
    check_process (c, active, 0, 0);
  else
    {
      g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", active);
      finding (c, ST_FINDING_PROCESS_LIST, sched, 1, "a Process", found,
               "the process scheduler 0x%" G_GINT64_MODIFIER "x has no active process", sched);
    }
  uint64_t nl = st_num_slots (vm, lists);
  uint64_t budget = c->r->objects + 1;
  for (uint64_t i = 0; i < nl; i++)
    {
      StOop list = st_fetch (vm, lists, i);
      if (!is_start (c, list) || st_num_slots (vm, list) < 2 || !st_fmt_is_pointers (st_format (vm, list)))
        {
          g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", list);
          finding (c, ST_FINDING_PROCESS_LIST, lists, (int64_t) i, "a LinkedList", found,
                   "run queue %" G_GUINT64_FORMAT " of the scheduler is not a linked list", i + 1);
          continue;
        }
      StOop first = st_fetch (vm, list, 0), last = st_fetch (vm, list, 1);
      StOop p = first, prev = vm->nil_obj;
      uint64_t steps = 0;
      bool broken = false;
      /* Floyd's check: a second pointer moving two links per step. */
      StOop hare = first;
      while (p != vm->nil_obj)
        {
          if (!is_start (c, p) || st_num_slots (vm, p) < 4 || !st_fmt_is_pointers (st_format (vm, p)))
            {
              g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", p);
              finding (c, ST_FINDING_PROCESS_LIST, prev == vm->nil_obj ? list : prev, 0, "a Process or nil", found,
                       "run queue %" G_GUINT64_FORMAT ": link 0x%" G_GINT64_MODIFIER "x is not a process",
                       i + 1, p);
              broken = true;
              break;
            }
          check_process (c, p, list, (guint) (i + 1));
          prev = p;
          p = st_fetch (vm, p, 0);
          for (int k = 0; k < 2 && hare != vm->nil_obj; k++)
            hare = is_start (c, hare) && st_num_slots (vm, hare) >= 1 ? st_fetch (vm, hare, 0) : vm->nil_obj;
          if ((hare != vm->nil_obj && hare == p) || ++steps > budget)
            {
              finding (c, ST_FINDING_PROCESS_LIST, list, 0, "a list ending in nil", "a cycle",
                       "run queue %" G_GUINT64_FORMAT " (list 0x%" G_GINT64_MODIFIER "x) loops", i + 1, list);
              broken = true;
              break;
            }
        }
      if (!broken && last != prev)
        {
          g_autofree char *expected = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", prev);
          g_autofree char *found = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", last);
          finding (c, ST_FINDING_PROCESS_LIST, list, 1, expected, found,
                   "run queue %" G_GUINT64_FORMAT " (list 0x%" G_GINT64_MODIFIER "x): lastLink is not the last process",
                   i + 1, list);
        }
    }
}

/* ---- the whole check ---- */

StCheckReport *
st_heap_check (StVM *vm, const StCheckOptions *options)
{
  gint64 t0 = g_get_monotonic_time ();
  StCheckReport *r = g_new0 (StCheckReport, 1);
  Checker c = { .vm = vm, .r = r };
  c.max_findings = options != NULL && options->max_findings > 0 ? options->max_findings : DEFAULT_MAX_FINDINGS;
  c.bytecodes = options == NULL || !options->skip_bytecodes;
  c.kept = g_array_new (FALSE, TRUE, sizeof (StFinding));
  r->segments = vm->n_segments;
  if (vm->n_segments == 0)
    {
      finding (&c, ST_FINDING_HEAP_WALK, 0, ST_FINDING_NO_FIELD, "at least one segment", "none",
               "the heap has no segments");
      r->n_findings = c.kept->len;
      r->findings = (StFinding *) (void *) g_array_free (c.kept, FALSE);
      r->seconds = (g_get_monotonic_time () - t0) / 1e6;
      return r;
    }

  c.seg_bit_base = g_new0 (uint64_t, vm->n_segments);
  c.seg_walk_end = g_new0 (StOop, vm->n_segments);
  uint64_t bits = 0;
  for (guint s = 0; s < vm->n_segments; s++)
    {
      c.seg_bit_base[s] = bits;
      bits += vm->segments[s].bytes / 8;
      r->heap_bytes += vm->segments[s].bytes;
    }
  gsize words = (gsize) ((bits + 63) / 64);
  c.bitmap = g_new0 (guint64, words);
  r->bitmap_bytes = words * 8;

  /* The class table has at most (pages in use) * 1024 entries. */
  guint32 pages = 1;
  if (vm->hidden_roots_obj != 0 && st_addr_in_heap (vm, vm->hidden_roots_obj))
    {
      uint64_t n = 0;
      if (st_class_info_readable (vm, vm->hidden_roots_obj, 0))
        n = MIN (st_num_slots (vm, vm->hidden_roots_obj), ST_CLASS_TABLE_ROOT_SLOTS);
      for (guint32 i = 0; i < n; i++)
        if (st_fetch (vm, vm->hidden_roots_obj, i) != vm->nil_obj)
          pages = i + 1;
    }
  c.n_classes = pages * ST_CLASS_TABLE_PAGE_SIZE;
  c.classes = g_new0 (ClassEntry, c.n_classes);
  r->work_bytes = r->bitmap_bytes + sizeof (ClassEntry) * c.n_classes;
  c.contexts = g_array_new (FALSE, FALSE, sizeof (StOop));

  init_op_tables (&c);
  pass_mark (&c);

  c.method_context_class = st_class_info_special (vm, ST_SPLOB_CLASS_METHOD_CONTEXT);
  if (vm->personality.family == ST_FAMILY_V3)
    c.block_context_class = st_class_info_special (vm, ST_SPLOB_CLASS_BLOCK_CONTEXT);
  if (!is_start (&c, c.method_context_class) || c.method_context_class == vm->nil_obj)
    c.method_context_class = 0;
  if (c.block_context_class != 0 && (!is_start (&c, c.block_context_class) || c.block_context_class == vm->nil_obj))
    c.block_context_class = 0;

  pass_objects (&c);
  pass_class_table (&c);
  pass_special_objects (&c);
  pass_free_space (&c);
  pass_bridges (&c);
  pass_sender_chains (&c);
  pass_processes (&c);

  if (vm->personality.family == ST_FAMILY_V3)
    skip_note (&c, "class hashes: V3 hashes have 12 bits, so a class's index is checked modulo 4096");

  /* The context list and the hash sets of the sender-chain and free-list
   * passes: about 32 bytes per context and 24 per free chunk. */
  r->work_bytes += (gsize) c.contexts->len * 32 + (gsize) r->free_chunks * 24;
  g_free (c.bitmap);
  g_free (c.seg_bit_base);
  g_free (c.seg_walk_end);
  g_free (c.classes);
  g_array_unref (c.contexts);
  r->n_findings = c.kept->len;
  r->findings = (StFinding *) (void *) g_array_free (c.kept, FALSE);
  r->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return r;
}

void
st_check_report_free (StCheckReport *r)
{
  if (r == NULL)
    return;
  for (guint i = 0; i < r->n_findings; i++)
    {
      StFinding *f = &r->findings[i];
      g_free (f->class_name);
      g_free (f->expected);
      g_free (f->found);
      g_free (f->message);
    }
  g_free (r->findings);
  g_free (r);
}
