// SPDX-License-Identifier: GPL-2.0
/*
 * kvm.ko symbols that kvm-vsm needs but kvm.ko does not export.
 *
 * kallsyms_lookup_name() is neither exported nor safe to call through a
 * pointer on IBT kernels (research/hooking-stock-kvm.md §0). kvm-vsm links
 * against kvm.ko, so kvm's struct module is on our own dependency list;
 * its symbol table is searched directly, once, at module load.
 *
 * IBT rule (DESIGN.md): a resolved address is only ever *called* after
 * kvm_vsm_callable() has seen an ENDBR at it; hook targets are never
 * called, only traced.
 */
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <asm/ibt.h>

#include "kvm_vsm.h"

const struct file_operations *kvm_vsm_kvm_vcpu_fops;
struct kvm_x86_ops *kvm_vsm_kvm_x86_ops;

static struct module *kvm_vsm_kvm_module(void)
{
	struct module_use *use;

	list_for_each_entry(use, &THIS_MODULE->target_list, target_list)
		if (!strcmp(use->target->name, "kvm"))
			return use->target;
	return NULL;
}

unsigned long kvm_vsm_kvm_symbol(const char *name)
{
	struct module *kvm = kvm_vsm_kvm_module();
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
	u32 insn;

	if (!fn)
		return false;
	if (!IS_ENABLED(CONFIG_X86_KERNEL_IBT))
		return true;
	if (copy_from_kernel_nofault(&insn, fn, sizeof(insn)))
		return false;
	return is_endbr(insn);
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

int kvm_vsm_symbols_init(void)
{
	kvm_vsm_kvm_vcpu_fops = (void *)kvm_vsm_kvm_symbol("kvm_vcpu_fops");
	kvm_vsm_kvm_x86_ops = (void *)kvm_vsm_kvm_symbol("kvm_x86_ops");
	if (!kvm_vsm_kvm_vcpu_fops || !kvm_vsm_kvm_x86_ops) {
		pr_err("kvm-vsm: cannot find kvm_vcpu_fops/kvm_x86_ops in kvm.ko\n");
		return -ENOENT;
	}
	return 0;
}
