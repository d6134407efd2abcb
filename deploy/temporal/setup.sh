#!/bin/sh
# One-shot setup of a Temporal namespace for pdca: waits for the frontend, creates the namespace if it
# is missing, and registers the search attributes the workflows upsert (workflows/search_attributes.py).
# Idempotent: anything that already exists with the right type is left alone, so it can run on every
# `docker compose up`. A search attribute that exists with a DIFFERENT type is a real conflict: it fails.
#
# Environment (read by the `temporal` CLI itself): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE.
# Optional: PDCA_SETUP_WAIT_SECONDS (default 300), PDCA_NAMESPACE_RETENTION (default 720h = 30 days).
set -u

: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${TEMPORAL_NAMESPACE:=default}"
: "${PDCA_SETUP_WAIT_SECONDS:=300}"
: "${PDCA_NAMESPACE_RETENTION:=720h}"
export TEMPORAL_ADDRESS TEMPORAL_NAMESPACE
NS="$TEMPORAL_NAMESPACE"

# name:type, one per search attribute (keep in step with workflows/search_attributes.py ALL_KEYS).
SEARCH_ATTRIBUTES="PdcaCaseKind:Keyword PdcaStage:Keyword PdcaOrgCode:Keyword PdcaRegion:Keyword PdcaOverdue:Bool PdcaNextDue:Datetime"

log() { echo "pdca-setup: $*"; }

waited=0
until temporal operator cluster health 2>/dev/null | grep -q SERVING; do
  if [ "$waited" -ge "$PDCA_SETUP_WAIT_SECONDS" ]; then
    log "Temporal at $TEMPORAL_ADDRESS is not serving after ${PDCA_SETUP_WAIT_SECONDS}s" >&2
    exit 1
  fi
  log "waiting for Temporal at $TEMPORAL_ADDRESS"
  sleep 2
  waited=$((waited + 2))
done
log "Temporal at $TEMPORAL_ADDRESS is serving"

if temporal operator namespace describe --namespace "$NS" >/dev/null 2>&1; then
  log "namespace $NS exists"
else
  if out=$(temporal operator namespace create --namespace "$NS" --retention "$PDCA_NAMESPACE_RETENTION" 2>&1); then
    log "namespace $NS created"
  else
    case "$out" in
      *"already exists"*) log "namespace $NS exists" ;;
      *) echo "$out" >&2; log "could not create namespace $NS" >&2; exit 1 ;;
    esac
  fi
fi

# A new namespace takes a while (about 10 s) to reach the caches the search-attribute API reads.
waited=0
until temporal operator search-attribute list --namespace "$NS" >/dev/null 2>&1; do
  if [ "$waited" -ge "$PDCA_SETUP_WAIT_SECONDS" ]; then
    log "namespace $NS is not usable after ${PDCA_SETUP_WAIT_SECONDS}s" >&2
    exit 1
  fi
  log "waiting for namespace $NS to become usable"
  sleep 1
  waited=$((waited + 1))
done

for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%:*}
  type=${pair#*:}
  if out=$(temporal operator search-attribute create --namespace "$NS" --name "$name" --type "$type" 2>&1); then
    log "search attribute $name ($type) registered"
  else
    case "$out" in
      *"different type"*) echo "$out" >&2; log "search attribute $name exists with another type than $type" >&2; exit 1 ;;
      *"already exists"*) log "search attribute $name ($type) already registered" ;;
      *) echo "$out" >&2; log "could not register search attribute $name" >&2; exit 1 ;;
    esac
  fi
done

# Do not report success before the frontend lists every attribute: a workflow that upserts an
# attribute the server does not know yet fails its workflow task.
waited=0
while :; do
  listed=$(temporal operator search-attribute list --namespace "$NS" 2>/dev/null || true)
  missing=""
  for pair in $SEARCH_ATTRIBUTES; do
    name=${pair%%:*}
    case "$listed" in
      *"$name"*) ;;
      *) missing="$missing $name" ;;
    esac
  done
  [ -z "$missing" ] && break
  if [ "$waited" -ge "$PDCA_SETUP_WAIT_SECONDS" ]; then
    log "search attributes not listed after ${PDCA_SETUP_WAIT_SECONDS}s:$missing" >&2
    exit 1
  fi
  sleep 1
  waited=$((waited + 1))
done
log "namespace $NS ready: $SEARCH_ATTRIBUTES"
