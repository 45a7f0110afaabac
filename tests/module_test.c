// SPDX-License-Identifier: GPL-2.0
/*
 * Module life cycle, driven through libkmod as modprobe does: load by
 * name (depmod'ed), unload, 100 cycles without a trace, and a clear
 * refusal when no KVM vendor module is active.
 */
#include "kselftest_harness.h"
#include "vsm_test.h"

/* Symbols of kvm_vsm still listed in /proc/kallsyms. */
static int kallsyms_count(const char *tag)
{
	char line[512];
	FILE *f = fopen("/proc/kallsyms", "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, tag);
	fclose(f);
	return n;
}

/* Cycles of xz-compressed, signature-checked loads take a while under TCG. */
#define MODULE_TEST_TIMEOUT	600

FIXTURE(mod) {};
FIXTURE_SETUP(mod) {}
FIXTURE_TEARDOWN(mod) {}

TEST_F_TIMEOUT(mod, load_by_name, MODULE_TEST_TIMEOUT)
{
	char version[64] = "";
	FILE *f;

	if (vsm_mod_loaded(VSM_MODNAME))
		ASSERT_EQ(0, vsm_mod_unload(VSM_MODNAME));
	ASSERT_FALSE(vsm_path_exists(VSM_DEV));

	ASSERT_EQ(0, vsm_mod_load("kvm-vsm"));
	EXPECT_TRUE(vsm_mod_loaded(VSM_MODNAME));
	EXPECT_TRUE(vsm_path_exists(VSM_DEV));

	f = fopen("/sys/module/" VSM_MODNAME "/version", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(version, sizeof(version), f));
	fclose(f);
	version[strcspn(version, "\n")] = 0;
	EXPECT_STREQ(VSM_VERSION, version);
}

TEST_F_TIMEOUT(mod, load_unload_100, MODULE_TEST_TIMEOUT)
{
	int warn0 = vsm_kmsg_count("kvm-vsm");
	long kvm_ref0;
	int i;

	ASSERT_EQ(0, vsm_ensure_loaded());
	ASSERT_EQ(0, vsm_mod_unload(VSM_MODNAME));
	kvm_ref0 = vsm_mod_refcnt("kvm");

	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, vsm_mod_load("kvm-vsm")) TH_LOG("cycle %d", i);
		ASSERT_TRUE(vsm_path_exists(VSM_DEV));
		ASSERT_EQ(0, vsm_mod_unload(VSM_MODNAME)) TH_LOG("cycle %d", i);
		ASSERT_FALSE(vsm_mod_loaded(VSM_MODNAME));
		ASSERT_FALSE(vsm_path_exists(VSM_DEV));
	}

	EXPECT_EQ(kvm_ref0, vsm_mod_refcnt("kvm"));
	EXPECT_EQ(0, kallsyms_count("[kvm_vsm]"));
	/* A clean load or unload says nothing in the kernel log. */
	EXPECT_EQ(warn0, vsm_kmsg_count("kvm-vsm"));
	ASSERT_EQ(0, vsm_mod_load("kvm-vsm"));
}

/* Without kvm_amd/kvm_intel: -ENODEV, one log line, no device left. */
TEST_F_TIMEOUT(mod, refuse_without_vendor, MODULE_TEST_TIMEOUT)
{
	const char *msg = "no KVM vendor module is active";
	const char *vendor = vsm_vendor_module();
	int lines0, r;

	ASSERT_NE(NULL, vendor);
	if (vsm_mod_loaded(VSM_MODNAME))
		ASSERT_EQ(0, vsm_mod_unload(VSM_MODNAME));
	r = vsm_mod_unload(vendor);
	if (r == -EBUSY)
		SKIP(return, "%s is in use", vendor);
	ASSERT_EQ(0, r);

	lines0 = vsm_kmsg_count(msg);
	EXPECT_EQ(-ENODEV, vsm_mod_load("kvm-vsm"));
	EXPECT_EQ(lines0 + 1, vsm_kmsg_count(msg));
	EXPECT_FALSE(vsm_mod_loaded(VSM_MODNAME));
	EXPECT_FALSE(vsm_path_exists(VSM_DEV));

	/* And the same module loads fine once the vendor is back. */
	ASSERT_EQ(0, vsm_mod_load(vendor));
	ASSERT_EQ(0, vsm_mod_load("kvm-vsm"));
	EXPECT_TRUE(vsm_path_exists(VSM_DEV));
}

TEST_HARNESS_MAIN
