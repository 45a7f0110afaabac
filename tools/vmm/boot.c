// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vsm-run: multiboot v1 loader for ELF images, as kvm-unit-tests
 * builds them (its x86 .flat files: an ELF32 container whose multiboot header has
 * flags 0, so the loader takes the layout from the ELF program headers).
 *
 * Guest memory it uses besides the image (all below 1 MiB, under the
 * image, which kvm-unit-tests links at 4 MiB; page 0 stays free for the
 * test library's SIPI trampoline):
 *   0x8000  the boot GDT (flat 32-bit code 0x08, data 0x10)
 *   0x9000  the multiboot info, its memory map, module list, command line
 * The module (--env) goes right after the image, page aligned.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

#define MB_MAGIC		0x1badb002u
#define MB_SEARCH		8192	/* the header is in the first 8 KiB */
#define MB_FLAG_VIDEO		BIT(2)
#define MB_FLAG_AOUT_KLUDGE	BIT(16)

#define MBI_MEM			BIT(0)
#define MBI_CMDLINE		BIT(2)
#define MBI_MODS		BIT(3)
#define MBI_MMAP		BIT(6)

#define BOOT_GDT		0x8000u
#define BOOT_MBI		0x9000u
#define BOOT_MBI_END		0xa0000u	/* the legacy hole starts here */
#define LOW_RAM_END		0x9f000u

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
} __packed;

struct mb_module {
	uint32_t start, end, string, reserved;
} __packed;

struct mb_mmap {
	uint32_t size;
	uint64_t base, length;
	uint32_t type;
} __packed;

static void *read_file(const char *path, size_t *size)
{
	struct stat st;
	void *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		vmm_die("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		vmm_die("%s: not a regular file", path);
	buf = malloc(st.st_size + 1);
	if (!buf)
		vmm_die("%s: out of memory", path);
	if (read(fd, buf, st.st_size) != st.st_size)
		vmm_die("%s: short read", path);
	close(fd);
	((char *)buf)[st.st_size] = 0;
	*size = st.st_size;
	return buf;
}

/* The multiboot header's offset, or -1. */
static long mb_header(const uint8_t *img, size_t size)
{
	size_t off;

	for (off = 0; off + 12 <= size && off < MB_SEARCH; off += 4) {
		const uint32_t *h = (const uint32_t *)(img + off);

		if (h[0] == MB_MAGIC && h[0] + h[1] + h[2] == 0)
			return off;
	}
	return -1;
}

#define LOAD_REPORTED	(~0ull)	/* load_elf32() printed why it failed */

/*
 * Copy the PT_LOAD segments; returns the highest address loaded, 0 if the
 * file is no ELF32 multiboot kernel, LOAD_REPORTED after its own message.
 */
static uint64_t load_elf32(struct vmm *vmm, const uint8_t *img, size_t size,
			   uint32_t *entry)
{
	const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img;
	uint64_t end = 0, need;
	unsigned int i;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS32 || eh->e_machine != EM_386 ||
	    eh->e_phentsize != sizeof(Elf32_Phdr) ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf32_Phdr) > size)
		return 0;
	/* A file cut short loses its section headers first: say so. */
	if (eh->e_shoff &&
	    eh->e_shoff + (uint64_t)eh->e_shnum * eh->e_shentsize > size) {
		fprintf(stderr, "kvm-vsm-run: %s: truncated (%zu bytes, %s)\n",
			vmm->image, size, "its ELF headers describe more");
		return LOAD_REPORTED;
	}

	for (i = 0; i < eh->e_phnum; i++) {
		const Elf32_Phdr *ph = (const Elf32_Phdr *)
			(img + eh->e_phoff) + i;
		uint64_t pa = ph->p_paddr;

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		if (ph->p_filesz > ph->p_memsz ||
		    (uint64_t)ph->p_offset + ph->p_filesz > size)
			return 0;
		if (pa < 0x100000) {	/* low memory is the loader's */
			fprintf(stderr, "kvm-vsm-run: %s: segment at 0x%llx below 1 MiB\n",
				vmm->image, (unsigned long long)pa);
			return LOAD_REPORTED;
		}
		if (pa + ph->p_memsz > end)
			end = pa + ph->p_memsz;
	}
	if (!end)
		return 0;
	need = (end + (1 << 20) + (1 << 20) - 1) >> 20;
	if (end + (1 << 20) > vmm->mem_size)
		vmm_die("%s: needs %llu MiB of guest memory, have %llu",
			vmm->image, (unsigned long long)need,
			(unsigned long long)(vmm->mem_size >> 20));

	for (i = 0; i < eh->e_phnum; i++) {
		const Elf32_Phdr *ph = (const Elf32_Phdr *)
			(img + eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		memcpy(vmm->mem + ph->p_paddr, img + ph->p_offset, ph->p_filesz);
		memset(vmm->mem + ph->p_paddr + ph->p_filesz, 0,
		       ph->p_memsz - ph->p_filesz);
	}
	*entry = eh->e_entry;
	return end;
}

/* Bump allocator in the multiboot info area. */
static uint32_t mbi_alloc(struct vmm *vmm, uint32_t *next, uint32_t len)
{
	uint32_t at = (*next + 7) & ~7u;

	if (at + len > BOOT_MBI_END)
		vmm_die("%s: command line too long", vmm->image);
	*next = at + len;
	return at;
}

static void boot_gdt(struct vmm *vmm)
{
	uint64_t *gdt = (uint64_t *)(vmm->mem + BOOT_GDT);

	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffull;	/* 0x08: code, 32-bit, 4 GiB */
	gdt[2] = 0x00cf93000000ffffull;	/* 0x10: data, 4 GiB */
}

int boot_load(struct vmm *vmm, struct boot_info *bi)
{
	uint32_t next = BOOT_MBI + sizeof(struct mb_info), flags;
	struct mb_info *mbi = (struct mb_info *)(vmm->mem + BOOT_MBI);
	struct mb_mmap *mm;
	uint64_t end;
	size_t size, len;
	uint8_t *img;
	long hdr;

	img = read_file(vmm->image, &size);
	hdr = mb_header(img, size);
	if (hdr < 0) {
		fprintf(stderr, "kvm-vsm-run: %s: not a multiboot image\n",
			vmm->image);
		free(img);
		return -1;
	}
	flags = ((uint32_t *)(img + hdr))[1];
	/* Video modes and a.out layouts are not what this loader does. */
	if (flags & (MB_FLAG_VIDEO | MB_FLAG_AOUT_KLUDGE | 0xfff8u)) {
		fprintf(stderr, "kvm-vsm-run: %s: %s 0x%x %s\n", vmm->image,
			"multiboot flags", flags, "not supported (ELF only)");
		free(img);
		return -1;
	}
	end = load_elf32(vmm, img, size, &bi->entry);
	free(img);
	if (end == LOAD_REPORTED)
		return -1;
	if (!end) {
		fprintf(stderr, "kvm-vsm-run: %s: not a multiboot image %s\n",
			vmm->image,
			"(no loadable ELF32 i386 segments above 1 MiB)");
		return -1;
	}

	memset(mbi, 0, sizeof(*mbi));
	mbi->flags = MBI_MEM | MBI_MMAP | MBI_CMDLINE | MBI_MODS;
	mbi->mem_lower = LOW_RAM_END >> 10;
	mbi->mem_upper = (vmm->mem_size - (1 << 20)) >> 10;

	mm = (struct mb_mmap *)(vmm->mem + mbi_alloc(vmm, &next, 2 * sizeof(*mm)));
	mm[0] = (struct mb_mmap){ sizeof(*mm) - 4, 0, LOW_RAM_END, 1 };
	mm[1] = (struct mb_mmap){ sizeof(*mm) - 4, 1 << 20,
				  vmm->mem_size - (1 << 20), 1 };
	mbi->mmap_addr = (uint8_t *)mm - vmm->mem;
	mbi->mmap_length = 2 * sizeof(*mm);

	len = strlen(vmm->cmdline) + 1;
	mbi->cmdline = mbi_alloc(vmm, &next, len);
	memcpy(vmm->mem + mbi->cmdline, vmm->cmdline, len);

	if (vmm->env) {
		struct mb_module *mod;
		uint64_t at = (end + VMM_PAGE_SIZE - 1) & ~(VMM_PAGE_SIZE - 1);
		char *text = read_file(vmm->env, &size);

		if (at + size + 1 > vmm->mem_size)
			vmm_die("%s: needs %llu MiB of guest memory with %s, have %llu",
				vmm->image,
				(unsigned long long)((at + size + (1 << 20)) >> 20) + 1,
				vmm->env,
				(unsigned long long)(vmm->mem_size >> 20));
		memcpy(vmm->mem + at, text, size + 1);
		free(text);
		mod = (struct mb_module *)(vmm->mem +
					   mbi_alloc(vmm, &next, sizeof(*mod)));
		*mod = (struct mb_module){ at, at + size, mbi->cmdline, 0 };
		mbi->mods_addr = (uint8_t *)mod - vmm->mem;
		mbi->mods_count = 1;
	}

	boot_gdt(vmm);
	bi->mbi = BOOT_MBI;
	return 0;
}
