/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The decompiler.
 *
 * Instructions of one code object are decoded into an array first.  A
 * region [from, end) of it is then run symbolically: pushes build
 * expression nodes on a stack, stores and pops turn them into statements,
 * sends combine them.  Control flow is recognised by shape:
 *
 *   cond jumpFalse T; then...; jump E; T: else...; E:     ifTrue:ifFalse:
 *   cond jumpFalse T; then...; T:                         ifTrue:
 *   (and the same with jumpTrue: ifFalse:...)             value forms whose
 *   other arm is the constant false/true become and:/or:
 *   H: cond; jumpFalse X; body...; jump H; X:             [cond] whileTrue: [body]
 *   H: body...; jump H                                    [body] repeat
 *   i := a. [i <= b] whileTrue: [...; i := i + 1]         a to: b do: [:i | ...]
 *   e dup send pop dup send pop send                      cascade
 *
 * Nodes live in an arena freed at the end; nothing here can fail: what
 * does not fit a shape is kept as a comment and the run goes on. */
#include "config.h"

#include <string.h>

#include "decompile.h"
#include "disasm.h"

#define MAX_DEPTH        48    /* nested regions (blocks, branches, loops) */
#define MAX_VECTOR_SLOTS 256
#define MAX_TEXT         (1u << 20)   /* bytes of decompiled text at most */

typedef enum {
  N_LIT,        /* text */
  N_VAR,        /* text = name; vector = temp vector id or -1 */
  N_SEND,       /* rcvr, text = selector, list = args; super */
  N_CASCADE,    /* rcvr, list = messages (N_SEND with rcvr NULL) */
  N_ASSIGN,     /* text = variable, rcvr = value */
  N_RETURN,     /* rcvr = value */
  N_BLOCK,      /* params, temps, list = statements */
  N_BRACE,      /* list = elements */
  N_NEW_ARRAY,  /* count: a temp vector in the making */
  N_PENDING,    /* a cascade receiver being used: rcvr, list = messages so far */
  N_DUP,        /* the duplicate of a N_PENDING: rcvr = the pending node */
  N_COMMENT,    /* text */
} NodeKind;

typedef struct Node Node;
struct Node {
  NodeKind   kind;
  const char *text;
  Node      *rcvr;
  GPtrArray *list;
  GPtrArray *params;
  GPtrArray *temps;
  bool       super;
  int        vector;
  int64_t    count;
};

typedef struct {
  uint64_t  off;
  StBcInstr in;
} Ins;

typedef struct {
  GPtrArray   *nodes;      /* arena */
  GPtrArray   *lists;      /* arena of GPtrArrays */
  GStringChunk *strings;
  GPtrArray   *vectors;    /* GPtrArray of names, per temp vector id */
  guint        next_temp;
  guint        depth;
  guint64      budget;     /* instructions left to run: bounds the work on hostile code */
  const char  *prim_error; /* <primitive: n error: name>, or NULL */
} Dec;

typedef struct Scope Scope;
struct Scope {
  Dec                   *dec;
  const StDecompileCode *code;
  Ins                   *ins;
  guint                  n;
  int                   *loop_end;   /* per instruction: index of the backward jump closing a loop, or -1 */
  guint8                *target;     /* per instruction: reached by a jump or after an inline block */
  GPtrArray             *names;      /* temp index -> name (char *, in dec->strings) */
  GArray                *vec;        /* temp index -> vector id or -1 */
  GPtrArray             *declared;   /* names to declare as temporaries */
  guint                  first_local;/* temps below this are arguments or copied values */
  bool                   owns_ins;
};

/* ---- nodes ---- */

static Node *
node_new (Dec *d, NodeKind kind)
{
  Node *n = g_new0 (Node, 1);
  n->kind = kind;
  n->vector = -1;
  g_ptr_array_add (d->nodes, n);
  return n;
}

/* Lists (statements, arguments, names) belong to the arena too: nodes
 * share them freely. */

static const char *
intern (Dec *d, const char *s)
{
  return g_string_chunk_insert_const (d->strings, s ? s : "?");
}

static const char *
intern_take (Dec *d, char *s)
{
  const char *r = intern (d, s);
  g_free (s);
  return r;
}

static Node *
lit (Dec *d, const char *text)
{
  Node *n = node_new (d, N_LIT);
  n->text = intern (d, text);
  return n;
}

static Node *
var (Dec *d, const char *name, int vector)
{
  Node *n = node_new (d, N_VAR);
  n->text = intern (d, name);
  n->vector = vector;
  return n;
}

static Node *
comment (Dec *d, char *text)
{
  Node *n = node_new (d, N_COMMENT);
  n->text = intern_take (d, text);
  return n;
}

static GPtrArray *
list_new (Dec *d)
{
  GPtrArray *l = g_ptr_array_new ();
  g_ptr_array_add (d->lists, l);
  return l;
}

static bool
is_lit (const Node *n, const char *text)
{
  return n != NULL && n->kind == N_LIT && strcmp (n->text, text) == 0;
}

/* ---- printing ---- */

static guint
selector_args (const char *sel)
{
  if (sel == NULL || *sel == '\0')
    return 0;
  if (!(g_ascii_isalpha (*sel) || *sel == '_'))
    return 1;
  guint n = 0;
  for (const char *c = sel; *c; c++)
    n += *c == ':';
  return n;
}

/* Precedence: 0 primary, 1 unary, 2 binary, 3 keyword, 4 cascade, 5 assignment. */
static int
prec (const Node *n)
{
  switch (n->kind)
    {
    case N_SEND:
      {
        guint a = selector_args (n->text);
        if (a == 0)
          return 1;
        return (g_ascii_isalpha (n->text[0]) || n->text[0] == '_') ? 3 : 2;
      }
    case N_CASCADE: return 4;
    case N_ASSIGN: return 5;
    case N_RETURN: return 6;
    case N_PENDING: return n->list && n->list->len ? 4 : prec (n->rcvr);
    case N_DUP: return prec (n->rcvr);
    default: return 0;
    }
}

static void print_node (GString *s, const Node *n, int indent);
static void print_statements (GString *s, GPtrArray *stmts, int indent);

static void
print_sub (GString *s, const Node *n, int max_prec, int indent)
{
  if (prec (n) > max_prec)
    {
      g_string_append_c (s, '(');
      print_node (s, n, indent);
      g_string_append_c (s, ')');
    }
  else
    print_node (s, n, indent);
}

static void
print_message (GString *s, const Node *send, int indent)
{
  const char *sel = send->text;
  guint nargs = send->list ? send->list->len : 0;
  if (nargs == 0)
    {
      g_string_append (s, sel);
      return;
    }
  if (!(g_ascii_isalpha (sel[0]) || sel[0] == '_'))
    {
      g_string_append_printf (s, "%s ", sel);
      print_sub (s, g_ptr_array_index (send->list, 0), 1, indent);
      return;
    }
  const char *part = sel;
  for (guint i = 0; i < nargs; i++)
    {
      const char *colon = strchr (part, ':');
      if (i > 0)
        g_string_append_c (s, ' ');
      if (colon == NULL)
        {
          /* More arguments than keywords (damaged code): make one up. */
          g_string_append_printf (s, "%s:", part);
          colon = part + strlen (part) - (*part ? 1 : 0);
        }
      else
        g_string_append_len (s, part, colon - part + 1);
      g_string_append_c (s, ' ');
      print_sub (s, g_ptr_array_index (send->list, i), 2, indent);
      part = *colon ? colon + 1 : colon;
    }
}

static void
print_block (GString *s, const Node *b, int indent)
{
  g_string_append_c (s, '[');
  if (b->params && b->params->len)
    {
      for (guint i = 0; i < b->params->len; i++)
        g_string_append_printf (s, ":%s ", (const char *) g_ptr_array_index (b->params, i));
      g_string_append (s, "| ");
    }
  if (b->temps && b->temps->len)
    {
      g_string_append_c (s, '|');
      for (guint i = 0; i < b->temps->len; i++)
        g_string_append_printf (s, " %s", (const char *) g_ptr_array_index (b->temps, i));
      g_string_append (s, " | ");
    }
  guint n = b->list ? b->list->len : 0;
  bool simple = n <= 1;
  if (n == 1)
    {
      const Node *only = g_ptr_array_index (b->list, 0);
      simple = only->kind != N_COMMENT;
    }
  if (simple)
    {
      if (n == 1)
        print_node (s, g_ptr_array_index (b->list, 0), indent);
      g_string_append_c (s, ']');
      return;
    }
  g_string_append_c (s, '\n');
  print_statements (s, b->list, indent + 1);
  g_string_append_c (s, ']');
}

static void
print_node (GString *s, const Node *n, int indent)
{
  /* Nodes are shared (dup): hostile code can make the text grow
   * exponentially.  Stop at a sane size. */
  if (s->len > MAX_TEXT)
    return;
  switch (n->kind)
    {
    case N_LIT:
    case N_VAR:
      g_string_append (s, n->text);
      break;
    case N_COMMENT:
      g_string_append_printf (s, "\"%s\"", n->text);
      break;
    case N_SEND:
      if (n->super)
        g_string_append (s, "super");
      else if (n->rcvr == NULL)
        g_string_append (s, "\"?\"");
      else
        print_sub (s, n->rcvr, selector_args (n->text) == 0 ? 1 : 2, indent);
      g_string_append_c (s, ' ');
      print_message (s, n, indent);
      break;
    case N_CASCADE:
      print_sub (s, n->rcvr, 2, indent);
      for (guint i = 0; i < n->list->len; i++)
        {
          g_string_append (s, i ? "; " : " ");
          print_message (s, g_ptr_array_index (n->list, i), indent);
        }
      break;
    case N_ASSIGN:
      g_string_append_printf (s, "%s := ", n->text);
      print_sub (s, n->rcvr, 5, indent);
      break;
    case N_RETURN:
      g_string_append_c (s, '^');
      print_sub (s, n->rcvr, 5, indent);
      break;
    case N_BLOCK:
      print_block (s, n, indent);
      break;
    case N_BRACE:
      g_string_append_c (s, '{');
      for (guint i = 0; i < n->list->len; i++)
        {
          if (i)
            g_string_append (s, ". ");
          print_node (s, g_ptr_array_index (n->list, i), indent);
        }
      g_string_append_c (s, '}');
      break;
    case N_NEW_ARRAY:
      g_string_append_printf (s, "Array new: %" G_GINT64_FORMAT, n->count);
      break;
    case N_PENDING:
      print_sub (s, n->rcvr, n->list && n->list->len ? 2 : 5, indent);
      if (n->list && n->list->len)
        {
          for (guint i = 0; i < n->list->len; i++)
            {
              g_string_append (s, i ? "; " : " ");
              print_message (s, g_ptr_array_index (n->list, i), indent);
            }
          g_string_append (s, "; yourself");
        }
      break;
    case N_DUP:
      print_node (s, n->rcvr->rcvr, indent);
      break;
    }
}

static void
print_statements (GString *s, GPtrArray *stmts, int indent)
{
  for (guint i = 0; i < stmts->len; i++)
    {
      const Node *n = g_ptr_array_index (stmts, i);
      for (int k = 0; k < indent; k++)
        g_string_append_c (s, '\t');
      print_node (s, n, indent);
      if (i + 1 < stmts->len && n->kind != N_COMMENT)
        g_string_append_c (s, '.');
      g_string_append_c (s, '\n');
    }
  /* The closing bracket goes on the last line. */
  if (s->len && s->str[s->len - 1] == '\n')
    g_string_truncate (s, s->len - 1);
}

/* ---- scopes and names ---- */

static const char *
fresh_name (Dec *d)
{
  return intern_take (d, g_strdup_printf ("t%u", ++d->next_temp));
}

static void
scope_ensure (Scope *s, guint k)
{
  while (s->names->len <= k && s->names->len < 4096)
    {
      guint i = s->names->len;
      const char *name = fresh_name (s->dec);
      g_ptr_array_add (s->names, (gpointer) name);
      int none = -1;
      g_array_append_val (s->vec, none);
      if (i >= s->first_local)
        g_ptr_array_add (s->declared, (gpointer) name);
    }
}

static const char *
temp_name (Scope *s, int64_t k)
{
  if (k < 0 || k >= 4096)
    return intern_take (s->dec, g_strdup_printf ("temp%" G_GINT64_FORMAT, k));
  scope_ensure (s, (guint) k);
  return g_ptr_array_index (s->names, (guint) k);
}

static int
temp_vector (Scope *s, int64_t k)
{
  if (k < 0 || (guint64) k >= s->vec->len)
    return -1;
  return g_array_index (s->vec, int, (guint) k);
}

static const char *
remote_name (Scope *s, int64_t index, int64_t vector_temp)
{
  int v = temp_vector (s, vector_temp);
  if (v >= 0 && (guint) v < s->dec->vectors->len)
    {
      GPtrArray *names = g_ptr_array_index (s->dec->vectors, v);
      if (index >= 0 && (guint64) index < names->len)
        return g_ptr_array_index (names, (guint) index);
    }
  return intern_take (s->dec, g_strdup_printf ("%s[%" G_GINT64_FORMAT "]", temp_name (s, vector_temp), index + 1));
}

/* Temp k of s holds a new temp vector of `size` slots: name the slots. */
static void
make_vector (Scope *s, int64_t k, int64_t size)
{
  Dec *d = s->dec;
  if (k < 0 || k >= 4096)
    return;
  scope_ensure (s, (guint) k);
  GPtrArray *names = g_ptr_array_new ();
  for (int64_t i = 0; i < size && i < MAX_VECTOR_SLOTS; i++)
    {
      const char *n = fresh_name (d);
      g_ptr_array_add (names, (gpointer) n);
      g_ptr_array_add (s->declared, (gpointer) n);
    }
  g_ptr_array_add (d->vectors, names);
  g_array_index (s->vec, int, (guint) k) = (int) d->vectors->len - 1;
  /* The holder itself is not a variable of the source. */
  const char *holder = g_ptr_array_index (s->names, (guint) k);
  g_ptr_array_remove (s->declared, (gpointer) holder);
}

static void
decode_all (const StDecompileCode *c, Ins **out, guint *n_out)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (Ins));
  for (gsize off = c->start; off < c->end;)
    {
      Ins i = { .off = off };
      if (!st_bytecode_decode (c->set, c->bytes, c->end, off, &i.in))
        break;
      g_array_append_val (a, i);
      off += i.in.length;
    }
  *n_out = a->len;
  *out = (Ins *) g_array_free (a, FALSE);
}

static int
index_of (const Scope *s, uint64_t off)
{
  guint lo = 0, hi = s->n;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      if (s->ins[mid].off < off)
        lo = mid + 1;
      else if (s->ins[mid].off > off)
        hi = mid;
      else
        return (int) mid;
    }
  return -1;
}

static bool
is_jump (const Ins *i)
{
  return i->in.op == ST_OP_JUMP || i->in.op == ST_OP_JUMP_TRUE || i->in.op == ST_OP_JUMP_FALSE;
}

static uint64_t
jump_target (const Ins *i)
{
  return (uint64_t) ((int64_t) (i->off + i->in.length) + i->in.a);
}

static void
find_loops (Scope *s)
{
  s->loop_end = g_new (int, s->n ? s->n : 1);
  s->target = g_new0 (guint8, s->n ? s->n : 1);
  for (guint i = 0; i < s->n; i++)
    {
      s->loop_end[i] = -1;
      int t = -1;
      if (is_jump (&s->ins[i]))
        t = index_of (s, jump_target (&s->ins[i]));
      else if (s->ins[i].in.op == ST_OP_PUSH_CLOSURE)
        t = index_of (s, s->ins[i].off + s->ins[i].in.length + (uint64_t) s->ins[i].in.c);
      if (t >= 0)
        s->target[t] = 1;
    }
  for (guint j = 0; j < s->n; j++)
    if (is_jump (&s->ins[j]) && s->ins[j].in.a < 0)
      {
        int h = index_of (s, jump_target (&s->ins[j]));
        if (h >= 0 && (guint) h <= j)
          s->loop_end[h] = (int) j;
      }
}

static uint64_t
image_pc (const Scope *s, uint64_t off)
{
  /* Bytecodes of a 64-bit-layout method start at (numLiterals + 1) * 8;
   * print pcs the way the image counts them. */
  const StDecompileCode *c = s->code;
  uint64_t shrink = (uint64_t) (c->num_literals + 1) * (8 - (c->word_bytes ? c->word_bytes : 8));
  return off + 1 - shrink;
}

/* ---- the symbolic run ---- */

typedef struct {
  GPtrArray *items;
  guint      base;    /* depth when the region began: what lies below is not its own */
} Stack;

static Node *
pop (Scope *s, Stack *st)
{
  /* Popping more than was pushed (damaged or unusual code): a marker. */
  if (st->items->len == 0)
    return var (s->dec, "\"?\"", -1);
  return g_ptr_array_steal_index (st->items, st->items->len - 1);
}

static Node *
top (Stack *st)
{
  return st->items->len ? g_ptr_array_index (st->items, st->items->len - 1) : NULL;
}

static void
push (Stack *st, Node *n)
{
  g_ptr_array_add (st->items, n);
}

static guint run (Scope *s, guint from, uint64_t end, Stack *st, GPtrArray *stmts, int skip_loop_at);

/* Before a return: expressions this region pushed and never used are
 * statements (old compilers skip the pop before a final ^self). */
static void
flush_unused (Stack *st, GPtrArray *stmts)
{
  if (st->items->len <= st->base)
    return;                            /* the region used up more than it pushed */
  guint out = st->base;
  for (guint x = st->base; x < st->items->len; x++)
    {
      Node *n = g_ptr_array_index (st->items, x);
      if (n->kind == N_SEND || n->kind == N_ASSIGN || n->kind == N_CASCADE)
        g_ptr_array_add (stmts, n);
      else
        st->items->pdata[out++] = n;
    }
  g_ptr_array_set_size (st->items, out);
}

/* A region run on a copy of the stack: its statements, and the value it
 * leaves when it leaves one more than it found. */
typedef struct {
  GPtrArray *stmts;
  Node      *value;
  bool       returns;   /* ends with a return statement */
  guint      depth;     /* stack depth at its end */
} Region;

/* Copying a stack costs work too: charge it to the budget. */
static void
charge (Dec *d, guint64 work)
{
  d->budget = d->budget > work ? d->budget - work : 0;
}

static void
run_region (Scope *s, guint from, uint64_t end, Stack *outer, Region *r, int skip_loop_at)
{
  charge (s->dec, outer->items->len + 1);
  Stack st = { g_ptr_array_copy (outer->items, NULL, NULL), outer->items->len };
  r->stmts = list_new (s->dec);
  r->value = NULL;
  run (s, from, end, &st, r->stmts, skip_loop_at);
  r->depth = st.items->len;
  if (st.items->len == outer->items->len + 1)
    r->value = top (&st);
  r->returns = r->stmts->len && ((Node *) g_ptr_array_index (r->stmts, r->stmts->len - 1))->kind == N_RETURN;
  g_ptr_array_unref (st.items);
}

static Node *
block_of (Dec *d, GPtrArray *stmts, Node *value)
{
  Node *b = node_new (d, N_BLOCK);
  b->list = stmts;
  if (value != NULL)
    g_ptr_array_add (b->list, value);
  return b;
}

static Node *
send (Dec *d, Node *rcvr, const char *sel, Node *a0, Node *a1)
{
  Node *n = node_new (d, N_SEND);
  n->rcvr = rcvr;
  n->text = intern (d, sel);
  n->list = list_new (d);
  if (a0)
    g_ptr_array_add (n->list, a0);
  if (a1)
    g_ptr_array_add (n->list, a1);
  return n;
}

/* cond ifTrue:/ifFalse: with two optional arms; value context when
 * `value` is set. */
static Node *
make_if (Dec *d, Node *cond, Region *t, Region *f, bool value)
{
  if (value && t && f)
    {
      /* Decide on the arms' shapes before blocks are built from them. */
      bool t_only_value = t->stmts->len == 0, f_only_value = f->stmts->len == 0;
      if (f_only_value && is_lit (f->value, "false"))
        return send (d, cond, "and:", block_of (d, t->stmts, t->value), NULL);
      if (t_only_value && is_lit (t->value, "true"))
        return send (d, cond, "or:", block_of (d, f->stmts, f->value), NULL);
      if (f_only_value && is_lit (f->value, "nil"))
        return send (d, cond, "ifTrue:", block_of (d, t->stmts, t->value), NULL);
      if (t_only_value && is_lit (t->value, "nil"))
        return send (d, cond, "ifFalse:", block_of (d, f->stmts, f->value), NULL);
    }
  Node *tb = t ? block_of (d, t->stmts, value ? t->value : NULL) : NULL;
  Node *fb = f ? block_of (d, f->stmts, value ? f->value : NULL) : NULL;
  if (tb && fb && tb->list->len == 0 && !value)
    return send (d, cond, "ifFalse:", fb, NULL);
  if (tb && fb && fb->list->len == 0 && !value)
    return send (d, cond, "ifTrue:", tb, NULL);
  if (tb && fb)
    return send (d, cond, "ifTrue:ifFalse:", tb, fb);
  return tb ? send (d, cond, "ifTrue:", tb, NULL) : send (d, cond, "ifFalse:", fb, NULL);
}

static void
emit (GPtrArray *stmts, Node *n)
{
  g_ptr_array_add (stmts, n);
}

/* ---- inlined ifNil: / ifNotNil: ----
 *
 * a ifNil: [b] ifNotNil: [:x | c] compiles to
 *   a; dup; pushNil; ==; jumpFalse L1; pop; b; jump L2; L1: popIntoTemp x; c; L2:
 * (ifNotNil: alone uses jumpTrue; a missing arm leaves a itself as the
 * value).  The condition is then "dup == nil" with the pending
 * duplicate's original still on the stack. */
static bool
is_nil_test (const Node *cond, const Node *below)
{
  return cond->kind == N_SEND && strcmp (cond->text, "==") == 0 && cond->rcvr != NULL && cond->rcvr->kind == N_DUP
         && cond->list->len == 1 && is_lit (g_ptr_array_index (cond->list, 0), "nil") && below != NULL
         && below->kind == N_PENDING && cond->rcvr->rcvr == below && (below->list == NULL || below->list->len == 0);
}

/* Run one arm with `a` on the stack (the nil arm drops it first); its
 * value is what replaces `a` at the end. */
static void
run_nil_arm (Scope *s, guint from, uint64_t end, Stack *outer, bool nil_arm, Region *r)
{
  charge (s->dec, outer->items->len + 1);
  Stack st = { g_ptr_array_copy (outer->items, NULL, NULL), outer->items->len };
  guint depth = st.items->len;
  if (nil_arm && from < s->n && s->ins[from].off < end && s->ins[from].in.op == ST_OP_POP)
    {
      g_ptr_array_set_size (st.items, st.items->len - 1);
      from++;
    }
  r->stmts = list_new (s->dec);
  r->value = NULL;
  run (s, from, end, &st, r->stmts, -1);
  r->depth = st.items->len;
  if (st.items->len == depth)
    r->value = top (&st);
  r->returns = r->stmts->len && ((Node *) g_ptr_array_index (r->stmts, r->stmts->len - 1))->kind == N_RETURN;
  g_ptr_array_unref (st.items);
}

static guint
do_nil_test (Scope *s, guint i, int ti, uint64_t then_end, uint64_t else_end, Stack *st)
{
  Dec *d = s->dec;
  const Ins *j = &s->ins[i];
  Node *pending = pop (s, st);
  Node *a = pending->rcvr;
  push (st, a);
  bool have_else = else_end != 0;
  bool then_is_nil = j->in.op == ST_OP_JUMP_FALSE;
  Region then_r, else_r;
  run_nil_arm (s, i + 1, then_end, st, then_is_nil, &then_r);
  if (have_else)
    run_nil_arm (s, (guint) ti, else_end, st, !then_is_nil, &else_r);
  Region *nil_r = then_is_nil ? &then_r : (have_else ? &else_r : NULL);
  Region *not_r = then_is_nil ? (have_else ? &else_r : NULL) : &then_r;
  Node *nil_b = nil_r ? block_of (d, nil_r->stmts, nil_r->value) : NULL;
  Node *not_b = NULL;
  if (not_r != NULL)
    {
      /* [:x | ...]: the arm starts by storing a into a temp. */
      not_b = node_new (d, N_BLOCK);
      not_b->list = not_r->stmts;
      Node *first = not_r->stmts->len ? g_ptr_array_index (not_r->stmts, 0) : NULL;
      if (first != NULL && first->kind == N_ASSIGN && first->rcvr == a)
        {
          not_b->params = list_new (d);
          g_ptr_array_add (not_b->params, (gpointer) first->text);
          g_ptr_array_remove (s->declared, (gpointer) first->text);
          g_ptr_array_remove_index (not_r->stmts, 0);
        }
      if (not_r->value != NULL && not_r->value != a)
        g_ptr_array_add (not_b->list, not_r->value);
    }
  pop (s, st);
  Node *n = nil_b && not_b ? send (d, a, "ifNil:ifNotNil:", nil_b, not_b)
          : nil_b ? send (d, a, "ifNil:", nil_b, NULL) : send (d, a, "ifNotNil:", not_b, NULL);
  push (st, n);
  int next = have_else ? index_of (s, else_end) : ti;
  return next >= 0 ? (guint) next : s->n;
}

/* A conditional jump at index i: an if (or an unstructured jump). */
static guint
do_conditional (Scope *s, guint i, uint64_t end, Stack *st, GPtrArray *stmts)
{
  Dec *d = s->dec;
  const Ins *j = &s->ins[i];
  uint64_t t = jump_target (j);
  int ti = index_of (s, t);
  if (t <= j->off || t > end || (ti < 0 && t != end))
    {
      Node *c = pop (s, st);
      GString *cs = g_string_new (NULL);
      print_node (cs, c, 0);
      emit (stmts, comment (d, g_strdup_printf ("unstructured %s to pc %" G_GUINT64_FORMAT " at pc %" G_GUINT64_FORMAT
                                                " on: %s", j->in.op == ST_OP_JUMP_TRUE ? "jumpTrue" : "jumpFalse",
                                                image_pc (s, t), image_pc (s, j->off), cs->str)));
      g_string_free (cs, TRUE);
      return i + 1;
    }
  Node *cond = pop (s, st);
  /* Does the then-arm end with a forward jump over an else-arm? */
  uint64_t else_end = 0;
  uint64_t then_end = t;
  if (ti > (int) i + 1)
    {
      const Ins *last = &s->ins[ti - 1];
      if (last->in.op == ST_OP_JUMP && last->in.a >= 0)
        {
          uint64_t e = jump_target (last);
          if (e > t && e <= end && (index_of (s, e) >= 0 || e == end))
            {
              else_end = e;
              then_end = last->off;
            }
        }
    }
  if (is_nil_test (cond, top (st)))
    return do_nil_test (s, i, ti, then_end, else_end, st);
  Region then_r, else_r;
  run_region (s, i + 1, then_end, st, &then_r, -1);
  Region *tr, *fr;
  bool have_else = else_end != 0;
  if (have_else)
    run_region (s, (guint) ti, else_end, st, &else_r, -1);
  if (j->in.op == ST_OP_JUMP_FALSE)
    tr = &then_r, fr = have_else ? &else_r : NULL;
  else
    fr = &then_r, tr = have_else ? &else_r : NULL;
  bool value = have_else && (then_r.value || then_r.returns) && (else_r.value || else_r.returns)
               && (then_r.value || else_r.value);
  /* An arm that consumed what it did not push, or left more than one
   * value: the shape is not one this decompiler knows.  Say so. */
  guint depth = st->items->len;
  if ((!then_r.returns && (then_r.depth < depth || then_r.depth > depth + 1))
      || (have_else && !else_r.returns && (else_r.depth < depth || else_r.depth > depth + 1)))
    emit (stmts, comment (d, g_strdup_printf ("unstructured stack use in the branches at pc %" G_GUINT64_FORMAT,
                                             image_pc (s, j->off))));
  Node *n = make_if (d, cond, tr, fr, value);
  if (value)
    push (st, n);
  else
    {
      /* Values an arm left unused are statements of that arm. */
      if (then_r.value)
        g_ptr_array_add (then_r.stmts, then_r.value);
      if (have_else && else_r.value)
        g_ptr_array_add (else_r.stmts, else_r.value);
      emit (stmts, n);
    }
  if (!have_else)
    return ti >= 0 ? (guint) ti : s->n;
  int ei = index_of (s, else_end);
  return ei >= 0 ? (guint) ei : s->n;
}

/* The statement list ends "i := a" then "[i <= b] whileTrue: [... i := i + c]":
 * fold it into to:do: / to:by:do:. */
static void
fold_to_do (Dec *d, GPtrArray *stmts, GPtrArray *declared)
{
  if (stmts->len < 2)
    return;
  Node *loop = g_ptr_array_index (stmts, stmts->len - 1);
  Node *init = g_ptr_array_index (stmts, stmts->len - 2);
  if (loop->kind != N_SEND || strcmp (loop->text, "whileTrue:") != 0 || init->kind != N_ASSIGN)
    return;
  Node *cb = loop->rcvr, *body = g_ptr_array_index (loop->list, 0);
  if (cb->kind != N_BLOCK || cb->list->len != 1 || body->kind != N_BLOCK || body->list->len < 1)
    return;
  Node *cmp = g_ptr_array_index (cb->list, 0);
  if (cmp->kind != N_SEND || (strcmp (cmp->text, "<=") != 0 && strcmp (cmp->text, ">=") != 0)
      || cmp->rcvr->kind != N_VAR || strcmp (cmp->rcvr->text, init->text) != 0)
    return;
  Node *inc = g_ptr_array_index (body->list, body->list->len - 1);
  if (inc->kind != N_ASSIGN || strcmp (inc->text, init->text) != 0 || inc->rcvr->kind != N_SEND
      || strcmp (inc->rcvr->text, "+") != 0 || inc->rcvr->rcvr->kind != N_VAR
      || strcmp (inc->rcvr->rcvr->text, init->text) != 0)
    return;
  Node *step = g_ptr_array_index (inc->rcvr->list, 0);
  Node *limit = g_ptr_array_index (cmp->list, 0);
  g_ptr_array_set_size (body->list, body->list->len - 1);
  if (body->params == NULL)
    body->params = list_new (d);
  g_ptr_array_add (body->params, (gpointer) init->text);
  g_ptr_array_remove (declared, (gpointer) init->text);
  /* A limit kept in a temp assigned just before the loop variable. */
  if (limit->kind == N_VAR && stmts->len >= 3)
    {
      Node *prev = g_ptr_array_index (stmts, stmts->len - 3);
      if (prev->kind == N_ASSIGN && strcmp (prev->text, limit->text) == 0)
        {
          g_ptr_array_remove (declared, (gpointer) limit->text);
          limit = prev->rcvr;
          g_ptr_array_remove_index (stmts, stmts->len - 3);
        }
    }
  Node *n;
  if (is_lit (step, "1") && strcmp (cmp->text, "<=") == 0)
    n = send (d, init->rcvr, "to:do:", limit, body);
  else
    {
      n = send (d, init->rcvr, "to:by:do:", limit, step);
      g_ptr_array_add (n->list, body);
    }
  g_ptr_array_set_size (stmts, stmts->len - 2);
  g_ptr_array_add (stmts, n);
}

/* A loop whose backward jump is at index j, head at i. */
static guint
do_loop (Scope *s, guint i, guint j, Stack *st, GPtrArray *stmts)
{
  Dec *d = s->dec;
  const Ins *back = &s->ins[j];
  uint64_t exit_off = back->off + back->in.length;
  if (back->in.op != ST_OP_JUMP)
    {
      /* [body. cond] whileTrue / whileFalse: a conditional jump back. */
      Region r;
      run_region (s, i, back->off, st, &r, -1);
      Node *b = block_of (d, r.stmts, r.value);
      emit (stmts, send (d, b, back->in.op == ST_OP_JUMP_TRUE ? "whileTrue" : "whileFalse", NULL, NULL));
      return j + 1;
    }
  /* The exit: the first conditional jump in the loop to just after it. */
  int k = -1;
  for (guint x = i; x < j; x++)
    if ((s->ins[x].in.op == ST_OP_JUMP_TRUE || s->ins[x].in.op == ST_OP_JUMP_FALSE)
        && jump_target (&s->ins[x]) == exit_off)
      {
        k = (int) x;
        break;
      }
  if (k < 0)
    {
      Region r;
      run_region (s, i, back->off, st, &r, -1);
      if (r.value)
        g_ptr_array_add (r.stmts, r.value);
      emit (stmts, send (d, block_of (d, r.stmts, NULL), "repeat", NULL, NULL));
      return j + 1;
    }
  Region c, body;
  run_region (s, i, s->ins[k].off, st, &c, -1);
  run_region (s, (guint) k + 1, back->off, st, &body, -1);
  if (c.depth != st->items->len + 1 || (!body.returns && body.depth != st->items->len && body.depth != st->items->len + 1))
    emit (stmts, comment (d, g_strdup_printf ("unstructured stack use in the loop at pc %" G_GUINT64_FORMAT,
                                             image_pc (s, s->ins[i].off))));
  if (body.value)
    g_ptr_array_add (body.stmts, body.value);
  Node *cb = block_of (d, c.stmts, c.value);
  Node *n = send (d, cb, s->ins[k].in.op == ST_OP_JUMP_FALSE ? "whileTrue:" : "whileFalse:",
                  block_of (d, body.stmts, NULL), NULL);
  emit (stmts, n);
  fold_to_do (d, stmts, s->declared);
  return j + 1;
}

static Node *decompile_block_code (Dec *d, const StDecompileCode *code, GPtrArray *copied);

/* An inline closure (V3PlusClosures 143, SistaV1 250) at index i. */
static guint
do_closure (Scope *s, guint i, Stack *st)
{
  Dec *d = s->dec;
  const Ins *c = &s->ins[i];
  /* Counts from damaged code can be huge: no real block has more than 255. */
  int64_t ncopied = MIN (c->in.a, 255), nargs = MIN (c->in.b, 255);
  uint64_t start = c->off + c->in.length, stop = start + (uint64_t) c->in.c;
  GPtrArray *copied = list_new (d);
  for (int64_t x = 0; x < ncopied; x++)
    g_ptr_array_insert (copied, 0, pop (s, st));
  Scope b = *s;
  b.names = g_ptr_array_new ();
  b.vec = g_array_new (FALSE, FALSE, sizeof (int));
  b.declared = list_new (d);
  b.first_local = (guint) (nargs + ncopied);
  b.owns_ins = false;
  Node *blk = node_new (d, N_BLOCK);
  blk->params = list_new (d);
  for (int64_t x = 0; x < nargs; x++)
    g_ptr_array_add (blk->params, (gpointer) temp_name (&b, x));
  for (guint x = 0; x < copied->len; x++)
    {
      Node *v = g_ptr_array_index (copied, x);
      const char *name = v->kind == N_VAR ? v->text : fresh_name (d);
      g_ptr_array_add (b.names, (gpointer) name);
      g_array_append_val (b.vec, v->vector);
    }
  Stack bs = { g_ptr_array_new () };
  blk->list = list_new (d);
  d->depth++;
  if (d->depth < MAX_DEPTH)
    run (&b, i + 1, stop, &bs, blk->list, -1);
  else
    g_ptr_array_add (blk->list, comment (d, g_strdup ("blocks nested too deeply")));
  d->depth--;
  blk->temps = b.declared;
  g_ptr_array_unref (b.names);
  g_array_unref (b.vec);
  g_ptr_array_unref (bs.items);
  push (st, blk);
  int e = index_of (s, stop);
  return e >= 0 ? (guint) e : s->n;
}

/* A 6502 block: thisContext blockCopy: n, then a jump around the body. */
static guint
do_block_copy (Scope *s, guint i, Stack *st, int64_t nargs)
{
  Dec *d = s->dec;
  const Ins *j = &s->ins[i + 1];
  uint64_t stop = jump_target (j);
  Node *blk = node_new (d, N_BLOCK);
  blk->params = list_new (d);
  blk->list = list_new (d);
  guint k = i + 2;
  /* The body starts by storing its arguments into the home's temps, the
   * last argument first. */
  for (int64_t a = 0; a < nargs && k < s->n && s->ins[k].off < stop; a++, k++)
    {
      if (s->ins[k].in.op != ST_OP_POP_STORE_TEMP)
        break;
      g_ptr_array_insert (blk->params, 0, (gpointer) temp_name (s, s->ins[k].in.a));
      g_ptr_array_remove (s->declared, g_ptr_array_index (blk->params, 0));
    }
  Stack bs = { g_ptr_array_new () };
  d->depth++;
  if (d->depth < MAX_DEPTH)
    run (s, k, stop, &bs, blk->list, -1);
  d->depth--;
  g_ptr_array_unref (bs.items);
  push (st, blk);
  int e = index_of (s, stop);
  return e >= 0 ? (guint) e : s->n;
}

static Node *
make_send (Scope *s, Stack *st, const char *sel, int64_t nargs, bool super, bool directed)
{
  Dec *d = s->dec;
  if (directed)
    pop (s, st);                       /* the class the lookup starts above */
  Node *n = node_new (d, N_SEND);
  n->text = intern (d, sel);
  n->list = list_new (d);
  charge (d, (guint64) MIN (MAX (nargs, 0), 255));
  for (int64_t a = 0; a < nargs && a < 255; a++)
    g_ptr_array_insert (n->list, 0, pop (s, st));
  Node *r = pop (s, st);
  n->super = super;
  if (r->kind == N_PENDING)
    {
      /* The last message of a cascade goes to the receiver itself. */
      Node *c = node_new (d, N_CASCADE);
      c->rcvr = r->rcvr;
      c->list = list_new (d);
      for (guint x = 0; r->list && x < r->list->len; x++)
        g_ptr_array_add (c->list, g_ptr_array_index (r->list, x));
      n->rcvr = NULL;
      g_ptr_array_add (c->list, n);
      return c;
    }
  n->rcvr = r;
  return n;
}

static const char *
callback_text (Dec *d, char *(*fn) (gpointer, guint), gpointer data, int64_t i, const char *fallback)
{
  if (fn == NULL || i < 0 || i > G_MAXUINT)
    return intern_take (d, g_strdup_printf ("%s%" G_GINT64_FORMAT, fallback, i));
  return intern_take (d, fn (data, (guint) i));
}

static guint
run (Scope *s, guint from, uint64_t end, Stack *st, GPtrArray *stmts, int skip_loop_at)
{
  Dec *d = s->dec;
  const StDecompileCode *c = s->code;
  guint i = from;
  if (d->depth >= MAX_DEPTH)
    {
      emit (stmts, comment (d, g_strdup ("code nested too deeply")));
      return s->n;
    }
  d->depth++;
  while (i < s->n && s->ins[i].off < end)
    {
      const Ins *x = &s->ins[i];
      if (d->budget == 0)
        {
          emit (stmts, comment (d, g_strdup ("decompiler gave up: too much code")));
          i = s->n;
          break;
        }
      d->budget--;
      const StBcInstr *in = &x->in;
      if ((int) i != skip_loop_at && s->loop_end[i] >= 0)
        {
          /* The outermost loop at this head that closes inside the region:
           * loops nested at the same head close earlier. */
          int j = -1;
          for (int k = s->loop_end[i]; k >= (int) i; k--)
            if (is_jump (&s->ins[k]) && s->ins[k].in.a < 0 && jump_target (&s->ins[k]) == x->off
                && s->ins[k].off < end)
              {
                j = k;
                break;
              }
          if (j >= 0)
            {
              i = do_loop (s, i, (guint) j, st, stmts);
              continue;
            }
        }
      switch (in->op)
        {
        case ST_OP_PUSH_RCVR_VAR:
          push (st, var (d, callback_text (d, c->inst_var, c->data, in->a, "instVar"), -1));
          break;
        case ST_OP_PUSH_TEMP:
          push (st, var (d, temp_name (s, in->a), temp_vector (s, in->a)));
          break;
        case ST_OP_PUSH_LIT_CONST:
          push (st, lit (d, callback_text (d, c->literal, c->data, in->a, "literal")));
          break;
        case ST_OP_PUSH_LIT_VAR:
          push (st, var (d, callback_text (d, c->binding, c->data, in->a, "literal"), -1));
          break;
        case ST_OP_PUSH_SELF: push (st, var (d, "self", -1)); break;
        case ST_OP_PUSH_TRUE: push (st, lit (d, "true")); break;
        case ST_OP_PUSH_FALSE: push (st, lit (d, "false")); break;
        case ST_OP_PUSH_NIL: push (st, lit (d, "nil")); break;
        case ST_OP_PUSH_INT:
          push (st, lit (d, intern_take (d, g_strdup_printf ("%" G_GINT64_FORMAT, in->a))));
          break;
        case ST_OP_PUSH_CHAR:
          if (in->a > 32 && in->a < 127)
            push (st, lit (d, intern_take (d, g_strdup_printf ("$%c", (char) in->a))));
          else
            push (st, lit (d, intern_take (d, g_strdup_printf ("(Character value: %" G_GINT64_FORMAT ")", in->a))));
          break;
        case ST_OP_PUSH_THIS_CONTEXT: push (st, var (d, "thisContext", -1)); break;
        case ST_OP_PUSH_PSEUDO:
          push (st, var (d, intern_take (d, g_strdup_printf ("pseudoVariable%" G_GINT64_FORMAT, in->a)), -1));
          break;
        case ST_OP_PUSH_NEW_ARRAY:
          {
            Node *n = node_new (d, N_NEW_ARRAY);
            n->count = in->a;
            push (st, n);
            break;
          }
        case ST_OP_CONS_ARRAY:
          {
            Node *n = node_new (d, N_BRACE);
            n->list = list_new (d);
            for (int64_t k = 0; k < in->a; k++)
              g_ptr_array_insert (n->list, 0, pop (s, st));
            push (st, n);
            break;
          }
        case ST_OP_PUSH_REMOTE_TEMP:
          push (st, var (d, remote_name (s, in->a, in->b), -1));
          break;
        case ST_OP_STORE_REMOTE_TEMP:
        case ST_OP_POP_STORE_REMOTE_TEMP:
        case ST_OP_STORE_RCVR_VAR:
        case ST_OP_POP_STORE_RCVR_VAR:
        case ST_OP_STORE_TEMP:
        case ST_OP_POP_STORE_TEMP:
        case ST_OP_STORE_LIT_VAR:
        case ST_OP_POP_STORE_LIT_VAR:
          {
            bool popping = in->op == ST_OP_POP_STORE_REMOTE_TEMP || in->op == ST_OP_POP_STORE_RCVR_VAR
                           || in->op == ST_OP_POP_STORE_TEMP || in->op == ST_OP_POP_STORE_LIT_VAR;
            /* A primitive's error code: stored first, from an empty stack. */
            if (in->op == ST_OP_STORE_TEMP && c->primitive != 0 && st->items->len == 0 && d->prim_error == NULL
                && (i == 0 || (i == 1 && s->ins[0].in.op == ST_OP_CALL_PRIMITIVE)))
              {
                d->prim_error = temp_name (s, in->a);
                g_ptr_array_remove (s->declared, (gpointer) d->prim_error);
                break;
              }
            Node *v = pop (s, st);
            if (popping && in->op == ST_OP_POP_STORE_TEMP && v->kind == N_NEW_ARRAY)
              {
                make_vector (s, in->a, v->count);
                break;
              }
            const char *name;
            if (in->op == ST_OP_STORE_REMOTE_TEMP || in->op == ST_OP_POP_STORE_REMOTE_TEMP)
              name = remote_name (s, in->a, in->b);
            else if (in->op == ST_OP_STORE_TEMP || in->op == ST_OP_POP_STORE_TEMP)
              name = temp_name (s, in->a);
            else if (in->op == ST_OP_STORE_RCVR_VAR || in->op == ST_OP_POP_STORE_RCVR_VAR)
              name = callback_text (d, c->inst_var, c->data, in->a, "instVar");
            else
              name = callback_text (d, c->binding, c->data, in->a, "literal");
            Node *a = node_new (d, N_ASSIGN);
            a->text = name;
            a->rcvr = v;
            if (popping)
              emit (stmts, a);
            else
              push (st, a);
            break;
          }
        case ST_OP_POP:
          {
            Node *v = pop (s, st);
            Node *t = top (st);
            if (v->kind == N_SEND && v->rcvr && v->rcvr->kind == N_DUP && t != NULL && v->rcvr->rcvr == t)
              {
                /* One message of a cascade: keep it with the receiver (a
                 * copy: other regions may share the send node). */
                Node *m = node_new (d, N_SEND);
                m->text = v->text;
                m->list = v->list;
                m->super = v->super;
                if (t->list == NULL)
                  t->list = list_new (d);
                g_ptr_array_add (t->list, m);
              }
            else if (v->kind != N_LIT && v->kind != N_VAR && v->kind != N_BLOCK)
              emit (stmts, v);
            break;
          }
        case ST_OP_DUP:
          {
            Node *t = pop (s, st);
            if (t->kind != N_PENDING)
              {
                Node *p = node_new (d, N_PENDING);
                p->rcvr = t;
                t = p;
              }
            push (st, t);
            Node *dup = node_new (d, N_DUP);
            dup->rcvr = t;
            push (st, dup);
            break;
          }
        case ST_OP_RETURN_SELF:
        case ST_OP_RETURN_TRUE:
        case ST_OP_RETURN_FALSE:
        case ST_OP_RETURN_NIL:
        case ST_OP_RETURN_TOP:
          {
            Node *r = node_new (d, N_RETURN);
            r->rcvr = in->op == ST_OP_RETURN_SELF ? var (d, "self", -1)
                    : in->op == ST_OP_RETURN_TRUE ? lit (d, "true")
                    : in->op == ST_OP_RETURN_FALSE ? lit (d, "false")
                    : in->op == ST_OP_RETURN_NIL ? lit (d, "nil") : pop (s, st);
            flush_unused (st, stmts);
            emit (stmts, r);
            /* Bytes after a return that nothing jumps to are not code
             * (leftovers in some old images): stop here. */
            if (i + 1 < s->n && s->ins[i + 1].off < end && !s->target[i + 1])
              {
                /* Compilers leave a pop or ^self there; say so only for more. */
                bool sends = false;
                for (guint k = i + 1; k < s->n && s->ins[k].off < end; k++)
                  sends |= (st_bytecode_rows[s->ins[k].in.row].flags & ST_BC_F_SENDS) != 0;
                if (sends)
                  emit (stmts, comment (d, g_strdup_printf ("unreachable code after pc %" G_GUINT64_FORMAT " ignored",
                                                           image_pc (s, x->off))));
                i = s->n;
                continue;
              }
            break;
          }
        case ST_OP_BLOCK_RETURN_TOP:
          {
            /* A block's value; a trailing nil after statements is what
             * compilers leave after a one-armed if, not source. */
            Node *v = pop (s, st);
            if (!is_lit (v, "nil") || (stmts->len == 0 && st->items->len == 0))
              emit (stmts, v);
            break;
          }
        case ST_OP_BLOCK_RETURN_NIL:
          flush_unused (st, stmts);
          break;
        case ST_OP_SEND:
        case ST_OP_SUPER_SEND:
        case ST_OP_DIRECTED_SUPER_SEND:
          {
            const char *sel = callback_text (d, c->selector, c->data, in->a, "selector");
            push (st, make_send (s, st, sel, in->b, in->op != ST_OP_SEND, in->op == ST_OP_DIRECTED_SUPER_SEND));
            break;
          }
        case ST_OP_SEND_SPECIAL:
          {
            guint nargs = 1;
            const char *sel = intern_take (d, c->special ? c->special (c->data, (guint) in->a, &nargs)
                                                         : g_strdup_printf ("special%" G_GINT64_FORMAT, in->a));
            if (c->set == ST_BYTECODE_SET_V3 && strcmp (sel, "blockCopy:") == 0 && i + 1 < s->n
                && s->ins[i + 1].in.op == ST_OP_JUMP && s->ins[i + 1].in.a > 0
                && jump_target (&s->ins[i + 1]) <= end)
              {
                Node *n = pop (s, st);
                pop (s, st);
                int64_t bargs = 0;
                if (n->kind == N_LIT)
                  bargs = g_ascii_strtoll (n->text, NULL, 10);
                i = do_block_copy (s, i, st, bargs);
                continue;
              }
            push (st, make_send (s, st, sel, nargs, false, false));
            break;
          }
        case ST_OP_JUMP:
          if (in->a >= 0 && jump_target (x) == end)
            break;                       /* the end of an arm */
          emit (stmts, comment (d, g_strdup_printf ("unstructured jump to pc %" G_GUINT64_FORMAT " at pc %" G_GUINT64_FORMAT,
                                                   image_pc (s, jump_target (x)), image_pc (s, x->off))));
          break;
        case ST_OP_JUMP_TRUE:
        case ST_OP_JUMP_FALSE:
          i = do_conditional (s, i, end, st, stmts);
          continue;
        case ST_OP_CALL_PRIMITIVE:
        case ST_OP_CALL_INLINED_PRIMITIVE:
          /* The primitive is printed with the pattern. */
          break;
        case ST_OP_PUSH_CLOSURE:
          i = do_closure (s, i, st);
          continue;
        case ST_OP_PUSH_FULL_CLOSURE:
          {
            StDecompileCode sub;
            GPtrArray *copied = list_new (d);
            for (int64_t k = 0; k < in->b && k < 255; k++)
              g_ptr_array_insert (copied, 0, pop (s, st));
            if (in->c & 2)
              pop (s, st);               /* the receiver, when it is on the stack */
            if (c->full_block && c->full_block (c->data, (guint) in->a, &sub))
              push (st, decompile_block_code (d, &sub, copied));
            else
              push (st, comment (d, g_strdup_printf ("a block (literal %" G_GINT64_FORMAT ")", in->a)));
            break;
          }
        case ST_OP_NOP:
        case ST_OP_EXT_A:
        case ST_OP_EXT_B:
          break;
        case ST_OP_TRAP:
          emit (stmts, comment (d, g_strdup_printf ("trap at pc %" G_GUINT64_FORMAT, image_pc (s, x->off))));
          break;
        case ST_OP_UNKNOWN:
        case ST_OP_COUNT:
          emit (stmts, comment (d, g_strdup_printf ("unknown bytecode %u at pc %" G_GUINT64_FORMAT, in->opcode,
                                                   image_pc (s, x->off))));
          break;
        }
      i++;
    }
  d->depth--;
  return i;
}

/* ---- code objects ---- */

static void
scope_init (Scope *s, Dec *d, const StDecompileCode *code)
{
  memset (s, 0, sizeof *s);
  s->dec = d;
  s->code = code;
  decode_all (code, &s->ins, &s->n);
  s->owns_ins = true;
  find_loops (s);
  s->names = g_ptr_array_new ();
  s->vec = g_array_new (FALSE, FALSE, sizeof (int));
  s->declared = list_new (d);
}

static void
scope_clear (Scope *s)
{
  if (s->owns_ins)
    {
      g_free (s->ins);
      g_free (s->loop_end);
      g_free (s->target);
    }
  g_ptr_array_unref (s->names);
  g_array_unref (s->vec);
}

static Node *
decompile_block_code (Dec *d, const StDecompileCode *code, GPtrArray *copied)
{
  Scope b;
  scope_init (&b, d, code);
  b.first_local = code->num_args + copied->len;
  Node *blk = node_new (d, N_BLOCK);
  blk->params = list_new (d);
  for (guint x = 0; x < code->num_args; x++)
    g_ptr_array_add (blk->params, (gpointer) temp_name (&b, x));
  for (guint x = 0; x < copied->len; x++)
    {
      Node *v = g_ptr_array_index (copied, x);
      g_ptr_array_add (b.names, (gpointer) (v->kind == N_VAR ? v->text : fresh_name (d)));
      g_array_append_val (b.vec, v->vector);
    }
  for (guint x = b.first_local; x < code->num_temps; x++)
    temp_name (&b, x);
  Stack bs = { g_ptr_array_new () };
  blk->list = list_new (d);
  d->depth++;
  if (d->depth < MAX_DEPTH)
    run (&b, 0, code->end, &bs, blk->list, -1);
  else
    g_ptr_array_add (blk->list, comment (d, g_strdup ("blocks nested too deeply")));
  d->depth--;
  blk->temps = b.declared;
  g_ptr_array_unref (bs.items);
  scope_clear (&b);
  return blk;
}

static void
vector_free (gpointer p)
{
  g_ptr_array_unref (p);
}

char *
st_decompile_code (const StDecompileCode *code, const char *selector)
{
  Dec d = { 0 };
  d.budget = 1000000;
  d.nodes = g_ptr_array_new_with_free_func (g_free);
  d.lists = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  d.strings = g_string_chunk_new (4096);
  d.vectors = g_ptr_array_new_with_free_func (vector_free);
  Scope s;
  scope_init (&s, &d, code);
  s.first_local = code->num_args;
  GString *out = g_string_new (NULL);

  /* The message pattern with invented argument names. */
  for (guint a = 0; a < code->num_args; a++)
    {
      g_ptr_array_add (s.names, (gpointer) intern_take (&d, g_strdup_printf ("arg%u", a + 1)));
      int none = -1;
      g_array_append_val (s.vec, none);
    }
  if (selector != NULL)
    {
      guint n = selector_args (selector);
      if (n == 0 || n != code->num_args)
        g_string_append (out, selector);
      else if (!(g_ascii_isalpha (selector[0]) || selector[0] == '_'))
        g_string_append_printf (out, "%s arg1", selector);
      else
        {
          const char *part = selector;
          for (guint a = 0; a < n; a++)
            {
              const char *colon = strchr (part, ':');
              if (colon == NULL)
                break;
              g_string_append_printf (out, "%s%.*s %s", a ? " " : "", (int) (colon - part + 1), part,
                                      (const char *) g_ptr_array_index (s.names, a));
              part = colon + 1;
            }
        }
      g_string_append (out, "\n\t\"decompiled\"\n");
    }
  for (guint x = code->num_args; x < code->num_temps; x++)
    temp_name (&s, x);

  Stack st = { g_ptr_array_new () };
  GPtrArray *stmts = list_new (&d);
  run (&s, 0, code->end, &st, stmts, -1);
  /* Expressions left on the stack were never used: keep them visible. */
  for (guint x = 0; x < st.items->len; x++)
    {
      Node *left = g_ptr_array_index (st.items, x);
      if (left->kind == N_SEND || left->kind == N_ASSIGN || left->kind == N_CASCADE)
        {
          emit (stmts, comment (&d, g_strdup ("unstructured: a value left on the stack")));
          emit (stmts, left);
        }
    }
  /* A trailing ^self is implicit. */
  if (stmts->len > 0)
    {
      Node *last = g_ptr_array_index (stmts, stmts->len - 1);
      if (last->kind == N_RETURN && last->rcvr->kind == N_VAR && strcmp (last->rcvr->text, "self") == 0)
        g_ptr_array_set_size (stmts, stmts->len - 1);
    }
  if (code->primitive != 0 && d.prim_error != NULL)
    g_string_append_printf (out, "\t<primitive: %u error: %s>\n", code->primitive, d.prim_error);
  else if (code->primitive != 0)
    g_string_append_printf (out, "\t<primitive: %u>\n", code->primitive);
  if (s.declared->len > 0)
    {
      g_string_append (out, "\t|");
      for (guint x = 0; x < s.declared->len; x++)
        g_string_append_printf (out, " %s", (const char *) g_ptr_array_index (s.declared, x));
      g_string_append (out, " |\n");
    }
  print_statements (out, stmts, 1);
  g_string_append_c (out, '\n');

  g_ptr_array_unref (st.items);
  scope_clear (&s);
  g_ptr_array_unref (d.vectors);
  g_ptr_array_unref (d.nodes);
  g_ptr_array_unref (d.lists);
  g_string_chunk_free (d.strings);
  return g_string_free (out, FALSE);
}

/* ---- heap methods ---- */

typedef struct {
  StPrinter *p;
  StOop      method;
  char     **ivars;
  GPtrArray *owned;    /* HeapCodes of full blocks, freed with the method's */
} HeapCode;

static StOop
heap_literal (HeapCode *h, guint i, bool *ok)
{
  StVM *vm = st_printer_vm (h->p);
  StMethodHeader hdr;
  *ok = st_method_header (vm, h->method, &hdr, NULL) && i < hdr.num_literals;
  return *ok ? st_method_literal (vm, h->method, i) : 0;
}

static char *
heap_literal_text (gpointer data, guint i)
{
  HeapCode *h = data;
  bool ok;
  StOop l = heap_literal (h, i, &ok);
  if (!ok)
    return g_strdup_printf ("literal%u", i);
  if (st_printer_is_string (h->p, l) && !st_printer_is_symbol (h->p, l))
    {
      /* Source text: the whole string, quotes doubled, line ends kept. */
      StVM *vm = st_printer_vm (h->p);
      const char *b = (const char *) st_bytes (vm, l);
      gsize n = (gsize) st_byte_length (vm, l);
      g_autofree char *u = g_utf8_validate (b, (gssize) n, NULL) ? g_strndup (b, n)
                           : g_convert (b, (gssize) n, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
      GString *q = g_string_new ("'");
      for (const char *c = u ? u : ""; *c; c++)
        {
          if (*c == '\'')
            g_string_append_c (q, '\'');
          g_string_append_c (q, *c == '\r' ? '\n' : *c);
        }
      g_string_append_c (q, '\'');
      return g_string_free (q, FALSE);
    }
  return st_disasm_literal_text (h->p, l);
}

static char *
heap_selector (gpointer data, guint i)
{
  HeapCode *h = data;
  bool ok;
  StOop l = heap_literal (h, i, &ok);
  if (ok && st_printer_is_symbol (h->p, l))
    {
      char *s = st_printer_bytes_string (h->p, l);
      if (s != NULL)
        return s;
    }
  return g_strdup_printf ("selector%u", i);
}

static char *
heap_binding (gpointer data, guint i)
{
  HeapCode *h = data;
  bool ok;
  StOop l = heap_literal (h, i, &ok);
  return ok ? st_disasm_binding_text (h->p, l) : g_strdup_printf ("literal%u", i);
}

static char *
heap_special (gpointer data, guint i, guint *num_args)
{
  HeapCode *h = data;
  return st_special_selector (h->p, i, num_args);
}

static char *
heap_inst_var (gpointer data, guint i)
{
  HeapCode *h = data;
  /* The printer's placeholders (ivarN) say nothing: number by slot. */
  if (h->ivars != NULL && i < g_strv_length (h->ivars)
      && !(g_str_has_prefix (h->ivars[i], "ivar") && g_ascii_isdigit (h->ivars[i][4])))
    return g_strdup (h->ivars[i]);
  return g_strdup_printf ("instVar%u", i);
}

static gboolean heap_full_block (gpointer data, guint i, StDecompileCode *out);

static bool
heap_code (HeapCode *h, StOop method, StDecompileCode *out, bool is_block)
{
  StVM *vm = st_printer_vm (h->p);
  StMethodHeader hdr;
  if (!st_printer_is_object (vm, method) || !st_method_header (vm, method, &hdr, NULL))
    return false;
  memset (out, 0, sizeof *out);
  out->set = hdr.bytecode_set;
  out->bytes = st_bytes (vm, method);
  out->start = hdr.initial_pc;
  out->end = st_disasm_bytecode_end (vm, method, &hdr,
                                     is_block ? ST_TRAILER_STYLE_BLOCK : st_source_trailer_style (h->p), NULL);
  out->num_args = hdr.num_args;
  out->num_temps = hdr.num_temps;
  out->primitive = hdr.primitive;
  out->word_bytes = vm->personality.word_bytes;
  out->num_literals = hdr.num_literals;
  out->data = h;
  out->literal = heap_literal_text;
  out->selector = heap_selector;
  out->binding = heap_binding;
  out->special = heap_special;
  out->inst_var = heap_inst_var;
  out->full_block = heap_full_block;
  return true;
}

/* Full blocks name their literals from their own CompiledBlock: each one
 * gets its own HeapCode, owned by the list shared with the method's. */
static gboolean
heap_full_block (gpointer data, guint i, StDecompileCode *out)
{
  HeapCode *h = data;
  bool ok;
  StOop l = heap_literal (h, i, &ok);
  if (!ok || l == h->method || !st_disasm_is_compiled_block (h->p, l))
    return FALSE;
  HeapCode *child = g_new0 (HeapCode, 1);
  child->p = h->p;
  child->method = l;
  child->ivars = h->ivars;
  child->owned = h->owned;
  g_ptr_array_add (h->owned, child);
  return heap_code (child, l, out, true);
}

char *
st_decompile_method (StPrinter *p, StOop method, GError **error)
{
  StVM *vm = st_printer_vm (p);
  StOop cls = 0, home = method;
  g_autofree char *selector = NULL;
  st_printer_method_info (p, method, &cls, &selector, &home);
  if (home != 0)
    method = home;
  StMethodHeader hdr;
  const char *why = NULL;
  if (!st_printer_is_object (vm, method) || !st_method_header (vm, method, &hdr, &why))
    {
      g_set_error (error, ST_IMAGE_ERROR, ST_IMAGE_ERROR_INVALID, "0x%" G_GINT64_MODIFIER "x is not a method: %s",
                   method, why ? why : "not an object");
      return NULL;
    }
  HeapCode h = { .p = p, .method = method, .owned = g_ptr_array_new_with_free_func (g_free) };
  if (cls != 0)
    {
      /* A metaclass method's instance variables are the class's. */
      h.ivars = st_printer_inst_var_names (p, cls);
    }
  StDecompileCode code;
  heap_code (&h, method, &code, false);
  char *text = st_decompile_code (&code, selector ? selector : "unknownSelector");
  g_strfreev (h.ivars);
  g_ptr_array_unref (h.owned);
  return text;
}
