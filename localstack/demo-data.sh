#!/usr/bin/env bash
# Creates demo data through the API itself: a guest, a hotel in Berlin with two room types and
# a restaurant in Munich with two table types. Harmless to run again (existing accounts stay).
#   localstack/demo-data.sh [base URL, default http://127.0.0.1:3000]
set -euo pipefail
API="${1:-http://127.0.0.1:3000}"
PASSWORD="demo password 123"

post() { # path json [token] -> prints "status body"
  local auth=()
  [[ -n "${3:-}" ]] && auth=(-H "authorization: Bearer $3")
  curl -s -w '\n%{http_code}' -X POST "$API$1" -H 'content-type: application/json' "${auth[@]}" -d "$2"
}
field() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1:]: v=v[k]
print(v)' "$@"; }
status_of() { tail -n1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }

reply=$(post /user/create "{\"email\":\"guest@demo.example\",\"password\":\"$PASSWORD\",\"name\":\"Dana Demo\",\"locale\":\"en-GB\"}")
echo "demo guest: HTTP $(status_of "$reply") (409 means it already exists)"

vendor() { # kind manager-email json-profile resource1 resource2
  local kind=$1 email=$2 profile=$3
  local body="${profile%\}},\"kind\":\"$kind\",\"manager\":{\"name\":\"Demo Manager\",\"email\":\"$email\",\"password\":\"$PASSWORD\"}}"
  local reply; reply=$(post /vendor/create "$body")
  echo "demo $kind: HTTP $(status_of "$reply") (409 means it already exists)"
  [[ $(status_of "$reply") == 201 ]] || return 0
  local vendor_id token
  vendor_id=$(body_of "$reply" | field vendor id)
  token=$(body_of "$(post /vendor/login "{\"email\":\"$email\",\"password\":\"$PASSWORD\"}")" | field access_token)
  shift 3
  for resource in "$@"; do
    echo "  $(body_of "$(post "/vendor/$vendor_id/resource" "$resource" "$token")" | field name) added"
  done
}

vendor hotel manager@hotel.demo.example '{"name":"Hotel Demo Berlin","description":"Quiet rooms by the Spree","address":{"line1":"Friedrichstrasse 100","postal_code":"10117","city":"Berlin","country":"DE"},"location":{"lat":52.5200,"lon":13.3880},"time_zone":"Europe/Berlin","currency":"EUR","facilities":["wifi","breakfast","parking"],"contact":{"email":"frontdesk@hotel.demo.example","phone":"+49301234567"}}' \
  '{"name":"Double room","capacity":2,"units":20,"base_price":{"amount_minor":12900,"currency":"EUR"},"amenities":["balcony"]}' \
  '{"name":"Family suite","capacity":4,"units":5,"base_price":{"amount_minor":24900}}'
vendor restaurant manager@restaurant.demo.example '{"name":"Demo Wirtshaus","description":"Bavarian classics","address":{"line1":"Marienplatz 1","postal_code":"80331","city":"Munich","country":"DE"},"location":{"lat":48.1374,"lon":11.5755},"time_zone":"Europe/Berlin","currency":"EUR","facilities":["terrace"],"cuisines":["bavarian","vegetarian"],"contact":{"email":"host@restaurant.demo.example"}}' \
  '{"name":"Table for two","capacity":2,"units":10,"base_price":{"amount_minor":0}}' \
  '{"name":"Stammtisch","capacity":8,"units":2,"base_price":{"amount_minor":5000}}'
