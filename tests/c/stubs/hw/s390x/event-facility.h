/* Test stand-in for QEMU's include/hw/s390x/event-facility.h: TYPE_SCLP_EVENT_FACILITY. */
#ifndef HW_S390_SCLP_EVENT_FACILITY_H
#define HW_S390_SCLP_EVENT_FACILITY_H

#define TYPE_SCLP_EVENT_FACILITY "s390-sclp-event-facility"

#endif
