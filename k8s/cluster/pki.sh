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

# new_ca NAME SUBJECT: a key and a self-signed CA certificate.
new_ca() {
  new_key "$1"
  openssl req -x509 -new -key "$PKI/$1.key" -subj "$2" -days "$DAYS" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$PKI/$1.crt" 2>/dev/null
}

# sign NAME SUBJECT USAGE [SANS]: a key and a certificate signed by the CA ($SIGNER, default ca).
sign() {
  local name="$1" subject="$2" usage="$3" sans="${4:-}" signer="${SIGNER:-ca}" ext
  new_key "$name"
  ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$usage"
  [ -z "$sans" ] || ext="$ext
subjectAltName=$sans"
  openssl req -new -key "$PKI/$name.key" -subj "$subject" 2>/dev/null |
    openssl x509 -req -CA "$PKI/$signer.crt" -CAkey "$PKI/$signer.key" -CAcreateserial -days "$DAYS" \
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
  new_ca ca "/CN=mlship-cluster-ca"
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
  # metrics-server serves metrics.k8s.io (behind the apiserver) and reads the kubelets with one certificate.
  sign metrics-server "/CN=mlship:metrics-server" serverAuth,clientAuth "IP:$NODE_IP,DNS:metrics-server.kube-system.svc"
  # The aggregation layer: the apiserver proxies to metrics-server with this client certificate,
  # which metrics-server trusts through a CA of its own, so that no other client certificate of the
  # cluster can pass the X-Remote-User headers that name the user it acts for.
  new_ca front-proxy-ca "/CN=mlship-front-proxy-ca"
  SIGNER=front-proxy-ca sign front-proxy-client "/CN=front-proxy-client" clientAuth
  # Service-account tokens are signed with RSA, which every client library verifies.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
  for client in admin kube-controller-manager kube-scheduler kubelet kube-proxy kube-router metrics-server; do kubeconfig "$client"; done
}

main "$@"
