/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the in-guest tests: module control through libkmod,
 * the kernel log, and /dev/kvm-vsm. Tests include this after the kselftest
 * harness (and, for guest code, the KVM selftests library).
 */
#ifndef VSM_TEST_H
#define VSM_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libkmod.h>

#include <linux/kvm_vsm.h>

#define VSM_DEV		"/dev/kvm-vsm"
#define VSM_MODNAME	"kvm_vsm"

/* Load by name (modules.dep lookup, dependencies, softdeps): 0 or -errno. */
static inline int vsm_mod_load(const char *name)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	struct kmod_list *list = NULL, *it;
	int r = -ENOENT;

	if (!ctx)
		return -ENOMEM;
	if (kmod_module_new_from_lookup(ctx, name, &list) < 0 || !list)
		goto out;
	kmod_list_foreach(it, list) {
		struct kmod_module *mod = kmod_module_get_module(it);

		r = kmod_module_probe_insert_module(mod, KMOD_PROBE_IGNORE_LOADED,
						    NULL, NULL, NULL, NULL);
		kmod_module_unref(mod);
		if (r)
			break;
	}
	kmod_module_unref_list(list);
out:
	kmod_unref(ctx);
	return r > 0 ? -EPERM : r;
}

static inline int vsm_mod_unload(const char *name)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	struct kmod_module *mod;
	int r;

	if (!ctx)
		return -ENOMEM;
	r = kmod_module_new_from_name(ctx, name, &mod);
	if (!r) {
		r = kmod_module_remove_module(mod, 0);
		kmod_module_unref(mod);
	}
	kmod_unref(ctx);
	return r;
}

static inline int vsm_path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static inline int vsm_mod_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return vsm_path_exists(path);
}

/* The first number in file @path, or -1. */
static inline long vsm_read_long(const char *path)
{
	long v = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static inline long vsm_mod_refcnt(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	return vsm_read_long(path);
}

/* CLOCK_MONOTONIC in nanoseconds (benchmarks, and liveness checks). */
static inline uint64_t vsm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline double vsm_min_d(double a, double b)
{
	return a < b ? a : b;
}

/* Lines of the kernel log (all of it, from boot) that contain @needle. */
static inline int vsm_kmsg_count(const char *needle)
{
	char rec[8192];
	int fd, n = 0;
	ssize_t len;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0) {
			if (errno == EPIPE)	/* overwritten record: go on */
				continue;
			break;
		}
		rec[len] = 0;
		if (strstr(rec, needle))
			n++;
	}
	close(fd);
	return n;
}

/* The active KVM vendor module. */
static inline const char *vsm_vendor_module(void)
{
	if (vsm_mod_loaded("kvm_amd"))
		return "kvm_amd";
	if (vsm_mod_loaded("kvm_intel"))
		return "kvm_intel";
	return NULL;
}

/*
 * Live KVM VMs: KVM keeps a debugfs directory "<pid>-<fd>" per struct kvm
 * from creation to kvm_destroy_vm(), whoever holds the last reference.
 */
static inline long vsm_live_vms(void)
{
	struct dirent *d;
	long n = 0;
	int pid, fd;
	DIR *dir = opendir("/sys/kernel/debug/kvm");

	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += sscanf(d->d_name, "%d-%d", &pid, &fd) == 2;
	closedir(dir);
	return n;
}

/* Make sure kvm-vsm is loaded (tests may run in any order). */
static inline int vsm_ensure_loaded(void)
{
	return vsm_mod_loaded(VSM_MODNAME) ? 0 : vsm_mod_load("kvm-vsm");
}

#endif /* VSM_TEST_H */
