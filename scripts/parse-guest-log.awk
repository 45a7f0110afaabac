# Turn one guest's serial log into results: one "ok"/"not ok" line per
# test case, plus the rig's own checks (every test binary ran to the end,
# the guest finished, its kernel log is free of splats). Variables:
#   kernel=<abi>  tests="<binaries expected>"
# Last line: "SUMMARY <pass> <fail> <skip> <test-seconds> <boot-seconds>".
function result(ok, name) {
	if (ok) { pass++; print "ok - " kernel ": " name }
	else    { fail++; print "not ok - " kernel ": " name }
}
BEGIN { n = split(tests, want, " ") }
{ sub(/\r$/, "") }
/^KVMVSM: booted / { booted = 1; boot_s = $NF; sub(/s$/, "", boot_s) }
/^KVMVSM: begin / { cur = $3; began[cur] = 1; planned[cur] = -1; seen[cur] = 0; next }
/^KVMVSM: end / {
	ended[$3] = 1; rc = $4; sub(/rc=/, "", rc); rcs[$3] = rc
	st = $5; sub(/start=/, "", st); en = $6; sub(/end=/, "", en)
	test_s += en - st; cur = ""; next
}
/^KVMVSM: dmesg-begin/ { indmesg = 1; next }
/^KVMVSM: dmesg-end/ { indmesg = 0; dmesg_done = 1; next }
/^KVMVSM: done/ { done = 1; next }
# Splats anywhere on the console (a panic never reaches the dmesg dump).
/(BUG:|WARNING:|Oops|general protection|INFO: .*lockdep|possible circular locking|refcount_t:|scheduling while atomic|KASAN|Kernel panic|kernel BUG|Call Trace:|UBSAN:)/ {
	if (!(($0 in splat_seen))) { splat_seen[$0] = 1; splats = splats "\n#   " $0 }
	nsplat++
}
# The harness's own lines for the running case, shown if it fails.
cur != "" && /^# +RUN / { detail = ""; next }
cur != "" && /^(#|\[) / { detail = detail "\n#   " $0 }
cur != "" && /^1\.\.[0-9]+$/ { planned[cur] = substr($0, 4) + 0; next }
cur != "" && /^(not )?ok [0-9]+ / {
	seen[cur]++
	name = $0; sub(/^(not )?ok [0-9]+ /, "", name)
	if ($0 ~ /# SKIP/) { skip++; print "ok - " kernel ": " cur ": " name; next }
	result($0 ~ /^ok /, cur ": " name (($0 ~ /^ok /) ? "" : detail))
	detail = ""
}
END {
	result(booted && done, "guest booted and finished (no hang, no panic)")
	for (i = 1; i <= n; i++) {
		t = want[i]
		if (!(t in began)) { result(0, t ": never started"); continue }
		if (!(t in ended)) { result(0, t ": did not finish (crash or hang)"); continue }
		if (rcs[t] != 0 && rcs[t] != 4) result(0, t ": exit status " rcs[t])
		if (planned[t] >= 0 && seen[t] != planned[t])
			result(0, t ": planned " planned[t] " results, saw " seen[t])
	}
	result(dmesg_done && nsplat == 0, "guest kernel log clean" (nsplat ? ":" splats : ""))
	printf "SUMMARY %d %d %d %.1f %s\n", pass, fail, skip, test_s, boot_s
}
