#!/usr/bin/env bash
# Writes the fuzz targets' seed corpora from ../shared/fixtures and the repository's own config/,
# mappings/ and tests/config/bad/ files, in the input layout each target reads (see the comment
# at the top of each tests/fuzz/fuzz_*.cc):
#   tests/fuzz/write_seeds.sh OUT_DIR      writes OUT_DIR/<target>/seed-*
# Files the fuzzer added to OUT_DIR/<target>/ are left alone; seeds are written afresh each time.
# JOURNEYD_FIXTURES overrides the fixtures directory (default <repo>/../shared/fixtures).
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:?usage: write_seeds.sh OUT_DIR}"
fixtures="${JOURNEYD_FIXTURES:-$repo/../shared/fixtures}"
if [ ! -d "$fixtures/webhooks" ]; then
  echo "write_seeds: no fixtures at $fixtures (set JOURNEYD_FIXTURES)" >&2
  exit 1
fi
hooks="$fixtures/webhooks"

# Seeds that are no longer written must not linger.
if [ -d "$out" ]; then find "$out" -mindepth 2 -maxdepth 2 -path "$out/fuzz_*/seed-*" -delete; fi

# seed TARGET NAME: stdin becomes OUT_DIR/TARGET/seed-NAME.
seed() {
  mkdir -p "$out/$1"
  cat >"$out/$1/seed-$2"
}

# --- fuzz_webhook: byte 0 picks the source (a = the first of fuzz_webhook.cc's kCases), then
# headers, an empty line, the body. {sig}, {t} and {key} are filled in by the target.
webhook() {  # webhook LETTER NAME BODY-FILE HEADER...
  local letter="$1" name="$2" body="$3"
  shift 3
  { printf '%s' "$letter"; printf '%s\n' "$@"; printf '\n'; cat "$body"; } |
    seed fuzz_webhook "$name"
}
json='Content-Type: application/json'
scratch="$(mktemp -d "${TMPDIR:-/tmp}/journeyd-seeds.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

for f in "$hooks"/shopify/*.json; do
  name="$(basename "$f" .json)"
  if [ "$name" = signature_test_vectors ]; then continue; fi
  webhook a "shopify-$name" "$f" "$json" "X-Shopify-Topic: ${name/_//}" \
    'X-Shopify-Hmac-Sha256: {sig}' 'X-Shopify-Webhook-Id: b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' \
    'X-Shopify-Shop-Domain: snowdevil.myshopify.com' 'X-Shopify-API-Version: 2026-07' \
    'X-Shopify-Triggered-At: 2023-11-14T22:13:00.000Z'
done
for f in "$hooks"/woocommerce/*.json; do
  name="$(basename "$f" .json)"
  if [ "$name" = signature_test_vectors ]; then continue; fi
  topic="${name/_/.}"
  webhook b "woocommerce-$name" "$f" "$json" 'X-WC-Webhook-Source: https://example.com/' \
    "X-WC-Webhook-Topic: $topic" "X-WC-Webhook-Resource: ${topic%%.*}" \
    "X-WC-Webhook-Event: ${topic#*.}" 'X-WC-Webhook-Signature: {sig}' 'X-WC-Webhook-ID: 12' \
    'X-WC-Webhook-Delivery-ID: 9f1c'
done
printf 'webhook_id=42' >"$scratch/ping"
webhook b woocommerce-ping "$scratch/ping" 'Content-Type: application/x-www-form-urlencoded'
for f in "$hooks"/square/*.json; do
  name="$(basename "$f" .json)"
  if [ "$name" = signature_test_vectors ]; then continue; fi
  webhook c "square-$name" "$f" "$json" 'x-square-hmacsha256-signature: {sig}' \
    'Square-Version: 2024-01-18' 'Square-Retry-Number: 0'
done
for f in "$hooks"/zendesk/*.json; do
  name="$(basename "$f" .json)"
  if [ "$name" = signature_test_vectors ]; then continue; fi
  webhook d "zendesk-$name" "$f" "$json" 'X-Zendesk-Webhook-Signature: {sig}' \
    'X-Zendesk-Webhook-Signature-Timestamp: 2023-11-14T22:13:20Z' 'X-Zendesk-Webhook-Id: 01GX' \
    'X-Zendesk-Account-Id: 12514403'
done
# Stripe's header as its libraries write it, with a rolled secret's second v1 and a legacy v0,
# and with the spaces and empty items the parser tolerates.
stripe_headers=(
  't={t},v1={sig}'
  't={t},v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v1={sig},v0=6ffb'
  ' t = {t} , v1 = {sig} ,,'
)
i=0
for f in "$hooks"/stripe/*.assembled.json; do
  name="$(basename "$f" .assembled.json)"
  webhook e "stripe-$name" "$f" "$json" ':t: 1700000000' \
    "Stripe-Signature: ${stripe_headers[$((i % 3))]}"
  i=$((i + 1))
done
printf '{"id": "evt_1", "type": "customer.created", "object": "event"}' >"$scratch/event"
webhook f standard_webhooks-spec "$scratch/event" "$json" ':t: 1700000000' \
  'webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek' 'webhook-timestamp: {t}' 'webhook-signature: v1,{sig}'
webhook f standard_webhooks-rotated "$hooks/stripe/customer_created.assembled.json" "$json" \
  ':t: 1700000005' 'webhook-id: msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' 'webhook-timestamp: {t}' \
  'webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1a,hnO3f9T8Ytu9Hw== v1,{sig}'
webhook g hubspot-contact_creation "$hooks/hubspot/contact_creation.docs_example.json" "$json" \
  ':path: /webhooks/hubspot' ':query: portal=62515' 'X-HubSpot-Signature-v3: {sig}' \
  'X-HubSpot-Request-Timestamp: 1700000000000'
for f in "$hooks"/mailchimp/*.form.txt; do
  webhook h "mailchimp-$(basename "$f" .form.txt)" "$f" \
    'Content-Type: application/x-www-form-urlencoded' ':query: key={sig}&list=a6b5da1054' \
    'User-Agent: MailChimp'
done
for f in "$fixtures"/tracking/segment/examples/*.json; do
  name="$(basename "$f" .json)"
  call="${name##*.}"
  call="${call%%_*}"
  case "$call" in identify|track|page|screen|group|alias|batch) ;; *) call=track ;; esac
  if grep -q writeKey "$f"; then  # the write key in the body
    sed 's/YOUR_WRITE_KEY/{key}/' "$f" >"$scratch/segment"
    webhook i "segment-$name" "$scratch/segment" "$json" ":path: /v1/$call"
  else  # as HTTP basic auth, to analytics.js's one-letter path
    webhook i "segment-$name" "$f" "$json" ":path: /v1/${call:0:1}" 'Authorization: Basic {sig}'
  fi
done
webhook j hmac-github "$hooks/shopify/customers_create.json" "$json" 'X-GitHub-Event: push' \
  'X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958' 'X-Hub-Signature-256: sha256={sig}'
webhook k hmac-sha1 "$hooks/stripe/charge_succeeded.assembled.json" "$json" 'X-Signature: {sig}'
webhook l bearer "$hooks/square/customer_created.json" "$json" 'Authorization: Bearer {sig}'
webhook m bearer-header "$hooks/zendesk/ticket_created.captured.json" "$json" \
  'X-Webhook-Token: Bearer {sig}' 'X-Event: ticket.created'
webhook n csv-pos_sales "$repo/mappings/tests/csv/pos_sales.csv" 'Content-Type: text/csv' \
  'Authorization: Bearer {sig}'
head -n 12 "$fixtures/record-linkage/febrl1.csv" | sed 's/,/;/g' >"$scratch/febrl1"
webhook o csv-febrl1-semicolon "$scratch/febrl1" 'Content-Type: text/csv; charset=utf-8' \
  'X-Token: {sig}'
# What the fuzzers found (docs/fuzzing.md), kept as seeds so that every run checks them again.
webhook d found-zendesk-year-4046 "$hooks/zendesk/ticket_created.captured.json" "$json" \
  'X-Zendesk-Webhook-Signature: {sig}' \
  'X-Zendesk-Webhook-Signature-Timestamp: 4046-11-14T22:13:20Z'
webhook e found-stripe-far-t "$scratch/event" "$json" ':t: 99999999999' \
  'Stripe-Signature: t={t},v1={sig}'
printf 'type=subscribe&data%%5Bmerges%%5D%%5BFNAME%%5D=Bj%%F6rn' >"$scratch/latin1-form"
webhook h found-mailchimp-latin1 "$scratch/latin1-form" \
  'Content-Type: application/x-www-form-urlencoded' ':query: key={sig}'
printf 'receipt_id,name\nR-1,Bj\xf6rn\n' >"$scratch/latin1-csv"
webhook n found-csv-latin1 "$scratch/latin1-csv" 'Content-Type: text/csv' \
  'Authorization: Bearer {sig}'

# --- fuzz_csv: byte 0 is the format (bits 0-1: ',' ';' tab ','; bit 2: trim); heads of the
# record-linkage sets, which are written "a, b, c", and the csv mapping's test file.
for f in "$fixtures"/record-linkage/*.csv; do
  name="$(basename "$f" .csv)"
  { printf '\x04'; head -n 25 "$f"; } | seed fuzz_csv "$name-trim"
  { printf '\x00'; head -n 8 "$f"; } | seed fuzz_csv "$name"
done
{ printf '\x05'; head -n 25 "$fixtures/record-linkage/febrl2.csv" | sed 's/, /;/g'; } |
  seed fuzz_csv febrl2-semicolon
{ printf '\x06'; head -n 25 "$fixtures/record-linkage/febrl4b.csv" | sed 's/, /\t/g'; } |
  seed fuzz_csv febrl4b-tab
{ printf '\x00'; cat "$repo/mappings/tests/csv/pos_sales.csv"; } | seed fuzz_csv pos_sales
printf '\x00\xef\xbb\xbfid,"note"\r\n1,"a ""quoted""\r\nline, with comma"\r\n\r\n2,\r\n' |
  seed fuzz_csv quoted-crlf
printf '\x04 a ;\t"b" \n "x y" , z\n' | seed fuzz_csv trim-quoted

# --- fuzz_mapping_eval: byte 0 picks the shipped mapping in file-name order, then :event, :id,
# Content-Type and header lines, an empty line, the payload: every mapping test case.
# --- fuzz_mapping: the same events after the whole mapping file and a NUL byte.
yaml_value() {  # yaml_value KEY FILE: a top-level scalar of a test file, unquoted
  sed -n "s/^$1: *//p" "$2" | head -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/"
}
mappings=()
for f in "$repo"/mappings/*.yaml; do mappings+=("$(basename "$f" .yaml)"); done
letters=abcdefghijklmnopqrstuvwxyz
for i in "${!mappings[@]}"; do
  m="${mappings[$i]}"
  letter="${letters:$i:1}"
  for t in "$repo"/mappings/tests/"$m"/*.test.yaml; do
    [ -f "$t" ] || continue
    name="$(basename "$t" .test.yaml)"
    payload="$(dirname "$t")/$(yaml_value payload "$t")"
    [ -f "$payload" ] || continue
    head_lines=":event: $(yaml_value event_type "$t")\n"
    id="$(yaml_value external_id "$t")"
    if [ -n "$id" ]; then head_lines+=":id: $id\n"; fi
    type="$(yaml_value content_type "$t")"
    if [ -n "$type" ]; then head_lines+="Content-Type: $type\n"; fi
    # headers: {A: b, C: d}
    headers="$(yaml_value headers "$t" | sed -e 's/^{//' -e 's/}$//')"
    if [ -n "$headers" ]; then
      while IFS= read -r h; do
        h="${h# }"
        if [ -n "$h" ]; then head_lines+="$h\n"; fi
      done < <(tr ',' '\n' <<<"$headers")
    fi
    { printf '%s%b\n' "$letter" "$head_lines"; cat "$payload"; } | seed fuzz_mapping_eval "$m-$name"
    { cat "$repo/mappings/$m.yaml"; printf '\0%b\n' "$head_lines"; cat "$payload"; } |
      seed fuzz_mapping "$m-$name"
  done
done
# Small mappings that use what the shipped ones do not: each, campaign, consent, {expr:},
# ignore, when, required, :known selectors.
cat <<'EOF' | seed fuzz_mapping small-each
mapping: shop
phone_region: GB
tables:
  channel: {web: web, pos: store}
ignore: [customers/delete]
events:
  - on: [orders/*]
    when: exists(id) and total_price != "0.00"
    required: [id, email]
    occurred_at: time(created_at)
    identities:
      email: email(coalesce(email, customer.email))
      phone:
        value: phone(billing_address.phone, "US")
        when: not exists(customer.phone)
      shop.customer_id: string(customer.id)
    traits:
      first_name: trim(customer.first_name)
      custom.tags: split(tags, ",")
      consent.email:
        granted: accepts_marketing == true
        at: time(updated_at, "%Y-%m-%dT%H:%M:%S%z")
    touchpoints:
      - type: order_placed
        channel: lookup(source_name, "channel", "web")
        value: money(total_price)
        currency: upper(currency)
        reference: concat("shop:order:", id)
        campaign:
          source: regex_extract(landing_site, "utm_source=([^&]+)", 1)
          medium: "email"
      - type: {expr: 'lower(regex_replace($item.title, "[^A-Za-z]+", "_"))'}
        each: line_items[*]
        value: money($item.price, 2)
        attributes:
          sku: $item.sku
          qty: number($item.quantity)
          lines: count(line_items)
          last: last(line_items[*].id)
EOF
{
  printf '\0:event: orders/create\n:known: orders/*\n:known: customers/*\n'
  printf 'X-Shopify-Shop-Domain: a.myshopify.com\n\n'
  cat "$hooks/shopify/orders_create.json"
} >>"$out/fuzz_mapping/seed-small-each"

# --- fuzz_expression: every expression the shipped mappings write, then a NUL byte and a payload.
payloads=("$hooks/shopify/orders_create.json" "$hooks/stripe/customer_created.assembled.json"
  "$fixtures/tracking/segment/examples/spec-track.01.track.json"
  "$hooks/square/payment_created.json")
n=0
while IFS= read -r expr; do
  [ -n "$expr" ] || continue
  { printf '%s\0' "$expr"; cat "${payloads[$((n % ${#payloads[@]}))]}"; } |
    seed fuzz_expression "$(printf 'mapping-%03d' "$n")"
  n=$((n + 1))
done < <(grep -hE '^[[:space:]]*-?[[:space:]]*[a-z_.]+: [^#"'"'"'{[|>]' "$repo"/mappings/*.yaml |
           sed -E 's/^[[:space:]]*-?[[:space:]]*[a-z_.]+: //; s/[[:space:]]+#.*$//' | sort -u)
extra=(
  'coalesce(lower(trim(customer.email)), email(contact_email), "none")'
  'first(split(tags, ", "))'
  'join(line_items[*].sku, "|")'
  'regex_replace(phone, "[^0-9+]", "")'
  'regex_extract(note, "order ([0-9]+)", 1)'
  'money(total_cents, 2) == "12.50" or number(" 7 ") >= 7'
  'time(created_at, "%d/%m/%Y %H:%M") != null && date(1700000000)'
  'phone(billing_address.phone, "US")'
  'lookup(source_name, "t", $event_type)'
  'not exists($item.id) || first($item.tags) < last(items)'
  'header("X-Shopify-Topic") == $source'
  'sha256(concat($external_id, $received_at))'
  'count(["a b"][*].x) > -1.5'
  'default(string(customer.id), "anonymous")'
)
# What the fuzzers found: nesting past the limit. (Not the backtracking regex: each run of it
# takes Boost.Regex some 50 ms to give up, and mutating it would take most of a short run; the
# unit test in engine/mapping/mapping_test.cc keeps it fixed.)
{ printf 'concat(%.0s' $(seq 1 1500); printf 'x'; printf ')%.0s' $(seq 1 1500); printf '\0{}'; } |
  seed fuzz_expression found-deep-nesting
for i in "${!extra[@]}"; do
  { printf '%s\0' "${extra[$i]}"; cat "${payloads[$((i % ${#payloads[@]}))]}"; } |
    seed fuzz_expression "extra-$i"
done

# --- fuzz_config: the shipped config, its examples and the bad-config catalogue.
for f in "$repo"/config/*.yaml "$repo"/config/examples/*.yaml "$repo"/tests/config/bad/*.yaml; do
  [ -f "$f" ] || continue
  rel="${f#"$repo"/}"
  seed fuzz_config "${rel//\//_}" <"$f"
done

# --- fuzz_json: every JSON fixture as is, and the corners where simdjson and Boost.JSON could
# part: integers past 64 bits, huge exponents, surrogate escapes, nesting at the limit, control
# characters, bad UTF-8, trailing data.
find "$hooks" "$fixtures/polling" -name '*.json' 2>/dev/null | sort | while read -r f; do
  rel="${f#"$fixtures"/}"
  seed fuzz_json "${rel//\//_}" <"$f"
done
printf '{"n": 123456789012345678901234567890}' | seed fuzz_json big-integer
printf '[1e400, -1e-400, 0.0000000000000000000001e-320]' | seed fuzz_json huge-exponents
printf '["\\ud83d\\ude00", "\\ud800", "\\udc00x"]' | seed fuzz_json surrogates
{ printf '[%.0s' $(seq 1 64); printf ']%.0s' $(seq 1 64); } | seed fuzz_json depth-64
{ printf '{"a":%.0s' $(seq 1 64); printf '1'; printf '}%.0s' $(seq 1 64); } | seed fuzz_json objects-64
printf '"tab\there"' | seed fuzz_json control-char
printf '"\xc3\x28"' | seed fuzz_json bad-utf8
printf '{} ' | seed fuzz_json trailing-space
printf '{}x' | seed fuzz_json trailing-data
# What the fuzzer found: a zero with an exponent past INT_MAX (simdjson 0, Boost.JSON refuses).
printf '[0e40000000020]' | seed fuzz_json found-zero-huge-exponent

for d in "$out"/fuzz_*; do
  echo "write_seeds: $(basename "$d"): $(find "$d" -maxdepth 1 -name 'seed-*' | wc -l) seeds"
done
