// SPDX-License-Identifier: GPL-2.0
/*
 * Shared lower layer: the permission state. Per target VTL (the VTL being
 * restricted), the KVM_VSM_PROT_* mask of every 4 KiB frame, held as
 * 512-frame chunks (one 2 MiB region) in an xarray keyed by gfn >> 9:
 *
 *   absent            every frame has no mask of its own (the default)
 *   xa_mk_value(code) every frame has the same code: no allocation
 *   PAL2 chunk        up to 4 distinct codes: a palette and 2-bit indices,
 *                     24 + 128 bytes (2.4 bits per frame)
 *   NIB4 chunk        more than 4: one 4-bit code per frame, 24 + 256 bytes
 *
 * Chunks come from two slab caches of exactly those sizes (kmalloc would
 * round 152 up to 192 bytes, 3 bits per frame), charged to the memcg.
 *
 * A code is 0 (no own mask) or 1 + one of the 9 valid masks. Writers hold
 * part->perm_lock. A published chunk changes only by moving a frame to a
 * code its palette already has (one byte store); anything else builds a
 * new chunk and frees the old one after RCU. Readers (the fault path, any
 * context) are lock-free: xa_load under RCU and READ_ONCE on the bytes.
 *
 * Changes go through a transaction (struct kvm_vsm_perm_txn): staged
 * privately, then everything allocated (prepare), then published with no
 * allocation left to fail (commit). So the VMM's KVM_VSM_SET_PROTECTION
 * is all or nothing, and a guest's batch of reps too.
 */
#include "kvm_vsm.h"
#include "perm_codec.h"

/* A staged chunk: its codes, and what prepare built from them. */
#define PERM_MODS	8

/*
 * A staged chunk: its codes, and what prepare built from them. A chunk
 * already published starts sparse: a few frame changes, no decoding;
 * prepare applies them in place at commit when its palette has their
 * codes (the common case: a guest protecting page after page), else the
 * stage is decoded and a new chunk built.
 */
struct kvm_vsm_perm_stage {
	u8 code[PERM_CHUNK_FRAMES];	/* unless sparse */
	void *final;		/* NULL, a value entry or a new chunk */
	bool whole;		/* one code for all: code[0] */
	bool sparse;		/* only mod_*[] over the published chunk */
	bool inplace;		/* prepare: commit writes mod_*[] in place */
	u8 nmods;
	u16 mod_idx[PERM_MODS];
	u8 mod_code[PERM_MODS];
};

/* The code of @gfn: lock-free, any context. */
static u8 perm_code(struct kvm_vsm_perm *pv, gfn_t gfn)
{
	void *e;
	u8 code;

	rcu_read_lock();
	e = xa_load(&pv->chunks, gfn >> PERM_CHUNK_SHIFT);
	if (!e)
		code = 0;
	else if (xa_is_value(e))
		code = xa_to_value(e);
	else
		code = perm_chunk_code(e, gfn & (PERM_CHUNK_FRAMES - 1));
	rcu_read_unlock();
	return code;
}

u8 kvm_vsm_perm_default(struct kvm_vsm_partition *part, u8 vtl)
{
	return READ_ONCE(part->perm[vtl].dflt);
}

u8 kvm_vsm_perm_get(struct kvm_vsm_partition *part, u8 vtl, gfn_t gfn)
{
	struct kvm_vsm_perm *pv = &part->perm[vtl];
	u8 code;

	if (!READ_ONCE(pv->active))
		return KVM_VSM_PROT_ALL;
	code = perm_code(pv, gfn);
	return code ? perm_code_mask(code) : READ_ONCE(pv->dflt);
}

/* What KVM_VSM_GET_PROTECTION reports: the own mask or DEFAULT | default. */
u8 kvm_vsm_perm_get_raw(struct kvm_vsm_partition *part, u8 vtl, gfn_t gfn)
{
	struct kvm_vsm_perm *pv = &part->perm[vtl];
	u8 code = perm_code(pv, gfn);

	return code ? perm_code_mask(code) :
		      KVM_VSM_PROT_DEFAULT | READ_ONCE(pv->dflt);
}

bool kvm_vsm_perm_active(struct kvm_vsm_partition *part, u8 vtl)
{
	return READ_ONCE(part->perm[vtl].active);
}

/* Is any frame of [@gfn, @gfn + @n) denied anything? */
bool kvm_vsm_perm_range_restricted(struct kvm_vsm_partition *part, u8 vtl,
				   gfn_t gfn, u64 n)
{
	struct kvm_vsm_perm *pv = &part->perm[vtl];
	u8 dflt = READ_ONCE(pv->dflt);
	gfn_t end = gfn + n;
	bool r = false;

	if (!READ_ONCE(pv->active) || !n)
		return false;
	rcu_read_lock();
	while (gfn < end && !r) {
		unsigned long idx = gfn >> PERM_CHUNK_SHIFT;
		gfn_t cend = min_t(gfn_t, end, (gfn_t)(idx + 1) << PERM_CHUNK_SHIFT);
		void *e = xa_load(&pv->chunks, idx);
		u8 code;

		if (!e || xa_is_value(e)) {
			code = e ? xa_to_value(e) : 0;
			r = (code ? perm_code_mask(code) : dflt) != KVM_VSM_PROT_ALL;
		} else {
			for (; gfn < cend && !r; gfn++) {
				code = perm_chunk_code(e, gfn & (PERM_CHUNK_FRAMES - 1));
				r = (code ? perm_code_mask(code) : dflt) !=
				    KVM_VSM_PROT_ALL;
			}
		}
		gfn = cend;
	}
	rcu_read_unlock();
	return r;
}

static void perm_update_active(struct kvm_vsm_perm *pv)
{
	bool active = pv->nchunks || pv->nvalues ||
		      pv->dflt != KVM_VSM_PROT_ALL;

	WRITE_ONCE(pv->active, active);
}

/*
 * The default for frames of @vtl without a mask of their own (from the
 * VsmPartitionConfig of VTL @vtl + 1). Under part->perm_lock. Made active
 * before it applies, so no reader skips it.
 */
void kvm_vsm_perm_set_default(struct kvm_vsm_partition *part, u8 vtl, u8 mask)
{
	struct kvm_vsm_perm *pv = &part->perm[vtl];

	lockdep_assert_held(&part->perm_lock);
	WRITE_ONCE(pv->active, true);
	smp_wmb();	/* active before the default that needs it */
	WRITE_ONCE(pv->dflt, mask);
	perm_update_active(pv);
}

static struct kmem_cache *perm_cache[2] __ro_after_init;	/* PAL2, NIB4 */

static struct kmem_cache *perm_cache_of(u8 kind)
{
	return perm_cache[kind == PERM_NIB4];
}

static void perm_chunk_free(struct kvm_vsm_perm_chunk *c)
{
	kmem_cache_free(perm_cache_of(c->kind), c);
}

static void perm_chunk_free_rcu(struct rcu_head *head)
{
	perm_chunk_free(container_of(head, struct kvm_vsm_perm_chunk, rcu));
}

/*
 * A published chunk goes after the readers that may still see it; our
 * own callback (not kfree_rcu) so module exit can wait for it with
 * rcu_barrier() before its cache goes.
 */
static void perm_chunk_free_deferred(struct kvm_vsm_perm_chunk *c)
{
	call_rcu(&c->rcu, perm_chunk_free_rcu);
}

static u64 perm_chunk_bytes(const struct kvm_vsm_perm_chunk *c)
{
	return kmem_cache_size(perm_cache_of(c->kind));
}

int kvm_vsm_perm_module_init(void)
{
	perm_cache[0] = kmem_cache_create("kvm_vsm_perm_pal2",
					  perm_chunk_size(PERM_PAL2), 0,
					  SLAB_ACCOUNT, NULL);
	perm_cache[1] = kmem_cache_create("kvm_vsm_perm_nib4",
					  perm_chunk_size(PERM_NIB4), 0,
					  SLAB_ACCOUNT, NULL);
	if (perm_cache[0] && perm_cache[1])
		return 0;
	kvm_vsm_perm_module_exit();
	return -ENOMEM;
}

void kvm_vsm_perm_module_exit(void)
{
	rcu_barrier();	/* every perm_chunk_free_rcu() has run */
	kmem_cache_destroy(perm_cache[1]);
	kmem_cache_destroy(perm_cache[0]);
}

int kvm_vsm_perm_init(struct kvm_vsm_partition *part)
{
	int n;

	mutex_init(&part->perm_lock);
	for (n = 0; n < KVM_VSM_MAX_VTLS; n++) {
		xa_init(&part->perm[n].chunks);
		part->perm[n].dflt = KVM_VSM_PROT_ALL;
	}
	return 0;
}

void kvm_vsm_perm_free(struct kvm_vsm_partition *part)
{
	unsigned long idx;
	void *e;
	int n;

	for (n = 0; n < KVM_VSM_MAX_VTLS; n++) {
		xa_for_each(&part->perm[n].chunks, idx, e)
			if (!xa_is_value(e))
				perm_chunk_free(e);	/* no reader left: the partition is gone */
		xa_destroy(&part->perm[n].chunks);
	}
}

void kvm_vsm_perm_usage(struct kvm_vsm_partition *part, u64 *bytes, u64 *pages)
{
	int n;

	*bytes = 0;
	*pages = 0;
	mutex_lock(&part->perm_lock);
	for (n = 0; n < KVM_VSM_MAX_VTLS; n++) {
		*bytes += part->perm[n].bytes;
		*pages += part->perm[n].pages;
	}
	mutex_unlock(&part->perm_lock);
}

/* ---- transactions (writers, under part->perm_lock) ---- */

static unsigned int perm_entry_own(void *e)
{
	if (!e)
		return 0;
	if (xa_is_value(e))
		return xa_to_value(e) ? PERM_CHUNK_FRAMES : 0;
	return ((struct kvm_vsm_perm_chunk *)e)->own;
}

static u8 perm_eff(struct kvm_vsm_perm_txn *t, u8 code)
{
	return code ? perm_code_mask(code) : t->part->perm[t->vtl].dflt;
}

/* Going from @old to @new needs the VM's mappings redone (zap). */
static bool perm_tightens(struct kvm_vsm_perm_txn *t, u8 old, u8 new)
{
	u8 o = perm_eff(t, old), m = perm_eff(t, new);

	/* Lost a right, or read was denied (mmu.c may map those specially). */
	return (o & ~m) || !(o & KVM_VSM_PROT_READ);
}

void kvm_vsm_perm_txn_init(struct kvm_vsm_perm_txn *t,
			   struct kvm_vsm_partition *part, u8 vtl)
{
	lockdep_assert_held(&part->perm_lock);
	memset(t, 0, sizeof(*t));
	t->part = part;
	t->vtl = vtl;
	xa_init(&t->stage);
}

/* The stage of chunk @idx, made from the published one. NULL: no memory. */
static struct kvm_vsm_perm_stage *perm_stage(struct kvm_vsm_perm_txn *t,
					     unsigned long idx)
{
	struct kvm_vsm_perm_stage *s = xa_load(&t->stage, idx);
	void *e;

	if (s)
		return s;
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return NULL;
	e = xa_load(&t->part->perm[t->vtl].chunks, idx);
	if (!e || xa_is_value(e)) {
		s->whole = true;
		s->code[0] = e ? xa_to_value(e) : 0;
	} else {
		s->sparse = true;
	}
	if (xa_err(xa_store(&t->stage, idx, s, GFP_KERNEL_ACCOUNT))) {
		kfree(s);
		return NULL;
	}
	return s;
}

/* The published chunk under sparse stage @idx (perm_lock: it stays). */
static struct kvm_vsm_perm_chunk *perm_published(struct kvm_vsm_perm_txn *t,
						 unsigned long idx)
{
	return xa_load(&t->part->perm[t->vtl].chunks, idx);
}

/* A sparse stage in full: the published codes, then its changes. */
static void perm_desparse(struct kvm_vsm_perm_txn *t, unsigned long idx,
			  struct kvm_vsm_perm_stage *s)
{
	struct kvm_vsm_perm_chunk *c = perm_published(t, idx);
	unsigned int i;

	for (i = 0; i < PERM_CHUNK_FRAMES; i++)
		s->code[i] = perm_chunk_code(c, i);
	for (i = 0; i < s->nmods; i++)
		s->code[s->mod_idx[i]] = s->mod_code[i];
	s->sparse = false;
	s->nmods = 0;
}

/* Frame @i := @code in sparse stage @s (room checked by the caller). */
static void perm_sparse_set(struct kvm_vsm_perm_txn *t, unsigned long idx,
			    struct kvm_vsm_perm_stage *s, unsigned int i, u8 code)
{
	unsigned int m;

	for (m = 0; m < s->nmods && s->mod_idx[m] != i; m++)
		;
	t->tighten |= perm_tightens(t, m < s->nmods ? s->mod_code[m] :
				    perm_chunk_code(perm_published(t, idx), i),
				    code);
	if (m == s->nmods)
		s->nmods++;
	s->mod_idx[m] = i;
	s->mod_code[m] = code;
}

/*
 * Stage [@gfn, @gfn + @n) := @prot (a valid mask, or KVM_VSM_PROT_DEFAULT
 * to drop the frames' own masks). Nothing is visible until commit.
 */
int kvm_vsm_perm_txn_set(struct kvm_vsm_perm_txn *t, gfn_t gfn, u64 n, u8 prot)
{
	u8 code = prot == KVM_VSM_PROT_DEFAULT ? 0 : perm_mask_code(prot);
	gfn_t end = gfn + n;

	while (gfn < end) {
		unsigned long idx = gfn >> PERM_CHUNK_SHIFT;
		gfn_t cstart = (gfn_t)idx << PERM_CHUNK_SHIFT;
		gfn_t cend = min_t(gfn_t, end, cstart + PERM_CHUNK_FRAMES);
		struct kvm_vsm_perm_stage *s = perm_stage(t, idx);
		unsigned int i, old;

		if (!s)
			return -ENOMEM;
		if (s->sparse && s->nmods + (cend - gfn) <= PERM_MODS) {
			for (i = gfn - cstart; i < cend - cstart; i++)
				perm_sparse_set(t, idx, s, i, code);
			gfn = cend;
			continue;
		}
		if (s->sparse)
			perm_desparse(t, idx, s);
		if (gfn == cstart && cend == cstart + PERM_CHUNK_FRAMES) {
			/* The whole chunk: any code it held may be the old one. */
			u16 codes = s->whole ? BIT(s->code[0]) : 0;

			if (!s->whole)
				for (i = 0; i < PERM_CHUNK_FRAMES; i++)
					codes |= BIT(s->code[i]);
			for (old = 0; old < PERM_NR_CODES; old++)
				if (codes & BIT(old))
					t->tighten |= perm_tightens(t, old, code);
			s->whole = true;
			s->code[0] = code;
		} else {
			if (s->whole) {
				memset(s->code + 1, s->code[0], PERM_CHUNK_FRAMES - 1);
				s->whole = false;
			}
			for (i = gfn - cstart; i < cend - cstart; i++) {
				t->tighten |= perm_tightens(t, s->code[i], code);
				s->code[i] = code;
			}
		}
		gfn = cend;
		cond_resched();	/* a VMM's entries may span all of memory */
	}
	return 0;
}

/* Build what @s becomes: NULL, a value entry or a new chunk. */
static int perm_encode(struct kvm_vsm_perm_stage *s)
{
	struct kvm_vsm_perm_chunk *c;
	u8 kind;

	if (!s->whole) {
		kind = perm_codec_kind(s->code);
		if (!kind) {
			s->whole = true;
			s->code[0] = s->code[1];
		}
	}
	if (s->whole) {
		s->final = s->code[0] ? xa_mk_value(s->code[0]) : NULL;
		return 0;
	}
	c = kmem_cache_zalloc(perm_cache_of(kind), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	perm_codec_fill(c, kind, s->code);
	s->final = c;
	return 0;
}

/* Allocate everything commit needs; on error nothing has changed. */
int kvm_vsm_perm_txn_prepare(struct kvm_vsm_perm_txn *t)
{
	struct xarray *xa = &t->part->perm[t->vtl].chunks;
	struct kvm_vsm_perm_stage *s;
	unsigned long idx;
	int r;

	xa_for_each(&t->stage, idx, s) {
		if (s->sparse) {
			struct kvm_vsm_perm_chunk *c = perm_published(t, idx);
			unsigned int m;

			for (m = 0; m < s->nmods; m++)
				if (!perm_chunk_holds(c, s->mod_code[m]))
					break;
			if (m == s->nmods) {
				s->inplace = true;
				continue;
			}
			perm_desparse(t, idx, s);
		}
		r = perm_encode(s);
		if (r)
			return r;
		/* A slot to store into without allocating at commit. */
		if (s->final && !xa_load(xa, idx)) {
			r = xa_reserve(xa, idx, GFP_KERNEL_ACCOUNT);
			if (r)
				return r;
		}
	}
	t->prepared = true;
	return 0;
}

/* A sparse stage's changes, written into its published chunk. */
static void perm_commit_inplace(struct kvm_vsm_perm *pv, unsigned long idx,
				struct kvm_vsm_perm_stage *s)
{
	struct kvm_vsm_perm_chunk *c = xa_load(&pv->chunks, idx);
	unsigned int m, i;
	u8 old;

	for (m = 0; m < s->nmods; m++) {
		i = s->mod_idx[m];
		old = perm_chunk_code(c, i);
		perm_chunk_put(c, i, s->mod_code[m]);
		c->own += !!s->mod_code[m] - !!old;
		pv->pages += !!s->mod_code[m];
		pv->pages -= !!old;
	}
	if (c->own)
		return;
	/* Every frame back to the default: no chunk needed. */
	xa_erase(&pv->chunks, idx);
	pv->nchunks--;
	pv->bytes -= perm_chunk_bytes(c);
	perm_chunk_free_deferred(c);
}

/* Publish the staged chunks; cannot fail. The old ones go after RCU. */
void kvm_vsm_perm_txn_commit(struct kvm_vsm_perm_txn *t)
{
	struct kvm_vsm_perm *pv = &t->part->perm[t->vtl];
	struct kvm_vsm_perm_stage *s;
	unsigned long idx;
	void *old;

	WARN_ON_ONCE(!t->prepared);
	/* Readers that skip inactive VTLs must see the new chunks. */
	WRITE_ONCE(pv->active, true);
	smp_wmb();	/* active before the chunks; pairs with the zap's locks */
	xa_for_each(&t->stage, idx, s) {
		void *new = s->final;

		if (s->inplace) {
			perm_commit_inplace(pv, idx, s);
			continue;
		}
		if (new)
			old = xa_store(&pv->chunks, idx, new, GFP_NOWAIT);
		else
			old = xa_erase(&pv->chunks, idx);
		if (WARN_ON_ONCE(xa_is_err(old))) {
			/* Cannot happen: the slot was reserved in prepare. */
			if (!xa_is_value(new))
				perm_chunk_free(new);
			s->final = NULL;
			continue;
		}
		s->final = NULL;	/* published: no longer ours to free */
		pv->pages += perm_entry_own(new);
		pv->pages -= perm_entry_own(old);
		if (new && !xa_is_value(new)) {
			pv->nchunks++;
			pv->bytes += perm_chunk_bytes(new);
		}
		if (old && !xa_is_value(old)) {
			pv->nchunks--;
			pv->bytes -= perm_chunk_bytes(old);
			perm_chunk_free_deferred(old);
		}
		if (new && xa_is_value(new))
			pv->nvalues++;
		if (old && xa_is_value(old))
			pv->nvalues--;
	}
	perm_update_active(pv);
}

/* Free the staging (and anything prepared but not committed). */
void kvm_vsm_perm_txn_end(struct kvm_vsm_perm_txn *t)
{
	struct xarray *xa = &t->part->perm[t->vtl].chunks;
	struct kvm_vsm_perm_stage *s;
	unsigned long idx;

	xa_for_each(&t->stage, idx, s) {
		if (s->final && !xa_is_value(s->final))
			perm_chunk_free(s->final);
		/* An unused reservation (aborted): drop it. */
		xa_release(xa, idx);
		kfree(s);
	}
	xa_destroy(&t->stage);
}
