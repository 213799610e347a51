/*
 * Test stand-in for QEMU's target/s390x/cpu_models.h (with the bits of
 * cpu_features.h, cpu_features_def.h and the generated gen-features.h it
 * reaches): what the CPU-model statements of the ccw instance options call,
 * for the features and feature lists QEMU 10.0's statements name.  The
 * feature lists are stand-in numbers the test harness prints back by name.
 */
#ifndef TARGET_S390X_CPU_MODELS_H
#define TARGET_S390X_CPU_MODELS_H

#define MTC_STUB_S390_FEATS(X) \
    X(ESOP) \
    X(SIDE_EFFECT_ACCESS_ESOP2) \
    X(ZPCI) \
    X(ADAPTER_INT_SUPPRESSION) \
    X(ADAPTER_EVENT_NOTIFICATION) \
    X(PPA15) \
    X(BPB) \
    X(MULTIPLE_EPOCH) \
    X(NNPA) \
    X(VECTOR_PACKED_DECIMAL_ENH2) \
    X(BEAR_ENH) \
    X(RDP) \
    X(PAI) \
    X(PAIE)

#define MTC_STUB_S390_FEAT_ENUM(name) S390_FEAT_##name,
typedef enum {
    MTC_STUB_S390_FEATS(MTC_STUB_S390_FEAT_ENUM)
    S390_FEAT_MAX,
} S390Feat;

typedef enum {
    S390_FEAT_GROUP_MULTIPLE_EPOCH_PTFF,
    S390_FEAT_GROUP_MAX,
} S390FeatGroup;

typedef uint64_t S390FeatInit[S390_FEAT_MAX / 64 + 1];

#define MTC_STUB_S390_FEAT_LISTS(X) \
    X(QEMU_V2_11, 0x0211) \
    X(QEMU_V3_1, 0x0301) \
    X(QEMU_V4_0, 0x0400) \
    X(QEMU_V4_1, 0x0401) \
    X(QEMU_V6_0, 0x0600) \
    X(QEMU_V6_2, 0x0602) \
    X(QEMU_V7_0, 0x0700) \
    X(QEMU_V7_1, 0x0701)

#define S390_FEAT_LIST_QEMU_V2_11 0x0211
#define S390_FEAT_LIST_QEMU_V3_1 0x0301
#define S390_FEAT_LIST_QEMU_V4_0 0x0400
#define S390_FEAT_LIST_QEMU_V4_1 0x0401
#define S390_FEAT_LIST_QEMU_V6_0 0x0600
#define S390_FEAT_LIST_QEMU_V6_2 0x0602
#define S390_FEAT_LIST_QEMU_V7_0 0x0700
#define S390_FEAT_LIST_QEMU_V7_1 0x0701

void s390_cpudef_featoff_greater(uint8_t gen, uint8_t ec_ga, S390Feat feat);
void s390_cpudef_group_featoff_greater(uint8_t gen, uint8_t ec_ga,
                                       S390FeatGroup group);
void s390_set_qemu_cpu_model(uint16_t type, uint8_t gen, uint8_t ec_ga,
                             const S390FeatInit feat_init);

#endif
