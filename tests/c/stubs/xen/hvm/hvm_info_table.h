/* Test stand-in for Xen's public xen/hvm/hvm_info_table.h: HVM_MAX_VCPUS. */
#ifndef MTC_STUB_HVM_INFO_TABLE_H
#define MTC_STUB_HVM_INFO_TABLE_H

#define HVM_MAX_VCPUS 128

#endif
