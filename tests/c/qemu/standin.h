/*
 * What the stand-ins of QEMU's files give the test harness that QEMU keeps
 * static in them.
 */
#ifndef MTC_STANDIN_H
#define MTC_STANDIN_H

/* The name a symbol option's value has in machines/ ("&spapr_irq_xics"). */
const char *mtc_standin_symbol(const void *address);

/* s390-virtio-ccw.c: ccw_init() calls, and the class its machine init set. */
extern int mtc_standin_ccw_init_calls;
const void *mtc_standin_current_mc(void);

#endif
