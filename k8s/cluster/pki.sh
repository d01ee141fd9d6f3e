#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The cluster's PKI with openssl, in $RUN/pki: a CA valid for 30 days (the cluster lives for one
# CI run or a working session), the serving certificates, a client certificate per component
# (its CN and O are the user and group RBAC and the Node authorizer see), the service-account key
# pair, and a kubeconfig per client in $RUN. Run by up.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DAYS=30

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/$1.key" 2>/dev/null; }

# sign NAME SUBJECT USAGE [SANS]: a key and a certificate signed by the CA.
sign() {
  local name="$1" subject="$2" usage="$3" sans="${4:-}" ext
  new_key "$name"
  ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$usage"
  [ -z "$sans" ] || ext="$ext
subjectAltName=$sans"
  openssl req -new -key "$PKI/$name.key" -subj "$subject" 2>/dev/null |
    openssl x509 -req -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days "$DAYS" \
      -extfile <(printf '%s\n' "$ext") -out "$PKI/$name.crt" 2>/dev/null
}

# kubeconfig NAME: $RUN/NAME.kubeconfig for the client certificate NAME.
kubeconfig() {
  cat >"$RUN/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: mlship
    cluster:
      server: https://$NODE_IP:$API_PORT
      certificate-authority: $PKI/ca.crt
users:
  - name: $1
    user:
      client-certificate: $PKI/$1.crt
      client-key: $PKI/$1.key
contexts:
  - name: mlship
    context: {cluster: mlship, user: $1}
current-context: mlship
EOF
}

main() {
  mkdir -p "$PKI"
  chmod 0700 "$PKI"
  new_key ca
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=mlship-cluster-ca" -days "$DAYS" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$PKI/ca.crt" 2>/dev/null
  sign apiserver "/CN=kube-apiserver" serverAuth \
    "IP:$NODE_IP,IP:127.0.0.1,IP:$API_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sign kubelet-serving "/CN=system:node:$NODE_NAME/O=system:nodes" serverAuth "IP:$NODE_IP,DNS:$NODE_NAME"
  sign admin "/CN=mlship-admin/O=system:masters" clientAuth
  sign kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
  sign kube-scheduler "/CN=system:kube-scheduler" clientAuth
  sign kubelet "/CN=system:node:$NODE_NAME/O=system:nodes" clientAuth
  sign kube-proxy "/CN=system:kube-proxy" clientAuth
  sign kube-router "/CN=mlship:kube-router" clientAuth
  sign apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client" clientAuth
  # Service-account tokens are signed with RSA, which every client library verifies.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
  for client in admin kube-controller-manager kube-scheduler kubelet kube-proxy kube-router; do kubeconfig "$client"; done
}

main "$@"
