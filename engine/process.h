/* SPDX-License-Identifier: GPL-3.0-or-later */
/* process.h: every Process an image holds, and its stack.
 *
 * Found, in this order, without running anything:
 *   - the active process (special object 3's value, activeProcess);
 *   - the processes in the scheduler's quiescentProcessLists, by priority;
 *   - the processes waiting in a Semaphore or any other linked list: a heap
 *     walk finds every object (not itself a Process) whose first slot is a
 *     Process, and follows the links from there;
 *   - every other instance of Process (special object 27) or a subclass:
 *     suspended (or terminated, when it has no context).
 * Lists are followed with a bound and a visited set, so cyclic or broken
 * links end the walk with a problem noted rather than a hang.
 *
 * A stack is the chain of senders from the process's suspendedContext, one
 * frame per context, printed the way the VM's printAllStacks does:
 * address, Receiver(DefiningClass)>>selector, pc as the image counts it. */
#pragma once

#include "objmem.h"

G_BEGIN_DECLS

typedef struct {
  uint64_t address;      /* the context */
  char    *print;        /* "Foo(Bar)>>baz [pc 23]" */
  char    *receiver;     /* print of the receiver */
  bool     block;        /* a block activation */
} StFrame;

typedef struct {
  uint64_t   address;
  char      *print;        /* one line: "a Process (priority 40, ready) in ..." */
  char      *state;        /* running, ready, waiting on a Semaphore, suspended, terminated */
  int64_t    priority;     /* -1 when not a SmallInteger */
  char      *name;         /* the process's name when it has one, else NULL */
  char      *found_in;     /* "activeProcess", "quiescentProcessLists[40]", "a Semaphore (0x...)", "heap" */
  GPtrArray *frames;       /* StFrame *, innermost first */
  bool       truncated;    /* more frames than asked for */
  char      *problem;      /* why the stack walk stopped early, or NULL */
} StProcessInfo;

/* Every process, as above.  max_frames bounds each stack (0: 10000).
 * NULL with an error only when the heap has no readable scheduler and no
 * Process class at all. */
GPtrArray *st_process_list (StVM *vm, guint max_frames, GError **error);   /* StProcessInfo * */
void       st_process_info_free (StProcessInfo *info);

/* The frames from ctx along the sender chain (StFrame *); *problem gets
 * the reason when the chain ends in something that is not a context. */
GPtrArray *st_process_stack (StVM *vm, StOop ctx, guint max_frames, bool *truncated, char **problem);
void       st_frame_free (StFrame *f);

G_END_DECLS
