#!/usr/bin/env bash
# Creates demo data through the API itself: a guest, a hotel in Berlin with two room types and
# their 25 rooms, a restaurant in Munich with two table types and their 12 tables, and a desk
# and a housekeeping member of staff for each. Harmless to run again (existing accounts stay).
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
  # Each resource is followed by the numbers of its rooms or tables ("101 102 ..."), registered
  # as units: the type's units then follow the rooms in service.
  while (($# >= 2)); do
    local resource=$1 numbers=$2 created rid
    shift 2
    created=$(body_of "$(post "/vendor/$vendor_id/resource" "$resource" "$token")")
    rid=$(field id <<<"$created")
    for number in $numbers; do
      local unit="{\"resource_id\":\"$rid\",\"number\":\"$number\"}"
      [[ $kind == hotel ]] && unit="{\"resource_id\":\"$rid\",\"number\":\"$number\",\"floor\":${number:0:1}}"
      [[ $(status_of "$(post "/vendor/$vendor_id/unit" "$unit" "$token")") == 201 ]] || echo "  unit $number refused" >&2
    done
    echo "  $(field name <<<"$created") added with $(wc -w <<<"$numbers") units"
  done
  for role in desk housekeeping; do
    local staff="{\"name\":\"Demo ${role^}\",\"email\":\"$role@${email#manager@}\",\"password\":\"$PASSWORD\",\"role\":\"$role\"}"
    echo "  $role staff: HTTP $(status_of "$(post "/vendor/$vendor_id/staff" "$staff" "$token")") ($role@${email#manager@})"
  done
}

vendor hotel manager@hotel.demo.example '{"name":"Hotel Demo Berlin","description":"Quiet rooms by the Spree","address":{"line1":"Friedrichstrasse 100","postal_code":"10117","city":"Berlin","country":"DE"},"location":{"lat":52.5200,"lon":13.3880},"time_zone":"Europe/Berlin","currency":"EUR","facilities":["wifi","breakfast","parking"],"contact":{"email":"frontdesk@hotel.demo.example","phone":"+49301234567"}}' \
  '{"name":"Double room","capacity":2,"units":20,"base_price":{"amount_minor":12900,"currency":"EUR"},"amenities":["balcony"]}' \
  "$(echo {101..110} {201..210})" \
  '{"name":"Family suite","capacity":4,"units":5,"base_price":{"amount_minor":24900}}' \
  "$(echo {301..305})"
vendor restaurant manager@restaurant.demo.example '{"name":"Demo Wirtshaus","description":"Bavarian classics","address":{"line1":"Marienplatz 1","postal_code":"80331","city":"Munich","country":"DE"},"location":{"lat":48.1374,"lon":11.5755},"time_zone":"Europe/Berlin","currency":"EUR","facilities":["terrace"],"cuisines":["bavarian","vegetarian"],"contact":{"email":"host@restaurant.demo.example"}}' \
  '{"name":"Table for two","capacity":2,"units":10,"base_price":{"amount_minor":0}}' \
  "$(echo T{1..10})" \
  '{"name":"Stammtisch","capacity":8,"units":2,"base_price":{"amount_minor":5000}}' \
  "S1 S2"
