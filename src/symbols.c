// SPDX-License-Identifier: GPL-2.0
/*
 * kvm.ko symbols that kvm-vsm needs but kvm.ko does not export.
 *
 * kallsyms_lookup_name() is neither exported nor safe to call through a
 * pointer on IBT kernels (research/hooking-stock-kvm.md §0). kvm-vsm links
 * against kvm.ko (kvm_get_kvm() and kvm_put_kvm() are exported to any
 * module on every kernel), so kvm.ko stays loaded while we are; its
 * symbol table is searched directly.
 *
 * IBT rule (DESIGN.md): a resolved address is only ever *called* after
 * kvm_vsm_callable() has seen an ENDBR at it; hook targets are never
 * called, only traced.
 */
#include <linux/kallsyms.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <asm/ibt.h>

#include "kvm_vsm.h"

const struct file_operations *kvm_vsm_kvm_vcpu_fops;
struct kvm_x86_ops *kvm_vsm_kvm_x86_ops;
#ifndef KVM_VSM_HAVE_KVM_IS_VALID_CR4_FN
const u64 *kvm_vsm_kvm_cr4_reserved_bits __ro_after_init;
#endif

static struct module *kvm_vsm_kvm_mod __ro_after_init;

/*
 * kvm.ko's struct module: "kvm" in the modules' sysfs kset, ours being
 * there too (struct module_use, the dependency list, is private since
 * 6.18), and the module that holds the kvm_get_kvm() we link against.
 */
static struct module *kvm_vsm_find_kvm_module(void)
{
	struct kset *kset = THIS_MODULE->mkobj.kobj.kset;
	struct module *mod;
	struct kobject *kobj;

	if (!kset)	/* no sysfs */
		return NULL;
	kobj = kset_find_obj(kset, "kvm");
	if (!kobj)
		return NULL;
	mod = container_of(kobj, struct module_kobject, kobj)->mod;
	kobject_put(kobj);
	if (mod && !within_module((unsigned long)kvm_get_kvm, mod))
		return NULL;
	return mod;
}

/* @name of ELF type @type (STT_FUNC, STT_OBJECT) in kvm.ko, or 0. */
unsigned long kvm_vsm_kvm_symbol(const char *name, int type)
{
	struct module *kvm = kvm_vsm_kvm_mod;
	struct mod_kallsyms *ks;
	unsigned long addr = 0;
	char buf[KSYM_SYMBOL_LEN];
	size_t len = strlen(name);
	unsigned int i;

	if (!kvm)
		return 0;
	preempt_disable();
	ks = rcu_dereference_sched(kvm->kallsyms);
	for (i = 0; i < ks->num_symtab; i++) {
		const Elf_Sym *sym = &ks->symtab[i];

		if (sym->st_shndx != SHN_UNDEF &&
		    ELF_ST_TYPE(sym->st_info) == type &&
		    !strcmp(ks->strtab + sym->st_name, name)) {
			addr = sym->st_value;
			break;
		}
	}
	preempt_enable();

	/* Cross-check with the kernel's own view: "name+0x0/...". */
	if (addr) {
		sprint_symbol(buf, addr);
		if (strncmp(buf, name, len) || strncmp(buf + len, "+0x0/", 5))
			addr = 0;
	}
	return addr;
}

bool kvm_vsm_callable(const void *fn)
{
#ifdef CONFIG_X86_KERNEL_IBT
	u32 insn;

	if (!fn || copy_from_kernel_nofault(&insn, fn, sizeof(insn)))
		return false;
	/* Not is_endbr(): it also accepts the poison of a sealed ENDBR. */
	return insn == gen_endbr();
#else
	return !!fn;
#endif
}

/*
 * The guest's CPL, through the vendor's get_cpl (address-taken, so it keeps
 * its ENDBR). Fails closed: an unusable pointer reads as CPL 3.
 */
int kvm_vsm_guest_cpl(struct kvm_vcpu *vcpu)
{
	int (*get_cpl)(struct kvm_vcpu *vcpu);

	get_cpl = READ_ONCE(kvm_vsm_kvm_x86_ops->get_cpl);
	if (unlikely(!kvm_vsm_callable(get_cpl))) {
		pr_warn_ratelimited("kvm-vsm: kvm_x86_ops.get_cpl is not callable\n");
		return 3;
	}
	return get_cpl(vcpu);
}

/*
 * compat.h: kvm.ko functions exported to kvm-amd/kvm-intel only, and
 * those not exported at all (KVM_VSM_FN_LOOKUP).
 */
struct kvm_vsm_kvm_fns kvm_vsm_kvm_fns __ro_after_init;

static int kvm_vsm_kvm_fns_init(void)
{
	static const struct {
		const char *name;
		const char *proto;	/* for the log line */
		size_t offset;
	} fns[] = {
#define KVM_VSM_FN_LOOKUP(name, ret, args)				\
	{ #name, #ret " " #name #args, offsetof(struct kvm_vsm_kvm_fns, name) },
#ifdef KVM_VSM_HAVE_KVM_INTERNAL_EXPORTS
#define KVM_VSM_FN(name, ret, args)	KVM_VSM_FN_LOOKUP(name, ret, args)
#else
#define KVM_VSM_FN(name, ret, args)
#endif
#include "kvm_fns.h"
	};
	unsigned long addr;
	int i;

	for (i = 0; i < ARRAY_SIZE(fns); i++) {
		addr = kvm_vsm_kvm_symbol(fns[i].name, STT_FUNC);
		if (!addr) {
			pr_err("kvm-vsm: kvm.ko has no %s\n", fns[i].proto);
			return -ENOENT;
		}
		/* IBT: an indirect call needs an ENDBR at its target. */
		if (!kvm_vsm_callable((void *)addr)) {
			pr_err("kvm-vsm: %s in kvm.ko is not callable (no ENDBR)\n",
			       fns[i].proto);
			return -EOPNOTSUPP;
		}
		*(void **)((char *)&kvm_vsm_kvm_fns + fns[i].offset) = (void *)addr;
	}
	return 0;
}

int kvm_vsm_symbols_init(void)
{
	kvm_vsm_kvm_mod = kvm_vsm_find_kvm_module();
	if (!kvm_vsm_kvm_mod) {
		pr_err("kvm-vsm: cannot find the kvm module\n");
		return -ENOENT;
	}
	kvm_vsm_kvm_vcpu_fops = (void *)kvm_vsm_kvm_symbol("kvm_vcpu_fops", STT_OBJECT);
	kvm_vsm_kvm_x86_ops = (void *)kvm_vsm_kvm_symbol("kvm_x86_ops", STT_OBJECT);
	if (!kvm_vsm_kvm_vcpu_fops || !kvm_vsm_kvm_x86_ops) {
		pr_err("kvm-vsm: cannot find kvm_vcpu_fops/kvm_x86_ops in kvm.ko\n");
		return -ENOENT;
	}
#ifndef KVM_VSM_HAVE_KVM_IS_VALID_CR4_FN
	/*
	 * Without __kvm_is_valid_cr4() KVM folds the CR4 bits it cannot run
	 * into each vCPU's cr4_guest_rsvd_bits. A kernel that still keeps
	 * them apart (a global cr4_reserved_bits) has them checked too.
	 */
	kvm_vsm_kvm_cr4_reserved_bits =
		(void *)kvm_vsm_kvm_symbol("cr4_reserved_bits", STT_OBJECT);
#endif
	return kvm_vsm_kvm_fns_init();
}
