// SPDX-License-Identifier: GPL-2.0
/* /dev/kvm-vsm: the node, the system ioctls and their errors. */
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "kselftest_harness.h"
#include "vsm_test.h"

#define MISC_MAJOR_NR	10

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	ASSERT_EQ(0, vsm_ensure_loaded());
	self->fd = open(VSM_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", VSM_DEV, strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

/* Mode 0660 as /dev/kvm; group kvm is applied by the packaged udev rule. */
TEST(node_mode_and_owner)
{
	struct stat st;

	ASSERT_EQ(0, vsm_ensure_loaded());
	ASSERT_EQ(0, stat(VSM_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0660, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(MISC_MAJOR_NR, major(st.st_rdev));
}

TEST_F(dev, api_version)
{
	EXPECT_EQ(KVM_VSM_API_VERSION, ioctl(self->fd, KVM_VSM_GET_API_VERSION, 0));
}

/* As KVM_GET_API_VERSION, a non-zero argument is refused. */
TEST_F(dev, api_version_nonzero_arg)
{
	EXPECT_EQ(-1, ioctl(self->fd, KVM_VSM_GET_API_VERSION, 1));
	EXPECT_EQ(EINVAL, errno);
}

static int cpu_flag(const char *flag)
{
	char line[4096], pat[32];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int found = 0;

	snprintf(pat, sizeof(pat), " %s ", flag);
	while (f && !found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		line[strcspn(line, "\n")] = ' ';
		found = !!strstr(line, pat);
	}
	if (f)
		fclose(f);
	return found;
}

TEST_F(dev, check_extension_vendor)
{
	int want = cpu_flag("svm") ? KVM_VSM_VENDOR_AMD :
		   cpu_flag("vmx") ? KVM_VSM_VENDOR_INTEL : 0;

	ASSERT_NE(0, want);
	EXPECT_EQ(want, ioctl(self->fd, KVM_VSM_CHECK_EXTENSION, KVM_VSM_CAP_VENDOR));
}

/* Unknown extensions answer 0, never an error: newer VMMs probe freely. */
TEST_F(dev, check_extension_unknown)
{
	EXPECT_EQ(0, ioctl(self->fd, KVM_VSM_CHECK_EXTENSION, 0));
	EXPECT_EQ(0, ioctl(self->fd, KVM_VSM_CHECK_EXTENSION, 0x7fffffff));
	EXPECT_EQ(0, ioctl(self->fd, KVM_VSM_CHECK_EXTENSION, ~0UL));
}

TEST_F(dev, unknown_ioctls_enotty)
{
	const unsigned long cmds[] = {
		_IO(KVMVSMIO, 0xff),
		_IOW(KVMVSMIO, 0x00, int),	/* right nr, wrong dir/size */
		_IOR(KVMVSMIO, 0x01, __u64),
		_IO(0xAE, 0x00),		/* KVM_GET_API_VERSION */
		TCGETS,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], 0)) TH_LOG("cmd %#lx", cmds[i]);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#lx", cmds[i]);
	}
}

/* The device is not a file: no read, no write, no seek. */
TEST_F(dev, no_read_write_seek)
{
	char c;

	EXPECT_EQ(-1, read(self->fd, &c, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(self->fd, &c, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->fd, 1, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

TEST_HARNESS_MAIN
