/*
 * Minimal stand-in for QEMU's target/i386/cpu.h: TYPE_X86_CPU as
 * target/i386/cpu-qom.h defines it for the two x86 system emulators.
 */
#ifndef I386_CPU_H
#define I386_CPU_H

#ifdef TARGET_X86_64
#define TYPE_X86_CPU "x86_64-cpu"
#else
#define TYPE_X86_CPU "i386-cpu"
#endif

#endif
