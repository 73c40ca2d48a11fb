#!/usr/bin/env bash
# hami-scheduler's and hami's command lines as upstream's chart and users give them: upstream's
# vendor flags accepted, a bogus GPU policy or vendor flag value refused at startup with the valid
# values named (before any cluster is contacted).
set -euo pipefail
SCHED=$1
HAMI=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# An unusable kubeconfig: startup must get past flag parsing and stop there.
if "$SCHED" --kubeconfig "$TMP/none" --enable-ascend --enable-iluvatar=false \
    --cambricon-mlu-name cambricon.com/vmlu --dcu-name hygon.com/dcunum --metax-name metax-tech.com/gpu \
    --kunlun-name kunlunxin.com/xpu --enflame-gcu-resource-name enflame.com/gcu -v=4 2> "$TMP/ok.txt"; then
  fail "started without a kubeconfig"
fi
grep -q "kubernetes client config" "$TMP/ok.txt" || fail "vendor flags not accepted: $(cat "$TMP/ok.txt")"

if "$SCHED" --kubeconfig "$TMP/none" --gpu-scheduler-policy=bogus 2> "$TMP/policy.txt"; then
  fail "accepted --gpu-scheduler-policy=bogus"
fi
grep -q 'unknown word \\"bogus\\" (valid: binpack, spread, topology-aware, mutex, numa' "$TMP/policy.txt" \
  || fail "policy error does not name the valid values: $(cat "$TMP/policy.txt")"
"$SCHED" --kubeconfig "$TMP/none" --gpu-scheduler-policy=binpack,numa 2> "$TMP/chain.txt" || true
grep -q "kubernetes client config" "$TMP/chain.txt" || fail "a valid chain was refused: $(cat "$TMP/chain.txt")"

if "$SCHED" --kubeconfig "$TMP/none" --enable-ascend=maybe 2> "$TMP/bool.txt"; then
  fail "accepted --enable-ascend=maybe"
fi
grep -q 'flag --enable-ascend: \\"maybe\\" is not a boolean' "$TMP/bool.txt" \
  || fail "boolean error unclear: $(cat "$TMP/bool.txt")"

# Client certificates need TLS; the connection cap must be positive; both checked before any
# cluster is contacted.
if "$SCHED" --kubeconfig "$TMP/none" --extender-client-ca-file /dev/null 2> "$TMP/ca.txt"; then
  fail "accepted a client CA without TLS"
fi
grep -q "client certificates need TLS" "$TMP/ca.txt" || fail "client CA error unclear: $(cat "$TMP/ca.txt")"
if "$SCHED" --kubeconfig "$TMP/none" --max-connections 0 2> "$TMP/conns.txt"; then
  fail "accepted --max-connections 0"
fi
grep -q "max-connections must be at least 1" "$TMP/conns.txt" || fail "cap error unclear"
"$SCHED" --kubeconfig "$TMP/none" --cert_file a --key_file b --webhook-client-ca-file c \
  --webhook-client-names kube-apiserver --extender-client-ca-file c --extender-client-names x,y \
  2> "$TMP/auth.txt" || true
grep -q "kubernetes client config" "$TMP/auth.txt" || fail "client auth flags refused: $(cat "$TMP/auth.txt")"

if "$SCHED" --kubeconfig "$TMP/none" --enable-nothing 2> /dev/null; then
  fail "accepted an unknown flag"
fi

# Gated vendors: off by default, on with their flag, in every tool that builds the registry.
[[ $("$HAMI" resources | grep -c '^huawei.com/') == 0 ]] || fail "Ascend on without --enable-ascend"
[[ $("$HAMI" resources --enable-ascend | grep -c '^huawei.com/') -gt 0 ]] || fail "--enable-ascend ignored"
[[ $("$HAMI" resources --enable-iluvatar=true | grep -c '^iluvatar.ai/') -gt 0 ]] || fail "--enable-iluvatar=true ignored"
if "$HAMI" simulate --nodes /dev/null --pods /dev/null --gpu-policy bogus 2> "$TMP/sim.txt"; then
  fail "hami simulate accepted --gpu-policy bogus"
fi
grep -q "valid: binpack" "$TMP/sim.txt" || fail "hami simulate policy error unclear"
echo "scheduler flags: all checks passed"
