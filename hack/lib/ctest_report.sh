# shellcheck shell=bash
# Sourced by the sanitizer gates (hack/asan.sh, hack/tsan.sh).
#   hami::ctest_report GATE RC LOG
# Reads LOG (the output of a ctest run that exited RC) and prints "<GATE> FAILURE: <test>" for each
# failing test (one failure naming the log when ctest failed without a test failing), then
# "<gate>: N of M tests clean". Returns RC's verdict: 0 only when ctest passed.
hami::ctest_report() {
  local gate=$1 rc=$2 log=$3 failed total
  read -r failed total < <(
    sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\1 \2/p' "$log" |
      tail -1)
  failed=${failed:-0} total=${total:-0}
  sed -n "s/^[[:space:]]*[0-9]* - \([^ ]*\) (.*/${gate^^} FAILURE: \1/p" "$log"
  if ((rc != 0 && failed == 0)); then
    echo "${gate^^} FAILURE: ctest exited $rc (log $log)"
    failed=1
  fi
  echo "$gate: $((total - failed)) of $total tests clean"
  ((rc == 0))
}
