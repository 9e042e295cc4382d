/* SPDX-License-Identifier: GPL-3.0-or-later */
/* objmem.h: the one in-memory object memory: a Spur heap with 64-bit words.
 *
 * Memory: one virtual-address reservation per VM.  Heap addresses (oops) are
 * the image's own addresses: segment 0 starts at the image's oldBaseAddr and
 * st_ptr() adds a per-VM bias to reach machine memory.  Later segments keep
 * their original addresses when they fit in the reservation, otherwise they
 * are placed after the previous one and their pointers relocated (swizzled).
 *
 * Old space is a list of segments.  Each ends in a 16-byte bridge (class
 * index 3) whose slot count spans the gap to the next segment, so a walk
 * over the heap sees one contiguous space.  The first objects are nil,
 * false, true, the free-lists object and the hidden-roots object (whose
 * first 4096 slots point at the class-table pages). */
#pragma once

#include "st.h"
#include "spur.h"

G_BEGIN_DECLS

/* Special objects array indices (SpurMemoryManager / SqueakJS names). */
typedef enum {
  ST_SPLOB_NIL_OBJECT = 0,
  ST_SPLOB_FALSE_OBJECT = 1,
  ST_SPLOB_TRUE_OBJECT = 2,
  ST_SPLOB_SCHEDULER_ASSOCIATION = 3,
  ST_SPLOB_CLASS_BITMAP = 4,
  ST_SPLOB_CLASS_SMALLINTEGER = 5,
  ST_SPLOB_CLASS_BYTESTRING = 6,
  ST_SPLOB_CLASS_ARRAY = 7,
  ST_SPLOB_SMALLTALK_DICTIONARY = 8,
  ST_SPLOB_CLASS_FLOAT = 9,
  ST_SPLOB_CLASS_METHOD_CONTEXT = 10,
  ST_SPLOB_CLASS_BLOCK_CONTEXT = 11,
  ST_SPLOB_CLASS_POINT = 12,
  ST_SPLOB_CLASS_LARGE_POSITIVE_INTEGER = 13,
  ST_SPLOB_THE_DISPLAY = 14,
  ST_SPLOB_CLASS_MESSAGE = 15,
  ST_SPLOB_CLASS_COMPILED_METHOD = 16,
  ST_SPLOB_THE_LOW_SPACE_SEMAPHORE = 17,
  ST_SPLOB_CLASS_SEMAPHORE = 18,
  ST_SPLOB_CLASS_CHARACTER = 19,
  ST_SPLOB_SELECTOR_DOES_NOT_UNDERSTAND = 20,
  ST_SPLOB_SELECTOR_CANNOT_RETURN = 21,
  ST_SPLOB_PROCESS_SIGNALING_LOW_SPACE = 22,
  ST_SPLOB_SPECIAL_SELECTORS = 23,
  ST_SPLOB_CHARACTER_TABLE = 24,
  ST_SPLOB_SELECTOR_MUST_BE_BOOLEAN = 25,
  ST_SPLOB_CLASS_BYTE_ARRAY = 26,
  ST_SPLOB_CLASS_PROCESS = 27,
  ST_SPLOB_COMPACT_CLASSES = 28,
  ST_SPLOB_THE_TIMER_SEMAPHORE = 29,
  ST_SPLOB_THE_INTERRUPT_SEMAPHORE = 30,
  ST_SPLOB_SELECTOR_CANNOT_INTERPRET = 34,
  ST_SPLOB_EXTERNAL_OBJECTS_ARRAY = 38,
  ST_SPLOB_THE_FINALIZATION_SEMAPHORE = 41,
  ST_SPLOB_CLASS_LARGE_NEGATIVE_INTEGER = 42,
  ST_SPLOB_SELECTOR_ABOUT_TO_RETURN = 48,
  ST_SPLOB_SELECTOR_RUN_WITH_IN = 49,
  ST_SPLOB_SELECTOR_ATTEMPT_TO_ASSIGN = 50,
  ST_SPLOB_PRIM_ERR_TABLE = 51,
} StSpecialObject;

typedef enum {
  ST_FAMILY_V3,
  ST_FAMILY_SPUR,
} StFamily;

/* What the image's own code expects of the machine it runs on. */
typedef struct {
  StFamily family;
  guint    word_bytes;      /* 4 or 8: the word size of the file and of the image's view */
  guint32  format;          /* the image format number as read */
  bool     big_endian;      /* byte order of the file */
  guint    header_offset;   /* 0, or 512 when the file has an exec prefix */
  bool     folder;          /* Pharo composed (directory) format */
  bool     closures;        /* BlockClosures (6504 and later) rather than BlockContexts */
  bool     sista;           /* format bit 512: methods may use SistaV1 */
  bool     native_floats;   /* format bit 0: floats stored in platform word order */
} StPersonality;

/* Every header field, widened to 64 bits.  V3 headers use the same
 * positions up to extra_vm_memory; later fields are zero for them. */
typedef struct {
  guint32  image_format;
  guint32  header_size;
  uint64_t data_size;
  uint64_t old_base_addr;
  uint64_t special_objects_oop;
  uint64_t last_hash;
  uint64_t saved_window_size;
  uint64_t header_flags;
  guint32  extra_vm_memory;
  guint16  num_stack_pages;
  guint16  cog_code_size;
  guint32  eden_bytes;
  guint16  max_ext_sem_tab_size;
  guint16  image_version;          /* Pharo; Squeak leaves it 0 */
  uint64_t first_seg_size;
  uint64_t free_old_space;
  guint8   raw[128];               /* the header bytes as read, for faithful rewrite */
  guint    raw_len;
} StImageHeader;

typedef struct {
  StOop    start;        /* heap address of the segment's first byte */
  uint64_t bytes;        /* its size, including the 16-byte bridge at its end */
  StOop    file_start;   /* its start address in the image it was read from */
  uint64_t file_offset;  /* offset of its data in that file (0 for new segments) */
} StSegment;

/* A defect met while reading a damaged image (salvage mode). */
typedef struct {
  int      code;         /* an StImageError */
  uint64_t file_offset;  /* where in the file, or G_MAXUINT64 when not known */
  StOop    address;      /* heap address of the object concerned, or 0 */
  char    *message;
} StDefect;

struct _StVM {
  /* memory */
  guint8   *mem;             /* start of the reservation */
  gsize     mem_reserved;    /* bytes reserved */
  gsize     mem_committed;   /* bytes readable and writable from mem */
  StOop     mem_base;        /* heap address of mem[0] */
  intptr_t  bias;            /* (intptr_t) mem - mem_base */

  StSegment *segments;
  guint      n_segments;
  guint      segments_cap;

  /* well-known objects */
  StOop nil_obj, false_obj, true_obj;
  StOop free_lists_obj, hidden_roots_obj;
  StOop special_objects;

  StImageHeader header;
  StPersonality personality;

  char *image_path;          /* the file or folder read */
  char *changes_path;        /* located beside it, or NULL */
  char *sources_path;        /* located beside it, or NULL */

  GPtrArray *defects;        /* StDefect *, filled in salvage mode */

  /* V3 origin: class indices were assigned at load; the table maps back. */
  GHashTable *v3_info;       /* owned by image-read-v3.c, may be NULL */

  /* The interpreter's state (interp-private.h), NULL until st_interp_init;
   * freed by st_vm_free through interp_free. */
  void *interp;
  void (*interp_free) (StVM *vm);

  /* A running VM's new space (gc.h): [young_start, young_start + young_bytes),
   * 0 bytes when there is none.  st_store's write barrier reads them. */
  StOop     young_start;
  uint64_t  young_bytes;
  StSegment young_segment;   /* what st_objmem_segment_of answers for it */
  /* StHandles tables of this VM (handles.c), roots for the collector. */
  GPtrArray *handle_tables;

  /* Spur 32 origin: what st_write_spur32 needs to restore the file exactly
   * (padding words, free chunks, the free-lists object, segment addresses). */
  gpointer       spur32_info;       /* owned by image-read-spur32.c, may be NULL */
  GDestroyNotify spur32_info_free;
};

StVM   *st_vm_new (void);
void    st_vm_free (StVM *vm);
/* A copy of old space and everything needed to look at it (no
 * interpreter): for a window showing a paused VM while its engine keeps
 * the original.  New space is not copied, so a VM that has run is emptied
 * into old space first (st_gc_collect with ST_GC_TENURE_ALL). */
StVM   *st_vm_copy (StVM *vm, GError **error);

/* Reserve address space so that heap address `base` maps to the start of
 * the reservation; commit `bytes` of it. */
gboolean st_objmem_init (StVM *vm, StOop base, gsize reserve_bytes, gsize commit_bytes, GError **error);
/* Make sure [mem_base, mem_base + bytes) is committed. */
gboolean st_objmem_commit (StVM *vm, gsize bytes, GError **error);
StSegment *st_objmem_add_segment (StVM *vm, StOop start, uint64_t bytes);
/* The segment holding heap address a, or NULL.  While a VM runs, an
 * address in new space answers vm->young_segment (not in the list). */
const StSegment *st_objmem_segment_of (StVM *vm, StOop a);
/* First address past the last segment. */
StOop   st_objmem_end (StVM *vm);

/* Allocate an object in old space by growing the last segment (objmem-alloc.c):
 * pointer slots are nil, others zero, identity hash 0.  For edits of a stopped
 * heap; returns 0 with an error when memory or the request is impossible. */
StOop   st_objmem_alloc_old (StVM *vm, guint32 class_index, guint format, uint64_t num_slots, GError **error);
/* Move the last segment's bridge up by bytes (a multiple of 8, committed
 * memory) unless it would pass limit: answers the address of the room it
 * leaves, or 0.  Shared by the allocator above and the collector. */
StOop   st_objmem_grow_last_segment (StVM *vm, uint64_t bytes, StOop limit);
/* Write a new object's header(s) at start (its overflow word first, when
 * it has one) and fill its slots: nil for pointers, zero otherwise; no
 * identity hash.  Answers the oop. */
StOop   st_objmem_init_object (StVM *vm, StOop start, guint32 class_index, guint format, uint64_t num_slots);

void    st_vm_add_defect (StVM *vm, int code, uint64_t file_offset, StOop address,
                          const char *fmt, ...) G_GNUC_PRINTF (5, 6);

/* --- raw access (no checks: callers validate addresses first) --- */
static inline uint64_t *st_ptr (const StVM *vm, StOop a) { return (uint64_t *) (vm->bias + (intptr_t) a); }
static inline uint64_t  st_word_at (const StVM *vm, StOop a) { return *st_ptr (vm, a); }
static inline uint64_t  st_header (const StVM *vm, StOop o) { return *st_ptr (vm, o); }
static inline void      st_set_header (StVM *vm, StOop o, uint64_t h) { *st_ptr (vm, o) = h; }
static inline guint     st_format (const StVM *vm, StOop o) { return st_hdr_format (st_header (vm, o)); }
static inline guint32   st_class_index (const StVM *vm, StOop o) { return st_hdr_class_index (st_header (vm, o)); }
static inline guint32   st_hash (const StVM *vm, StOop o) { return st_hdr_hash (st_header (vm, o)); }

/* Slot count of the object whose header h (already read) is at p,
 * honouring the overflow word before it. */
static inline uint64_t
st_slots_from_header (uint64_t h, const uint64_t *p)
{
  uint64_t n = st_hdr_num_slots (h);
  if (ST_UNLIKELY (n == ST_OVERFLOW_SLOTS))
    return p[-1] & G_GUINT64_CONSTANT (0x00FFFFFFFFFFFFFF);
  return n;
}

/* Slot count, honouring the overflow word. */
static inline uint64_t
st_num_slots (const StVM *vm, StOop o)
{
  const uint64_t *p = st_ptr (vm, o);
  return st_slots_from_header (p[0], p);
}

static inline StOop  st_fetch (const StVM *vm, StOop o, uint64_t i) { return st_ptr (vm, o)[1 + i]; }
/* The collector's slow path of the write barrier (gc.c). */
void st_gc_remember_slow (StVM *vm, StOop obj);

/* Store with the write barrier: an old object that now points into new
 * space is remembered. */
static inline void
st_store (StVM *vm, StOop o, uint64_t i, StOop v)
{
  st_ptr (vm, o)[1 + i] = v;
  if (ST_UNLIKELY ((v & ST_TAG_MASK) == 0 && v - vm->young_start < vm->young_bytes
                   && o - vm->young_start >= vm->young_bytes))
    st_gc_remember_slow (vm, o);
}
static inline guint8 *st_bytes (const StVM *vm, StOop o) { return (guint8 *) (st_ptr (vm, o) + 1); }

/* The address where the object's storage starts (its overflow word, if any)
 * and the address just past it. */
static inline StOop
st_object_start (const StVM *vm, StOop o)
{
  return st_hdr_num_slots (st_header (vm, o)) == ST_OVERFLOW_SLOTS ? o - 8 : o;
}

static inline StOop
st_object_end (const StVM *vm, StOop o)
{
  uint64_t n = st_num_slots (vm, o);
  return o + 8 + 8 * (n == 0 ? 1 : n);
}

/* The oop of an object whose storage starts at a. */
static inline StOop
st_oop_at_start (const StVM *vm, StOop a)
{
  return (st_word_at (vm, a) >> 56) == 0xFF ? a + 8 : a;
}

/* Element counts by format. */
uint64_t st_byte_length (const StVM *vm, StOop o);      /* formats 16-31 (methods: whole byte part incl. literals words) */
uint64_t st_indexable_count (const StVM *vm, StOop o);  /* elements of the indexable part, for any format */
uint64_t st_fixed_count (const StVM *vm, StOop o);      /* named instance variables (from the class) */

/* --- class table and well-known objects --- */
StOop   st_class_at_index (const StVM *vm, guint32 idx);   /* 0 when the entry is empty or unreadable */
StOop   st_class_of (const StVM *vm, StOop o);             /* works for immediates too */
StOop   st_special (const StVM *vm, StSpecialObject i);    /* nil_obj when out of range */
guint   st_special_count (const StVM *vm);

/* --- walking the heap --- */
typedef struct {
  const StVM *vm;
  guint seg;
  StOop next;        /* storage start of the next object */
  StOop limit;       /* where the current segment's bridge starts */
  bool  damaged;     /* the walk stopped early in some segment */
  StOop damaged_at;
} StHeapWalk;

void  st_heap_walk_init (StHeapWalk *w, const StVM *vm);
/* The next object (free chunks included, segment bridges excluded), or 0. */
StOop st_heap_walk_next (StHeapWalk *w);

/* Is a the oop of some object's header inside a segment?  (Bounds only:
 * it does not prove an object starts there.) */
static inline bool
st_addr_in_heap (const StVM *vm, StOop a)
{
  return st_objmem_segment_of ((StVM *) vm, a) != NULL;
}

G_END_DECLS
