#!/usr/bin/env bash
# The --memory default is half of RAM or of the cgroup's limit, whichever is
# lower, and --memory N% a share of the same: through a fake cgroup tree
# (NGC_TEST_CGROUP_ROOT), and, as root with a writable memory controller
# (v2, or v1), in a real memory-limited cgroup.
# ctest: labels=quick cost=10
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$HERE/../.." && pwd)
SAMPLE=$SRC/datasets/sample-1gram.tsv
RAM=$(($(getconf _PHYS_PAGES) * $(getconf PAGESIZE)))
min() { [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }

# table_bytes ARGS...: the reduce table's size the run reports under -v.
table_bytes() {
    "$NGC_BIN" -v --no-progress "$@" "$SAMPLE" 2>&1 > /dev/null |
        sed -n 's/.*reduce table \([0-9]*\) bytes.*/\1/p'
}

F=$WORK/cg
mkdir -p "$F/user.slice/job"
echo "0::/user.slice/job" > "$F/self-cgroup"
echo max > "$F/user.slice/job/memory.max"
echo 1073741824 > "$F/user.slice/memory.max"
want=$(($(min "$RAM" 1073741824) / 2))
got=$(NGC_TEST_CGROUP_ROOT=$F table_bytes)
check "v2 parent limit 1G: default $got, want $want" test "$got" = "$want"
got=$(NGC_TEST_CGROUP_ROOT=$F table_bytes --memory 25%)
want=$(($(min "$RAM" 1073741824) / 4))
check "v2 --memory 25%: $got, want $want" test "$got" = "$want"
check "same output in the cgroup" sh -c "NGC_TEST_CGROUP_ROOT='$F' '$NGC_BIN' --no-progress --top 3 '$SAMPLE' | grep -q '^the	'"

rm -rf "$F" && mkdir -p "$F/memory/lxc/c1"
printf '4:memory:/lxc/c1\n0::/\n' > "$F/self-cgroup"
echo 805306368 > "$F/memory/lxc/c1/memory.limit_in_bytes"
got=$(NGC_TEST_CGROUP_ROOT=$F table_bytes)
want=$(($(min "$RAM" 805306368) / 2))
check "v1 limit 768M: default $got, want $want" test "$got" = "$want"

expect_exit "--memory 0%" 2 "invalid value '0%' for --memory: a percentage must be 1% to 100%" \
    --memory 0% "$SAMPLE"
echo 20971520 > "$F/memory/lxc/c1/memory.limit_in_bytes"
NGC_TEST_CGROUP_ROOT=$F expect_exit "--memory 10% of 20M" 2 \
    "invalid value '10%' for --memory: that is .* here, less than the least \(16M\)" \
    --memory 10% "$SAMPLE"

# A real cgroup with a 512M limit, when this runs as root beside a writable
# memory controller.
real=""
if [ "$(id -u)" -eq 0 ]; then
    if grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2> /dev/null &&
       mkdir "/sys/fs/cgroup/ngc-test-$$" 2> /dev/null; then
        real=/sys/fs/cgroup/ngc-test-$$
        echo 536870912 > "$real/memory.max"
    elif [ -w /sys/fs/cgroup/memory ] && mkdir "/sys/fs/cgroup/memory/ngc-test-$$" 2> /dev/null; then
        real=/sys/fs/cgroup/memory/ngc-test-$$
        echo 536870912 > "$real/memory.limit_in_bytes"
    fi
fi
if [ -n "$real" ]; then
    got=$(sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$real" \
          "$NGC_BIN" -v --no-progress "$SAMPLE" 2>&1 > /dev/null |
          sed -n 's/.*reduce table \([0-9]*\) bytes.*/\1/p')
    want=$(($(min "$RAM" 536870912) / 2))
    check "real cgroup $real with 512M: default $got, want $want" test "$got" = "$want"
    rmdir "$real" 2> /dev/null || { sleep 1; rmdir "$real"; }
else
    echo "note: no writable memory cgroup here (not root, or no memory controller): fake tree only"
fi
finish
