# shellcheck shell=bash
# Certificates for the local control plane (sources common.sh when needed). All RSA 2048 with SANs, 10 years.
#
# hami::pki_generate DIR writes, when DIR/ca.crt does not exist yet:
#   ca.{crt,key}                 the cluster CA (also the client CA of kube-apiserver)
#   apiserver.{crt,key}          serving cert: 127.0.0.1, localhost, 10.0.0.1, kubernetes.default.svc
#   admin.{crt,key}              client cert, O=system:masters (superuser)
#   scheduler.{crt,key}          client cert, CN=system:kube-scheduler (bootstrap RBAC role)
#   controller-manager.{crt,key} client cert, CN=system:kube-controller-manager (bootstrap RBAC role)
#   webhook.{crt,key}            serving cert for hami-scheduler: 127.0.0.1, localhost
#   extender-client.{crt,key}    client cert, CN=hami-extender-client: kube-scheduler's extender
#                                tlsConfig (hami-scheduler --extender-client-names)
#   webhook-client.{crt,key}     client cert, CN=hami-webhook-client: kube-apiserver's admission
#                                webhook kubeconfig (hami-scheduler --webhook-client-names)
#   sa.{key,pub}                 service-account token signing key pair
#   tokens.csv                   static token "hami-local-token" for user hami-admin in system:masters
# Existing files are kept, so kubeconfigs written earlier stay valid across restarts; a directory
# from before the client certificates gets only those added (signed by its CA).

[[ $(type -t hami::log) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

hami::pki_generate() {
  local d=$1
  mkdir -p "$d"
  if [[ -f $d/ca.crt && -f $d/webhook.crt && -f $d/scheduler.crt && -f $d/tokens.csv ]]; then
    hami::_pki_client_certs "$d"
    return 0
  fi
  command -v openssl >/dev/null || hami::die "openssl not found (apt-get install openssl)"
  hami::log "generating certificates in $d"
  (
    set -euo pipefail
    cd "$d"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
      -subj /CN=hami-local-ca \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    mk() {
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
      printf '%b' "$3" > "$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
        -out "$1.crt" -extfile "$1.ext"
      rm -f "$1.csr" "$1.ext"
    }
    mk apiserver /CN=kube-apiserver \
      'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n'
    mk admin '/O=system:masters/CN=hami-admin' \
      'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n'
    mk scheduler /CN=system:kube-scheduler \
      'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n'
    mk webhook /CN=hami-scheduler-webhook \
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n'
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
    echo 'hami-local-token,hami-admin,hami-admin-uid,"system:masters"' > tokens.csv
    chmod 644 ./*.crt sa.pub
  ) >"$d/openssl.log" 2>&1 || hami::die "certificate generation failed (see $d/openssl.log)"
  hami::_pki_client_certs "$d"
}

# hami::_pki_client_certs DIR: the client certificates that authenticate kube-scheduler and
# kube-apiserver to hami-scheduler, and kube-controller-manager to the API server, when missing.
hami::_pki_client_certs() {
  local d=$1
  [[ -f $d/extender-client.crt && -f $d/webhook-client.crt && -f $d/controller-manager.crt ]] && return 0
  (
    set -euo pipefail
    cd "$d"
    umask 077
    local name subject
    for name in extender-client webhook-client controller-manager; do
      [[ -f $name.crt ]] && continue
      subject=/CN=hami-$name
      [[ $name != controller-manager ]] || subject=/CN=system:kube-controller-manager
      openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subject"
      printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' \
        > "$name.ext"
      openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
        -out "$name.crt" -extfile "$name.ext"
      rm -f "$name.csr" "$name.ext"
      chmod 644 "$name.crt"
    done
  ) >>"$d/openssl.log" 2>&1 || hami::die "client certificate generation failed (see $d/openssl.log)"
}

# hami::write_kubeconfig FILE SERVER CA CERT KEY USER: a kubeconfig with embedded credentials
# (client certificate), context "hami-local".
hami::write_kubeconfig() {
  hami::_kubeconfig "$1" "$2" "$3" "$6" \
    "client-certificate-data: $(base64 -w0 < "$4")" "client-key-data: $(base64 -w0 < "$5")"
}

# hami::write_token_kubeconfig FILE SERVER CA TOKEN USER: the same with a bearer token, which is how
# hami-scheduler authenticates in a cluster (its ServiceAccount token, cached by the API server);
# a client certificate would cost the API server an x509 chain verification on every request.
hami::write_token_kubeconfig() { hami::_kubeconfig "$1" "$2" "$3" "$5" "token: $4"; }

# hami::_kubeconfig FILE SERVER CA USER CREDENTIAL_LINE...: writes FILE (0600) atomically.
hami::_kubeconfig() {
  local file=$1 server=$2 ca=$3 user=$4 line
  shift 4
  {
    cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: hami-local
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 < "$ca")
contexts:
- name: hami-local
  context: {cluster: hami-local, user: $user}
current-context: hami-local
users:
- name: $user
  user:
EOF
    for line in "$@"; do echo "    $line"; done
  } > "$file.tmp"
  chmod 600 "$file.tmp"
  mv -f "$file.tmp" "$file"
}
