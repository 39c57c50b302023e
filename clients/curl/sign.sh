#!/usr/bin/env bash
# A signed request to the order API with curl and openssl only (docs/signing.md).
#
#   TAP_CLIENT_ID=desk-a TAP_CLIENT_KEY=... clients/curl/sign.sh GET  https://api.dev.trading.example.com/orders/<id>
#   TAP_CLIENT_ID=desk-a TAP_CLIENT_KEY=... clients/curl/sign.sh POST https://api.dev.trading.example.com/orders \
#     '{"clientOrderId":"o-1","symbol":"ACME","side":"buy","type":"limit","quantity":"10","limitPrice":"101.25"}'
#
# The key comes from the environment only (command lines are visible to every local user).
# The URL's query, if any, must already be encoded as docs/signing.md says (name=value pairs,
# RFC 3986 escapes in upper case). Optional environment:
#   TAP_REGION     the region to sign for (default us-east-1); on a 401 that names another region
#                  in x-tap-region, sign again for that one
#   TAP_TIMESTAMP, TAP_NONCE   fixed values instead of now and a random nonce (test vectors only)
#   TAP_DRY_RUN=1  print the canonical request and the Authorization header; send nothing
# Prints the response body; exits 0 on 2xx, 1 on any other status, 2 on a usage error.
set -euo pipefail

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
[[ $# -ge 2 && $# -le 3 ]] || usage
method=$(printf '%s' "$1" | tr '[:lower:]' '[:upper:]')
url=$2
body=${3-}
: "${TAP_CLIENT_ID:?set TAP_CLIENT_ID}" "${TAP_CLIENT_KEY:?set TAP_CLIENT_KEY}"
region=${TAP_REGION:-us-east-1}

[[ $url =~ ^(https?)://([^/?#]+)(/[^?#]*)?(\?([^#]*))?$ ]] || {
  echo "not an http(s) URL: $url" >&2
  exit 2
}
scheme=${BASH_REMATCH[1]}
host=${BASH_REMATCH[2]}
path=${BASH_REMATCH[3]:-/}
query=${BASH_REMATCH[5]-}
hostname=${host%:*}
[[ $host == \[* ]] && hostname=${host%%]*}]
if [[ $scheme == http && ! $hostname =~ ^(127\.[0-9.]+|localhost|\[::1\])$ ]]; then
  echo "refusing to sign for http://$host: use https:// (http:// only to loopback)" >&2
  exit 2
fi
# HTTP clients leave the scheme's default port out of Host; so does this script.
[[ ($scheme == https && $host == *:443) || ($scheme == http && $host == *:80) ]] && host=$hostname
host=$(printf '%s' "$host" | tr '[:upper:]' '[:lower:]')

# Canonical query: pairs sorted by name, then value, in byte order (LC_ALL=C).
canonical_query=""
if [[ -n $query ]]; then
  canonical_query=$(printf '%s\n' "${query//&/$'\n'}" | LC_ALL=C sort -t '=' -k1,1 -k2,2 | paste -sd '&' -)
fi

hex() { od -An -v -tx1 | tr -d ' \n'; }
# Milliseconds since the epoch: GNU date has %N; elsewhere whole seconds are within the window.
now_ms() {
  local ms
  ms=$(date +%s%3N)
  [[ $ms =~ ^[0-9]+$ ]] || ms=$(($(date +%s) * 1000))
  printf '%s' "$ms"
}

send() {
  local region=$1 timestamp nonce body_hash canonical signature
  timestamp=${TAP_TIMESTAMP:-$(now_ms)}
  nonce=${TAP_NONCE:-$(openssl rand -base64 16 | tr '+/' '-_' | tr -d '=\n')}
  body_hash=$(printf '%s' "$body" | openssl dgst -sha256 -r | cut -d' ' -f1)
  canonical=$(printf '%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s' TAP-HMAC-SHA256 "$method" "$host" "$path" \
    "$canonical_query" "$region" "$timestamp" "$nonce" "$TAP_CLIENT_ID" "$body_hash")
  signature=$(printf '%s' "$canonical" |
    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(printf '%s' "$TAP_CLIENT_KEY" | hex)" -r | cut -d' ' -f1)
  authorization="TAP-HMAC-SHA256 Credential=$TAP_CLIENT_ID, Region=$region, Timestamp=$timestamp, Nonce=$nonce, Signature=$signature"
  if [[ ${TAP_DRY_RUN:-} == 1 ]]; then
    printf '%s\n%s\n' "$canonical" "Authorization: $authorization"
    exit 0
  fi
  local target="$scheme://$host$path${canonical_query:+?$canonical_query}"
  local args=(-sS --max-time 10 -o "$out" -D "$headers" -w '%{http_code}' -X "$method"
    -H "Host: $host" -H "Authorization: $authorization" -H "X-Tap-Client: $TAP_CLIENT_ID")
  if [[ -n $body ]]; then
    args+=(-H 'Content-Type: application/json' --data-binary @-)
  fi
  printf '%s' "$body" | curl "${args[@]}" "$target"
}

if [[ ${TAP_DRY_RUN:-} == 1 ]]; then
  send "$region"
fi
out=$(mktemp)
headers=$(mktemp)
trap 'rm -f "$out" "$headers"' EXIT
status=$(send "$region")
named=$(tr -d '\r' <"$headers" | awk -F': *' 'tolower($1) == "x-tap-region" { print $2 }')
if [[ $status == 401 && -n $named && $named != "$region" && -z ${TAP_NONCE:-} ]]; then
  status=$(send "$named")
fi
cat "$out"
echo
[[ $status == 2?? ]]
