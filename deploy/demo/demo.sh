#!/usr/bin/env bash
# `make demo`: a demo account with four numbers against a local "customer platform"
# (customer.py): one masked, one on call routing, one forwarded to a calls configuration with a
# call-event subscription, one on an IVR scenario with a notifyUrl; then a few simulated calls
# with their console and trace links, and the signed call events and IVR notifications the
# customer platform received.
# Idempotent: what it made is remembered in .cache/run/demo/state.env and reused.
# `deploy/demo/demo.sh down` (run by `make down`) stops the customer platform.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUN=.cache/run
STATE=$RUN/demo/state.env
PIDFILE=$RUN/pids/demo-customer.pid
LOG=$RUN/logs/demo-customer.log
PORT=${DEMO_CUSTOMER_PORT:-8199}
export DEMO_MASKING_KEY=${DEMO_MASKING_KEY:-demo-secret-key-1}
export DEMO_SUBSCRIPTION_SECRET=${DEMO_SUBSCRIPTION_SECRET:-demo-subscription-secret-1}
export DEMO_IVR_SECRET_FILE=$RUN/demo/ivr-secret
export DEMO_CUSTOMER_PORT=$PORT
# make exports UV (a fresh machine has uv only in the tools cache, not on PATH)
UV=${UV:-uv}

# One field of a JSON object on stdin (the CLI's --json output).
json_field() { "$UV" run --frozen python -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# E.164 of one of the account's numbers (the API shows digits without "+").
number_of() { echo "+$(callplane numbers show "$1" --json | json_field number)"; }

customer_running() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

down() {
  if customer_running; then
    kill "$(cat "$PIDFILE")"
    echo "demo customer platform stopped (pid $(cat "$PIDFILE"))"
  fi
  rm -f "$PIDFILE"
}

start_customer() {
  if customer_running; then
    return
  fi
  mkdir -p "$RUN/logs" "$RUN/demo" "$RUN/pids"
  nohup "$UV" run --frozen python deploy/demo/customer.py >>"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 50); do
    if curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; then
      echo "demo customer platform on http://127.0.0.1:$PORT (pid $(cat "$PIDFILE"), log $LOG)"
      return
    fi
    customer_running || break
    sleep 0.2
  done
  echo "demo customer platform did not start; see $LOG" >&2
  tail -5 "$LOG" >&2
  exit 1
}

up() {
  # shellcheck disable=SC1091 # the development tokens of `make up`
  source <(grep -E '^(ADMIN_TOKEN|RECORDS_OPERATOR_TOKEN)=' deploy/local/services.env)
  export CALLPLANE_URL=${CALLPLANE_URL:-http://127.0.0.1:8080}
  export CALLPLANE_ADMIN_TOKEN=${CALLPLANE_ADMIN_TOKEN:-$ADMIN_TOKEN}
  export CALLPLANE_OPERATOR_TOKEN=${CALLPLANE_OPERATOR_TOKEN:-$RECORDS_OPERATOR_TOKEN}
  export CALLPLANE_OUTPUT=${CALLPLANE_OUTPUT:-table}
  callplane() { "$UV" run --frozen callplane "$@"; }

  curl -sf "$CALLPLANE_URL/_services/number-inventory/readyz" >/dev/null \
    || { echo "callplane is not running at $CALLPLANE_URL: run \`make up\` first" >&2; exit 1; }
  start_customer

  echo "== number pool (deploy/seed/numbers.csv)"
  callplane admin import-numbers deploy/seed/numbers.csv

  # An earlier run's account is reused while its key still works.
  ACCOUNT_ID="" API_KEY="" MASKING_KEY="" ROUTE_ID="" CONFIG_ID="" SCENARIO_ID=""
  # shellcheck disable=SC1090
  [[ -f $STATE ]] && source "$STATE"
  if [[ -z $API_KEY ]] || ! CALLPLANE_API_KEY=$API_KEY callplane balance >/dev/null 2>&1; then
    echo "== account \"demo\""
    ACCOUNT_ID=$(callplane admin create-account --name demo --currency EUR --balance 100 -q)
    API_KEY=$(callplane admin issue-key "$ACCOUNT_ID" -q)
    MASKING_KEY="" ROUTE_ID="" CONFIG_ID="" SCENARIO_ID=""
  fi
  export CALLPLANE_API_KEY=$API_KEY
  save() {
    printf 'ACCOUNT_ID=%s\nAPI_KEY=%s\nMASKING_KEY=%s\nROUTE_ID=%s\nCONFIG_ID=%s\nSCENARIO_ID=%s\n' \
      "$ACCOUNT_ID" "$API_KEY" "$MASKING_KEY" "$ROUTE_ID" "$CONFIG_ID" "$SCENARIO_ID" >"$STATE"
  }
  mkdir -p "$(dirname "$STATE")"
  save
  echo "account $ACCOUNT_ID (API key in $STATE)"
  # A new key is accepted once every service has read it from Kafka.
  for _ in $(seq 50); do callplane balance >/dev/null 2>&1 && break; sleep 0.1; done

  echo "== a top-up, confirmed the operator's way"
  # The customer's top-up is only a pending payment; the operator (or the payment system, with
  # PaymentSettled on the payments topic) settles it, and only then is the balance credited.
  PAYMENT_ID=$(callplane top-up 20 -q)
  callplane admin settle-payment "$PAYMENT_ID" --reference demo-bank-transfer
  callplane balance

  echo "== four numbers"
  mapfile -t KEYS < <(callplane numbers list -q)
  while ((${#KEYS[@]} < 4)); do
    KEYS+=("$(callplane numbers lease "$(callplane numbers search --limit 1 -q)" -q)")
  done
  MASKED=${KEYS[0]} ROUTED=${KEYS[1]} SUBSCRIBED=${KEYS[2]} IVR=${KEYS[3]}
  callplane numbers list

  echo "== masking on $MASKED -> http://127.0.0.1:$PORT/masking/callback"
  callplane masking credentials set --api-id demo --key "$DEMO_MASKING_KEY"
  if [[ -z $MASKING_KEY ]] || ! callplane masking config show "$MASKING_KEY" >/dev/null 2>&1; then
    MASKING_KEY=$(callplane masking config create --name "demo customer" -q \
      --callback-url "http://127.0.0.1:$PORT/masking/callback" \
      --status-url "http://127.0.0.1:$PORT/masking/status")
    save
  fi
  callplane voice set "$MASKED" --type masking --masking-config "$MASKING_KEY" \
    --fallback-reject MASKING_UNAVAILABLE

  echo "== call routing on $ROUTED"
  if [[ -z $ROUTE_ID ]] || ! callplane routes show "$ROUTE_ID" >/dev/null 2>&1; then
    ROUTE_ID=$(callplane routes create --name "demo office" -q \
      --phone 41793026727 --phone 41793026728)
    save
  fi
  callplane voice set "$ROUTED" --type routing --route-id "$ROUTE_ID"

  echo "== $SUBSCRIBED -> a calls configuration; call events -> http://127.0.0.1:$PORT/calls/events"
  if [[ -z $CONFIG_ID ]] || ! callplane calls-config show "$CONFIG_ID" >/dev/null 2>&1; then
    CONFIG_ID=$(callplane calls-config create --name "demo support line" -q)
    save
  fi
  callplane subscriptions show demo-events >/dev/null 2>&1 \
    || callplane subscriptions create --id demo-events --name "demo call events" \
      --notify-url "http://127.0.0.1:$PORT/calls/events" --calls-config "$CONFIG_ID" \
      --auth-id demo --hmac-secret "$DEMO_SUBSCRIPTION_SECRET"
  callplane subscriptions list
  callplane voice set "$SUBSCRIBED" --type subscription --calls-configuration "$CONFIG_ID"

  echo "== $IVR -> an IVR scenario; notifications -> http://127.0.0.1:$PORT/ivr/notify"
  if [[ -z $SCENARIO_ID || ! -s $DEMO_IVR_SECRET_FILE ]] \
    || ! callplane ivr show "$SCENARIO_ID" >/dev/null 2>&1; then
    # notifySecret is shown once, at creation: the customer platform verifies with it.
    created=$(callplane ivr create --name "demo welcome" --say "Welcome to the demo" \
      --dial 41793026727 --notify-url "http://127.0.0.1:$PORT/ivr/notify" --json)
    SCENARIO_ID=$(json_field id <<<"$created")
    (umask 077 && json_field notifySecret <<<"$created" >"$DEMO_IVR_SECRET_FILE")
    save
  fi
  callplane voice set "$IVR" --type ivr --scenario "$SCENARIO_ID"

  # Views are updated from Kafka: wait until call-dispatch decides with the new actions.
  for key in "$MASKED" "$ROUTED" "$SUBSCRIBED" "$IVR"; do
    for _ in $(seq 50); do
      callplane calls simulate --from +41445550100 --to "$key" --json \
        | grep -q '"NO_ACTION"\|"NUMBER_NOT_IN_SERVICE"' || break
      sleep 0.2
    done
  done

  echo "== calls"
  for caller in +41445550101 +41445550102 +41445550103; do
    for key in "$MASKED" "$ROUTED"; do
      [[ $key == "$MASKED" ]] && what=masked || what=routed
      echo "-- $caller calls the $what number"
      call_id="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
      callplane calls simulate --from "$caller" --to "$key" --call-id "$call_id"
      # The console draws the call and, for operators, its trace (the local Jaeger has no UI).
      echo "   console: $CALLPLANE_URL/console/calls/$call_id"
      echo "   trace (operators): $CALLPLANE_URL/console/operator/calls/$call_id"
    done
  done

  echo "== the edge's side of a subscription call and an IVR call (status events on calls.status)"
  logged_before=$(wc -l <"$LOG")
  "$UV" run --frozen python deploy/demo/edge_calls.py \
    --subscription "$(number_of "$SUBSCRIBED")" --ivr "$(number_of "$IVR")"
  echo "== what the customer platform received (signed call events and IVR notifications)"
  for _ in $(seq 100); do
    (($(tail -n +"$((logged_before + 1))" "$LOG" | grep -c 'call event\|IVR notification') >= 5)) && break
    sleep 0.2
  done
  tail -n +"$((logged_before + 1))" "$LOG" | grep 'call event\|IVR notification' || true
  echo
  echo "The customer platform's log (signature checks): $LOG"
  echo "Your API key: export CALLPLANE_API_KEY=$API_KEY   # then try: callplane numbers list"
  echo "The web console: $CALLPLANE_URL/console/ (sign in with that API key; operators with the admin token)"
  echo "Stop the customer platform with \`make down\` (or deploy/demo/demo.sh down)."
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 [up|down]" >&2; exit 2 ;;
esac
