#!/bin/sh
# Registers the namespace vstream's workers poll (the server creates none of its own) once
# the server answers; a later run finds it there. Run by the temporal-namespace service
# (admin-tools image) and as it is by the native stack (src/devkit/native-cluster.ts).
set -eu
address=${TEMPORAL_ADDRESS:-temporal:7233}
namespace=${TEMPORAL_NAMESPACE:-default}
tries=${TEMPORAL_WAIT_SECONDS:-300}
until temporal operator cluster health --address "$address" >/dev/null 2>&1; do
  tries=$((tries - 1))
  [ "$tries" -gt 0 ] || { echo "the Temporal server at $address did not answer" >&2; exit 1; }
  sleep 1
done
if temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; then
  echo "namespace $namespace exists"
else
  temporal operator namespace create --address "$address" --namespace "$namespace"
fi
