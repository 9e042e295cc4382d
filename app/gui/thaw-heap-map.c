/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ThawHeapMap: each segment as a band of cells coloured by what occupies
 * them (the kinds of the engine's heap map), drawn in snapshot().
 *
 * Only the rows inside the visible part of the scrolled window are drawn,
 * and neighbouring cells of one kind in a row become one rectangle, so a
 * frame costs what is on screen, not what is in the heap.  Hovering shows
 * the object under the pointer; clicking emits ::object-activated. */
#include "config.h"

#include <glib/gi18n.h>

#include "class-info.h"
#include "thaw-heap-map.h"

#define CELL_PX        6
#define HEADER_PX      24
#define BAND_GAP_PX    10
#define MIN_BPC        16
#define MAX_BPC        (1u << 20)
#define INDEX_STRIDE   4096     /* bytes between entries of the object-start index */

#define BLOCK_ROWS     32       /* cells are worked out in blocks of this many rows */

typedef struct {
  guint8  *cells;       /* kind per cell at the current zoom, filled a block at a time */
  gsize    n_cells;
  guint8  *block_done;  /* per block of BLOCK_ROWS rows: its cells are filled */
  int      block_columns;
  int      y;           /* top of the band's header, in widget coordinates */
  int      rows;
  StOop   *index;       /* first object starting at or after each INDEX_STRIDE boundary */
  gsize    n_index;
} Band;

struct _ThawHeapMap
{
  GtkWidget parent_instance;

  /* borrowed */
  StVM     *vm;

  /* owned */
  StHeapMap *map;
  Band      *bands;
  guint64    bpc;          /* bytes per cell */
  int        columns;
  int        height;
  guint64    mark;
  GtkAdjustment *vadj;     /* of the scrolled window around us; redraw on scroll */
};

G_DEFINE_FINAL_TYPE (ThawHeapMap, thaw_heap_map, GTK_TYPE_WIDGET)

enum { SIGNAL_OBJECT_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
free_bands (ThawHeapMap *self)
{
  if (self->bands == NULL)
    return;
  for (guint i = 0; i < self->map->n_segments; i++)
    {
      g_free (self->bands[i].cells);
      g_free (self->bands[i].block_done);
      g_free (self->bands[i].index);
    }
  g_clear_pointer (&self->bands, g_free);
}

/* An index of object starts, so hover finds its object without walking
 * the whole segment. */
static void
build_index (ThawHeapMap *self, guint seg, Band *b)
{
  const StHeapMapSegment *s = &self->map->segments[seg];
  b->n_index = s->bytes / INDEX_STRIDE + 1;
  b->index = g_new0 (StOop, b->n_index);
  if (self->vm == NULL)
    return;
  const StSegment *vs = NULL;
  for (guint i = 0; i < self->vm->n_segments; i++)
    if (self->vm->segments[i].start == s->start)
      vs = &self->vm->segments[i];
  if (vs == NULL)
    return;
  StOop limit = vs->start + vs->bytes - ST_BRIDGE_BYTES;
  StOop a = vs->start;
  gsize next_slot = 0;
  while (a < limit)
    {
      StOop o = st_oop_at_start (self->vm, a);
      uint64_t n = st_num_slots (self->vm, o);
      if (n > (limit - o) / 8)
        break;
      StOop end = o + 8 + 8 * (n == 0 ? 1 : n);
      if (end > limit || end <= a)
        break;
      while (next_slot < b->n_index && vs->start + next_slot * INDEX_STRIDE <= a)
        b->index[next_slot++] = a;
      a = end;
    }
}

static void
relayout (ThawHeapMap *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  self->columns = MAX (16, (width - 2) / CELL_PX);
  if (self->map == NULL)
    {
      self->height = 0;
      return;
    }
  gboolean need_index = self->bands == NULL;
  if (self->bands == NULL)
    self->bands = g_new0 (Band, self->map->n_segments);
  int y = 0;
  for (guint i = 0; i < self->map->n_segments; i++)
    {
      Band *b = &self->bands[i];
      const StHeapMapSegment *s = &self->map->segments[i];
      gsize n = (s->bytes + self->bpc - 1) / self->bpc;
      if (b->cells == NULL || b->n_cells != n || b->block_columns != self->columns)
        {
          /* Only what is drawn gets worked out (see ensure_rows), so a
           * change of zoom costs nothing until a frame needs the cells. */
          g_free (b->cells);
          g_free (b->block_done);
          b->cells = g_malloc (MAX (n, 1));
          b->n_cells = n;
          b->block_columns = self->columns;
          gsize rows = (n + self->columns - 1) / self->columns;
          b->block_done = g_malloc0 (rows / BLOCK_ROWS + 1);
        }
      if (need_index)
        build_index (self, i, b);
      b->y = y;
      b->rows = (int) ((n + self->columns - 1) / self->columns);
      y += HEADER_PX + b->rows * CELL_PX + BAND_GAP_PX;
    }
  self->height = y;
}

static void
thaw_heap_map_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                       int *minimum, int *natural, int *min_baseline, int *nat_baseline)
{
  ThawHeapMap *self = THAW_HEAP_MAP (widget);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 16 * CELL_PX;
      *natural = 128 * CELL_PX;
      return;
    }
  int columns = MAX (16, ((for_size > 0 ? for_size : 128 * CELL_PX) - 2) / CELL_PX);
  int h = 0;
  if (self->map != NULL)
    for (guint i = 0; i < self->map->n_segments; i++)
      {
        gsize n = (self->map->segments[i].bytes + self->bpc - 1) / self->bpc;
        h += HEADER_PX + (int) ((n + columns - 1) / columns) * CELL_PX + BAND_GAP_PX;
      }
  *minimum = *natural = h;
}

static void
thaw_heap_map_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  ThawHeapMap *self = THAW_HEAP_MAP (widget);
  relayout (self);
  /* Only the visible rows are drawn, so scrolling must redraw. */
  GtkWidget *sw = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adj = sw ? gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (sw)) : NULL;
  if (adj != self->vadj)
    {
      if (self->vadj != NULL)
        g_signal_handlers_disconnect_by_func (self->vadj, gtk_widget_queue_draw, self);
      g_set_object (&self->vadj, adj);
      if (adj != NULL)
        g_signal_connect_swapped (adj, "value-changed", G_CALLBACK (gtk_widget_queue_draw), self);
    }
}

static void
kind_rgba (StMapKind kind, GdkRGBA *c)
{
  guint32 rgb = st_map_kind_color (kind);
  c->red = ((rgb >> 16) & 0xFF) / 255.0;
  c->green = ((rgb >> 8) & 0xFF) / 255.0;
  c->blue = (rgb & 0xFF) / 255.0;
  c->alpha = 1.0;
}

/* Fill the cells of rows first..last of a band, block by block. */
static void
ensure_rows (ThawHeapMap *self, guint seg, Band *b, int first, int last)
{
  for (int block = first / BLOCK_ROWS; block <= last / BLOCK_ROWS; block++)
    {
      if (b->block_done[block])
        continue;
      gsize from = (gsize) block * BLOCK_ROWS * self->columns;
      if (from >= b->n_cells)
        break;
      gsize count = MIN ((gsize) BLOCK_ROWS * self->columns, b->n_cells - from);
      st_heap_map_cells_range (self->map, seg, self->bpc, from, b->cells + from, count);
      b->block_done[block] = 1;
    }
}

/* The rows of the widget that the scrolled window shows now. */
static void
visible_range (ThawHeapMap *self, double *top, double *bottom)
{
  *top = 0;
  *bottom = self->height;
  GtkWidget *sw = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_SCROLLED_WINDOW);
  if (sw == NULL)
    return;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (sw));
  graphene_point_t p = GRAPHENE_POINT_INIT (0, 0), q;
  if (!gtk_widget_compute_point (sw, GTK_WIDGET (self), &p, &q))
    return;
  *top = q.y;
  *bottom = q.y + gtk_adjustment_get_page_size (adj);
}

static void
thaw_heap_map_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  ThawHeapMap *self = THAW_HEAP_MAP (widget);
  if (self->map == NULL || self->bands == NULL)
    return;
  double top, bottom;
  visible_range (self, &top, &bottom);
  GdkRGBA fg;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  GdkRGBA colors[ST_MAP_N_KINDS + 1];
  for (int k = 0; k < ST_MAP_N_KINDS; k++)
    kind_rgba (k, &colors[k]);
  colors[ST_MAP_N_KINDS] = (GdkRGBA) { 0, 0, 0, 0 };

  for (guint i = 0; i < self->map->n_segments; i++)
    {
      const Band *b = &self->bands[i];
      const StHeapMapSegment *s = &self->map->segments[i];
      int band_bottom = b->y + HEADER_PX + b->rows * CELL_PX;
      if (band_bottom < top || b->y > bottom)
        continue;
      g_autofree char *size = g_format_size (s->bytes);
      g_autofree char *free_size = g_format_size (s->kind_bytes[ST_MAP_FREE]);
      g_autofree char *start = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", s->start);
      /* TRANSLATORS: segment number, start address, size, free bytes */
      g_autofree char *title = g_strdup_printf (_("Segment %u · %s · %s · %s free"), i, start, size, free_size);
      PangoLayout *layout = gtk_widget_create_pango_layout (widget, title);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, b->y + 2));
      gtk_snapshot_append_layout (snapshot, layout, &fg);
      gtk_snapshot_restore (snapshot);
      g_object_unref (layout);

      int first_row = MAX (0, (int) ((top - b->y - HEADER_PX) / CELL_PX));
      int last_row = MIN (b->rows - 1, (int) ((bottom - b->y - HEADER_PX) / CELL_PX) + 1);
      if (first_row <= last_row)
        ensure_rows (self, i, (Band *) b, first_row, last_row);
      for (int row = first_row; row <= last_row; row++)
        {
          gsize base = (gsize) row * self->columns;
          int col = 0;
          while (col < self->columns && base + col < b->n_cells)
            {
              guint8 k = b->cells[base + col];
              int run = 1;
              while (col + run < self->columns && base + col + run < b->n_cells && b->cells[base + col + run] == k)
                run++;
              if (k < ST_MAP_N_KINDS)
                gtk_snapshot_append_color (snapshot, &colors[k],
                                           &GRAPHENE_RECT_INIT (1 + col * CELL_PX, b->y + HEADER_PX + row * CELL_PX,
                                                                run * CELL_PX - (run == 1 ? 1 : 0), CELL_PX - 1));
              col += run;
            }
        }
      if (self->mark >= s->start && self->mark < s->start + s->bytes)
        {
          gsize cell = (self->mark - s->start) / self->bpc;
          int r = (int) (cell / self->columns), c = (int) (cell % self->columns);
          GdkRGBA red = { 0.9, 0.1, 0.1, 1 };
          float w[4] = { 2, 2, 2, 2 };
          GdkRGBA cs[4] = { red, red, red, red };
          GskRoundedRect rr;
          gsk_rounded_rect_init_from_rect (&rr, &GRAPHENE_RECT_INIT (c * CELL_PX - 2, b->y + HEADER_PX + r * CELL_PX - 2,
                                                                      CELL_PX + 4, CELL_PX + 4), 0);
          gtk_snapshot_append_border (snapshot, &rr, w, cs);
        }
    }
}

/* The object under widget point (x, y), or 0. */
static StOop
object_at (ThawHeapMap *self, double x, double y, guint *seg_out)
{
  if (self->map == NULL || self->bands == NULL || self->vm == NULL)
    return 0;
  for (guint i = 0; i < self->map->n_segments; i++)
    {
      const Band *b = &self->bands[i];
      int row = (int) ((y - b->y - HEADER_PX) / CELL_PX);
      if (y < b->y + HEADER_PX || row >= b->rows)
        continue;
      int col = (int) ((x - 1) / CELL_PX);
      if (col < 0 || col >= self->columns)
        return 0;
      gsize cell = (gsize) row * self->columns + col;
      if (cell >= b->n_cells)
        return 0;
      const StHeapMapSegment *s = &self->map->segments[i];
      StOop addr = s->start + cell * self->bpc;
      gsize slot = (addr - s->start) / INDEX_STRIDE;
      /* start from the index entry at or before addr */
      StOop a = 0;
      for (gsize k = MIN (slot, b->n_index - 1) + 1; k-- > 0;)
        if (b->index[k] != 0 && b->index[k] <= addr)
          {
            a = b->index[k];
            break;
          }
      if (a == 0)
        a = s->start;
      StOop limit = s->start + s->bytes - ST_BRIDGE_BYTES;
      while (a < limit)
        {
          StOop o = st_oop_at_start (self->vm, a);
          uint64_t n = st_num_slots (self->vm, o);
          if (n > (limit - o) / 8)
            return 0;
          StOop end = o + 8 + 8 * (n == 0 ? 1 : n);
          if (addr < end)
            {
              if (seg_out)
                *seg_out = i;
              return o;
            }
          a = end;
        }
      return 0;
    }
  return 0;
}

static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip, gpointer data)
{
  ThawHeapMap *self = THAW_HEAP_MAP (widget);
  StOop o = object_at (self, x, y, NULL);
  if (o == 0)
    return FALSE;
  uint64_t h = st_header (self->vm, o);
  guint32 ci = st_hdr_class_index (h);
  g_autofree char *cls = ci == ST_CLASS_INDEX_FREE ? g_strdup (_("free chunk")) : st_class_name_of (self->vm, o);
  g_autofree char *size = g_format_size (st_object_end (self->vm, o) - st_object_start (self->vm, o));
  g_autofree char *addr = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", o);
  /* TRANSLATORS: address, class name, size */
  g_autofree char *text = g_strdup_printf (_("%s · %s · %s"), addr, cls ? cls : "?", size);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
on_click (GtkGestureClick *gesture, int n_press, double x, double y, ThawHeapMap *self)
{
  StOop o = object_at (self, x, y, NULL);
  if (o != 0 && st_class_index (self->vm, o) != ST_CLASS_INDEX_FREE)
    g_signal_emit (self, signals[SIGNAL_OBJECT_ACTIVATED], 0, (guint64) o);
}

static gboolean
on_scroll (GtkEventControllerScroll *controller, double dx, double dy, ThawHeapMap *self)
{
  GdkModifierType mods = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));
  if (!(mods & GDK_CONTROL_MASK))
    return FALSE;
  thaw_heap_map_zoom (self, dy < 0 ? 1 : -1);
  return TRUE;
}

void
thaw_heap_map_set_bytes_per_cell (ThawHeapMap *self, guint64 bytes)
{
  guint64 bpc = MIN_BPC;
  while (bpc < bytes && bpc < MAX_BPC)
    bpc <<= 1;
  if (bpc == self->bpc)
    return;
  self->bpc = bpc;
  if (self->bands != NULL)
    for (guint i = 0; i < self->map->n_segments; i++)
      {
        g_clear_pointer (&self->bands[i].cells, g_free);
        g_clear_pointer (&self->bands[i].block_done, g_free);
      }
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

guint64
thaw_heap_map_get_bytes_per_cell (ThawHeapMap *self)
{
  return self->bpc;
}

void
thaw_heap_map_zoom (ThawHeapMap *self, int steps)
{
  guint64 bpc = self->bpc;
  for (; steps > 0 && bpc > MIN_BPC; steps--)
    bpc >>= 1;
  for (; steps < 0 && bpc < MAX_BPC; steps++)
    bpc <<= 1;
  thaw_heap_map_set_bytes_per_cell (self, bpc);
}

void
thaw_heap_map_fit (ThawHeapMap *self, int rows)
{
  if (self->map == NULL)
    return;
  uint64_t total = 0;
  for (guint i = 0; i < self->map->n_segments; i++)
    total += self->map->segments[i].bytes;
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int columns = MAX (16, ((width > 0 ? width : 800) - 2) / CELL_PX);
  thaw_heap_map_set_bytes_per_cell (self, total / ((guint64) columns * MAX (rows, 1)) + 1);
}

void
thaw_heap_map_set_mark (ThawHeapMap *self, guint64 address)
{
  self->mark = address;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
thaw_heap_map_set_model (ThawHeapMap *self, StVM *vm, StHeapMap *map)
{
  free_bands (self);
  g_clear_pointer (&self->map, st_heap_map_free);
  self->vm = vm;
  self->map = map;
  self->mark = 0;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

static void
thaw_heap_map_dispose (GObject *object)
{
  ThawHeapMap *self = THAW_HEAP_MAP (object);
  free_bands (self);
  g_clear_pointer (&self->map, st_heap_map_free);
  if (self->vadj != NULL)
    g_signal_handlers_disconnect_by_func (self->vadj, gtk_widget_queue_draw, self);
  g_clear_object (&self->vadj);
  G_OBJECT_CLASS (thaw_heap_map_parent_class)->dispose (object);
}

static void
thaw_heap_map_class_init (ThawHeapMapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = thaw_heap_map_dispose;
  widget_class->measure = thaw_heap_map_measure;
  widget_class->size_allocate = thaw_heap_map_size_allocate;
  widget_class->snapshot = thaw_heap_map_snapshot;
  gtk_widget_class_set_css_name (widget_class, "heapmap");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
  signals[SIGNAL_OBJECT_ACTIVATED] =
    g_signal_new ("object-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT64);
}

static void
thaw_heap_map_init (ThawHeapMap *self)
{
  self->bpc = 256;
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
  GtkGesture *click = gtk_gesture_click_new ();
  g_signal_connect (click, "released", G_CALLBACK (on_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Heap map: each segment as cells coloured by what occupies them"), -1);
}

GtkWidget *
thaw_heap_map_new (void)
{
  return g_object_new (THAW_TYPE_HEAP_MAP, NULL);
}
