// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of perm.c's chunk encoding (src/perm_codec.h), built and run
 * on the build machine by `make unit`: every valid mask has its own code
 * and comes back; random regions with 1 to 10 distinct codes get the
 * smallest encoding (none, 2-bit palette, 4-bit codes) and every frame
 * decodes to what was put in; frames changed in place to a code the
 * chunk holds read back changed, their neighbours unchanged; the palette
 * form stays within 3 bits per frame.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kvm_vsm.h>

typedef __u8 u8;
typedef __u16 u16;
#define BIT(n)		(1UL << (n))
#define READ_ONCE(x)	(x)	/* one thread here */
#define WRITE_ONCE(x, v)	((x) = (v))
#define hweight16(x)	__builtin_popcount((u16)(x))
struct rcu_head {
	void *next;
	void (*func)(struct rcu_head *head);
};

#include "perm_codec.h"

static int failed, n;

static void check(int ok, const char *what)
{
	n++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", n, what);
	failed |= !ok;
}

static int masks_ok(void)
{
	static const u8 valid[] = {
		0, 0x1, 0x3, 0x5, 0x9, 0x7, 0xb, 0xd, 0xf,
	};
	u16 seen = 0;
	unsigned int i;

	for (i = 0; i < sizeof(valid); i++) {
		u8 c = perm_mask_code(valid[i]);

		if (c < 1 || c >= PERM_NR_CODES || (seen & BIT(c)) ||
		    perm_code_mask(c) != valid[i])
			return 0;
		seen |= BIT(c);
	}
	return 1;
}

/* @k distinct codes (0..9) over 512 frames, each used at least once. */
static void random_region(u8 *code, unsigned int k)
{
	u8 pick[PERM_NR_CODES], t;
	unsigned int i, j;

	for (i = 0; i < PERM_NR_CODES; i++)
		pick[i] = i;
	for (i = 0; i < PERM_NR_CODES; i++) {
		j = i + random() % (PERM_NR_CODES - i);
		t = pick[i];
		pick[i] = pick[j];
		pick[j] = t;
	}
	for (i = 0; i < PERM_CHUNK_FRAMES; i++)
		code[i] = i < k ? pick[i] : pick[random() % k];
	for (i = 0; i < PERM_CHUNK_FRAMES; i++) {	/* shuffle */
		j = random() % PERM_CHUNK_FRAMES;
		t = code[i];
		code[i] = code[j];
		code[j] = t;
	}
}

static int regions_ok(unsigned int k, unsigned int rounds)
{
	u8 code[PERM_CHUNK_FRAMES], want;
	struct kvm_vsm_perm_chunk *c;
	unsigned int r, i, own;
	u8 kind;

	for (r = 0; r < rounds; r++) {
		random_region(code, k);
		kind = perm_codec_kind(code);
		want = k == 1 ? 0 : k <= 4 ? PERM_PAL2 : PERM_NIB4;
		if (kind != want)
			return 0;
		if (!kind)
			continue;
		c = calloc(1, perm_chunk_size(kind));
		if (!c)
			return 0;
		perm_codec_fill(c, kind, code);
		for (i = 0, own = 0; i < PERM_CHUNK_FRAMES; i++) {
			own += !!code[i];
			if (perm_chunk_code(c, i) != code[i]) {
				free(c);
				return 0;
			}
		}
		if (c->own != own) {
			free(c);
			return 0;
		}
		free(c);
	}
	return 1;
}

/* Encoded regions changed in place, frame by frame, against a copy. */
static int inplace_ok(unsigned int k, unsigned int rounds)
{
	u8 code[PERM_CHUNK_FRAMES], to;
	struct kvm_vsm_perm_chunk *c;
	unsigned int r, i, m, held;

	for (r = 0; r < rounds; r++) {
		random_region(code, k);
		c = calloc(1, perm_chunk_size(perm_codec_kind(code)));
		if (!c)
			return 0;
		perm_codec_fill(c, perm_codec_kind(code), code);
		for (m = 0, held = 0; m < 64; m++) {
			i = random() % PERM_CHUNK_FRAMES;
			to = random() % PERM_NR_CODES;
			if (!perm_chunk_holds(c, to))
				continue;
			held++;
			perm_chunk_put(c, i, to);
			code[i] = to;
		}
		for (i = 0; i < PERM_CHUNK_FRAMES; i++)
			if (perm_chunk_code(c, i) != code[i] || !held) {
				free(c);
				return 0;
			}
		free(c);
	}
	return 1;
}

int main(void)
{
	char what[80];
	unsigned int k;

	srandom(10);
	printf("TAP version 13\n1..%d\n", 3 + PERM_NR_CODES + (PERM_NR_CODES - 1));
	check(masks_ok(), "the 9 valid masks: distinct codes 1..9, round trip");
	check(perm_code_mask(0) == 0 && perm_mask_code(0) == 1,
	      "code 0 is no own mask; no access is code 1");
	for (k = 1; k <= PERM_NR_CODES; k++) {
		snprintf(what, sizeof(what),
			 "%u distinct codes: smallest encoding, every frame back", k);
		check(regions_ok(k, 2000), what);
	}
	for (k = 2; k <= PERM_NR_CODES; k++) {
		snprintf(what, sizeof(what),
			 "%u distinct codes: changes in place read back", k);
		check(inplace_ok(k, 500), what);
	}
	check(perm_chunk_size(PERM_PAL2) * 8 <= 3 * PERM_CHUNK_FRAMES,
	      "palette chunk: at most 3 bits per frame");
	return failed;
}
