// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vsm-load: load or unload kvm-vsm (or any module) through libkmod,
 * the library modprobe itself is built on, so module lookup, dependencies
 * and softdeps resolve exactly as `modprobe` would resolve them.
 *
 *   kvm-vsm-load [-r] [-d moddir] [name|path.ko]...
 *
 * A name is looked up in modules.dep/aliases (depmod); a path is inserted
 * as is. Exit status: 0 on success, else 1 with one line on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libkmod.h>

static int load_one(struct kmod_ctx *ctx, const char *what)
{
	struct kmod_list *list = NULL, *it;
	struct kmod_module *mod;
	int r;

	if (strchr(what, '/')) {
		r = kmod_module_new_from_path(ctx, what, &mod);
		if (r < 0)
			goto err;
		r = kmod_module_insert_module(mod, 0, NULL);
		kmod_module_unref(mod);
		goto err;
	}

	r = kmod_module_new_from_lookup(ctx, what, &list);
	if (r < 0)
		goto err;
	if (!list) {
		r = -ENOENT;
		goto err;
	}
	kmod_list_foreach(it, list) {
		mod = kmod_module_get_module(it);
		r = kmod_module_probe_insert_module(mod, KMOD_PROBE_IGNORE_LOADED,
						    NULL, NULL, NULL, NULL);
		kmod_module_unref(mod);
		if (r)
			break;
	}
	kmod_module_unref_list(list);
err:
	if (r > 0)	/* blacklisted or similar: libkmod's positive codes */
		r = -EPERM;
	if (r < 0)
		fprintf(stderr, "kvm-vsm-load: %s: %s\n", what, strerror(-r));
	return r;
}

static int unload_one(struct kmod_ctx *ctx, const char *what)
{
	struct kmod_module *mod;
	int r;

	if (strchr(what, '/'))
		r = kmod_module_new_from_path(ctx, what, &mod);
	else
		r = kmod_module_new_from_name(ctx, what, &mod);
	if (r < 0)
		goto out;
	r = kmod_module_remove_module(mod, 0);
	kmod_module_unref(mod);
out:
	if (r < 0)
		fprintf(stderr, "kvm-vsm-load: remove %s: %s\n", what,
			strerror(-r));
	return r;
}

int main(int argc, char **argv)
{
	const char *moddir = NULL;
	struct kmod_ctx *ctx;
	int remove = 0, opt, i, r = 0;

	while ((opt = getopt(argc, argv, "rd:h")) != -1) {
		switch (opt) {
		case 'r':
			remove = 1;
			break;
		case 'd':
			moddir = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-r] [-d moddir] [name|path.ko]...\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}

	ctx = kmod_new(moddir, NULL);
	if (!ctx) {
		fprintf(stderr, "kvm-vsm-load: cannot create libkmod context\n");
		return 1;
	}

	if (optind == argc)
		r = remove ? unload_one(ctx, "kvm_vsm") : load_one(ctx, "kvm-vsm");
	for (i = optind; i < argc && !r; i++)
		r = remove ? unload_one(ctx, argv[i]) : load_one(ctx, argv[i]);

	kmod_unref(ctx);
	return r ? 1 : 0;
}
