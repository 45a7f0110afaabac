/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's spellings of attributes and bit helpers
 * (linux/compiler_attributes.h, linux/bits.h), so the VMM reads, and is
 * checked, as kernel-style code.
 */
#ifndef KVM_VSM_RUN_COMPILER_H
#define KVM_VSM_RUN_COMPILER_H

#define __packed		__attribute__((packed))
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#define __noreturn		__attribute__((noreturn))
#define BIT(n)			(1u << (n))
#define BIT_ULL(n)		(1ull << (n))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#endif
