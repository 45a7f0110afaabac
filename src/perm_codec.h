/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perm.c's chunk encoding, plain C: built into the module and, for the
 * unit test (tests/unit/perm_codec_test.c), into a userspace program. The
 * includer provides u8, u16, BIT(), READ_ONCE(), WRITE_ONCE(), hweight16(),
 * struct rcu_head and KVM_VSM_PROT_READ.
 *
 * A chunk holds the codes of 512 frames (one 2 MiB region). A code is 0
 * (no mask of its own: the default applies) or 1 + one of the 9 valid
 * masks. PAL2: up to 4 distinct codes, a palette and 2-bit indices (24 +
 * 128 bytes); NIB4: one 4-bit code per frame (24 + 256 bytes). A region
 * with a single code needs no chunk at all.
 */
#ifndef KVM_VSM_PERM_CODEC_H
#define KVM_VSM_PERM_CODEC_H

#define PERM_CHUNK_SHIFT	9
#define PERM_CHUNK_FRAMES	BIT(PERM_CHUNK_SHIFT)
#define PERM_NR_CODES		10

enum { PERM_PAL2 = 1, PERM_NIB4 = 2 };

struct kvm_vsm_perm_chunk {
	struct rcu_head rcu;
	u8 kind;		/* PERM_PAL2 or PERM_NIB4 */
	u8 npal;		/* PAL2: palette entries in use */
	u16 own;		/* frames with a mask of their own */
	u8 pal[4];		/* PAL2: the codes */
	u8 data[];		/* 128 (PAL2) or 256 (NIB4) bytes */
};

#define PERM_PAL2_BYTES	(PERM_CHUNK_FRAMES / 4)
#define PERM_NIB4_BYTES	(PERM_CHUNK_FRAMES / 2)

/* Code <-> mask: 1 is no access, 2 + (mask >> 1) is READ | mask's others. */
static inline u8 perm_mask_code(u8 mask)
{
	return mask ? 2 + ((mask >> 1) & 7) : 1;
}

static inline u8 perm_code_mask(u8 code)
{
	return code <= 1 ? 0 : KVM_VSM_PROT_READ | ((code - 2) << 1);
}

static inline unsigned long perm_chunk_size(u8 kind)
{
	return sizeof(struct kvm_vsm_perm_chunk) +
	       (kind == PERM_PAL2 ? PERM_PAL2_BYTES : PERM_NIB4_BYTES);
}

/* The code of frame @i; lock-free (perm_chunk_put() stores whole bytes). */
static inline u8 perm_chunk_code(const struct kvm_vsm_perm_chunk *c,
				 unsigned int i)
{
	u8 b;

	if (c->kind == PERM_PAL2) {
		b = READ_ONCE(c->data[i / 4]);
		return READ_ONCE(c->pal[(b >> (2 * (i % 4))) & 3]);
	}
	b = READ_ONCE(c->data[i / 2]);
	return (b >> (4 * (i % 2))) & 0xf;
}

/* Can frame codes of @c become @code in place (its palette has it)? */
static inline bool perm_chunk_holds(const struct kvm_vsm_perm_chunk *c, u8 code)
{
	unsigned int j;

	if (c->kind == PERM_NIB4)
		return true;
	for (j = 0; j < c->npal; j++)
		if (c->pal[j] == code)
			return true;
	return false;
}

/*
 * Frame @i of published @c := @code, which perm_chunk_holds(). One byte
 * store: a lock-free reader sees the frame's old or new code, and its
 * neighbours' codes unchanged. The palette itself never changes.
 */
static inline void perm_chunk_put(struct kvm_vsm_perm_chunk *c, unsigned int i,
				  u8 code)
{
	unsigned int sh;
	u8 j = 0, b;

	if (c->kind == PERM_NIB4) {
		sh = 4 * (i % 2);
		b = c->data[i / 2];
		WRITE_ONCE(c->data[i / 2], (b & ~(0xf << sh)) | code << sh);
		return;
	}
	while (c->pal[j] != code)
		j++;
	sh = 2 * (i % 4);
	b = c->data[i / 4];
	WRITE_ONCE(c->data[i / 4], (b & ~(3 << sh)) | j << sh);
}

/* What 512 codes need: 0 (all the same: no chunk), PERM_PAL2 or PERM_NIB4. */
static inline u8 perm_codec_kind(const u8 *code)
{
	u16 codes = 0;
	unsigned int i;

	for (i = 0; i < PERM_CHUNK_FRAMES; i++)
		codes |= BIT(code[i]);
	if (hweight16(codes) == 1)
		return 0;
	return hweight16(codes) <= 4 ? PERM_PAL2 : PERM_NIB4;
}

/* Encode @code into @c (zeroed, perm_chunk_size(@kind) bytes). */
static inline void perm_codec_fill(struct kvm_vsm_perm_chunk *c, u8 kind,
				   const u8 *code)
{
	unsigned int i, own = 0;
	u16 codes = 0;
	u8 j;

	for (i = 0; i < PERM_CHUNK_FRAMES; i++) {
		codes |= BIT(code[i]);
		own += !!code[i];
	}
	c->kind = kind;
	c->own = own;
	if (kind == PERM_NIB4) {
		for (i = 0; i < PERM_CHUNK_FRAMES; i++)
			c->data[i / 2] |= code[i] << (4 * (i % 2));
		return;
	}
	for (j = 0; j < PERM_NR_CODES; j++)
		if (codes & BIT(j))
			c->pal[c->npal++] = j;
	for (i = 0; i < PERM_CHUNK_FRAMES; i++) {
		for (j = 0; c->pal[j] != code[i]; j++)
			;
		c->data[i / 4] |= j << (2 * (i % 4));
	}
}

#endif /* KVM_VSM_PERM_CODEC_H */
