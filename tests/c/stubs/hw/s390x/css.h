/* Test stand-in for QEMU's include/hw/s390x/css.h: css_migration_enabled. */
#ifndef CSS_H
#define CSS_H

extern bool css_migration_enabled;

#endif
