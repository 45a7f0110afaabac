#!/bin/sh
# Static checks: sparse (C=2, W=1) against every kernel under test, and
# checkpatch.pl --strict from Debian's linux-source, on all our C sources.
# Prints one "ok"/"not ok" line per check; exits non-zero if one failed.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
fail=0

report() {	# report <status> <name> [log]
	if [ "$1" = 0 ]; then
		echo "ok - lint: $2"
	else
		echo "not ok - lint: $2"
		[ -n "${3:-}" ] && sed 's/^/#   /' "$3"
		fail=1
	fi
}

log=$(mktemp)
trap 'rm -f "$log" "$log.sparse"' EXIT

# Each kernel in the root it is built in (its compiler, its sparse).
scripts/kernels.sh list | while read -r abi root rel; do
	dir=$TOP/build/lint/$abi
	scripts/stage-module.sh "$dir"
	scripts/kernels.sh headers "$abi" "$root" "$rel" > "$log" 2>&1 < /dev/null &&
	scripts/kernels.sh in-root "$root" make -s -C "/lib/modules/$abi/build" \
		M="$dir" W=1 C=2 CHECK=sparse modules > "$log" 2>&1 < /dev/null
	st=$?
	# sparse reports but does not fail the build: any diagnostic fails here.
	grep -E '(warning|error):' "$log" | grep -v 'Skipping BTF' > /dev/null && st=1
	report "$st" "sparse $abi" "$log"
done > "$log.sparse"
cat "$log.sparse"
grep -q '^not ok' "$log.sparse" && fail=1

# checkpatch from the newest source tree (its rules are the current ones).
src=$(scripts/linux-source.sh 6.12)
# Tracked and new (not ignored) files alike: lint what will be committed.
files=$(git ls-files --cached --others --exclude-standard \
	'src/*.[ch]' 'include/*.h' 'tools/*.[ch]' 'tests/*.[ch]')
ignore=$(sed -n 's/^ignore: *//p' scripts/checkpatch.ignore | paste -sd, -)
checkpatch() {	# checkpatch <ignore> <file>...
	ign=$1
	shift
	perl "$src/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
		--ignore "$ign" -f "$@" >> "$log" 2>&1
}
st=0
: > "$log"
plain=""
for f in $files; do
	# Per-file exceptions (checkpatch.ignore "ignore-in <file>:").
	extra=$(sed -n "s|^ignore-in $f: *||p" scripts/checkpatch.ignore | paste -sd, -)
	if [ -n "$extra" ]; then
		checkpatch "$ignore,$extra" "$f" || st=1
	else
		plain="$plain $f"
	fi
done
checkpatch "$ignore" $plain || st=1
report $st "checkpatch --strict" "$log"

# The ioctl magic must stay unassigned in the kernel's registry.
magic=$(sed -n 's/^#define KVMVSMIO[[:space:]]*\(0x[0-9A-Fa-f]*\).*/\1/p' include/uapi/linux/kvm_vsm.h)
st=0
for series in 6.1 6.12; do
	reg=$(scripts/linux-source.sh "$series")/Documentation/userspace-api/ioctl/ioctl-number.rst
	grep -qi "^$magic[[:space:]]" "$reg" && st=1
done
report $st "ioctl magic $magic unassigned in ioctl-number.rst"

exit $fail
