/*
 * Test stand-in for the per-target header CONFIG_DEVICES names in QEMU's
 * build (x86_64-softmmu-config-devices.h): the tests define the CONFIG_*
 * symbols of the build they describe with -D, so it holds none.
 */
#ifndef MTC_STUB_CONFIG_DEVICES_H
#define MTC_STUB_CONFIG_DEVICES_H
#endif
