/*
 * Test stand-in for QEMU's include/hw/ppc/spapr_irq.h: the interrupt
 * controller backends a pseries machine class names, and its IRQ numbers.
 */
#ifndef HW_SPAPR_IRQ_H
#define HW_SPAPR_IRQ_H

#define SPAPR_IRQ_NR_IPIS 0x1000
#define SPAPR_NR_XIRQS 0x1000

typedef struct SpaprIrq {
    bool xics;
    bool xive;
} SpaprIrq;

extern SpaprIrq spapr_irq_xics;
extern SpaprIrq spapr_irq_xics_legacy;
extern SpaprIrq spapr_irq_xive;
extern SpaprIrq spapr_irq_dual;

#endif
