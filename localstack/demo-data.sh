#!/usr/bin/env bash
# Creates demo data through the API itself: a guest, a hotel in Berlin with two room types and
# their 25 rooms, a restaurant in Munich with two table types and their 12 tables, and a desk
# and a housekeeping member of staff for each. Harmless to run again (existing accounts stay).
# Then it fills both boards with a working day (bookings: see the end of this file).
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

# A working day on both boards, made through the API as the desk and guests would: about 60% of
# the hotel's room-nights over the next 14 days (walk-ins and phone bookings at the desk, online
# bookings by demo guests, confirmed and put in rooms), today's arrivals, guests already in their
# rooms (checked in early today), two bookings in no room yet and one cancelled; and a dozen
# seatings at the restaurant across today's lunch and dinner, some already seated. The plan is
# drawn from the date alone and every booking's Idempotency-Key is `demo-<date>-<vendor>-<n>`
# (the demo guests book at both vendors, and a guest's keys are the guest's own); a board that is
# already filled is left alone, so a second run adds nothing. The API refuses arrivals in the
# past: three guests who arrived yesterday and leave today come from the seed crate's
# demo-departures (below), and seatings only from now on.
python3 - "$API" "$PASSWORD" <<'PY'
import base64, datetime, json, os, random, subprocess, sys, time, urllib.error, urllib.request
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

API, PASSWORD = sys.argv[1], sys.argv[2]
started = time.monotonic()
DESK_NAMES = ['Ada Lovelace', 'Jonas Weber', 'Mia Schneider', 'Noah Wagner', 'Emma Hoffmann',
              'Luca Bauer', 'Hanna Koch', 'Paul Richter', 'Clara Wolf', 'Felix Braun', 'Ida Zimmer',
              'Ben Hartmann', 'Nora Krause', 'Elias Lange', 'Lea Schmitt', 'Finn Werner',
              'Marie Krüger', 'Emil Meier', 'Sophie Lehmann', 'Anton Schulz']
# Online bookings come from guest accounts (the first exists already, made above).
GUESTS = [('guest@demo.example', 'Dana Demo'), ('lena@demo.example', 'Lena Fischer'),
          ('tom@demo.example', 'Tom Becker')]

def call(method, path, body=None, token=None, key=None):
    """(status, JSON body, replayed); never raises for an HTTP answer."""
    headers = {'content-type': 'application/json'}
    if token: headers['authorization'] = f'Bearer {token}'
    if key: headers['idempotency-key'] = key
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(API + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            text = answer.read()
            replayed = answer.headers.get('idempotent-replayed') == 'true'
            return answer.status, json.loads(text) if text else {}, replayed
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text) if text else {}, False
        except ValueError:
            return error.code, {}, False

def claims(token):
    payload = token.split('.')[1]
    return json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))

def desk_sign_in(email):
    """The desk's token and its vendor, zone and today there."""
    status, body, _ = call('POST', '/vendor/login', {'email': email, 'password': PASSWORD})
    if status != 200: raise SystemExit(f'demo bookings: {email} could not sign in (HTTP {status})')
    token = body['access_token']
    vendor = claims(token)['vendor_id']
    zone = ZoneInfo(call('GET', f'/vendor/{vendor}')[1]['time_zone'])
    return token, vendor, zone

def live(vendor, token, start, end):
    """Live bookings arriving from start to end (inclusive), all pages."""
    found, cursor = [], None
    while True:
        query = f'from={start}&to={end}&limit=100' + (f'&cursor={cursor}' if cursor else '')
        status, page, _ = call('GET', f'/bookings/vendor/{vendor}?{query}', token=token)
        if status != 200: return found
        found += [b for b in page['items'] if b['status'] in ('HELD', 'CONFIRMED', 'CHECKED_IN')]
        cursor = page.get('next_cursor')
        if not cursor: return found

guest_tokens = {}
def sign_in_guests(indexes):
    """Each guest's token (signed up on first use); hashing passwords is slow, so only when needed."""
    def one(index):
        email, name = GUESTS[index]
        status, body, _ = call('POST', '/user/login', {'email': email, 'password': PASSWORD})
        if status != 200:
            call('POST', '/user/create', {'email': email, 'password': PASSWORD, 'name': name, 'locale': 'en-GB'})
            status, body, _ = call('POST', '/user/login', {'email': email, 'password': PASSWORD})
        return index, body.get('access_token') if status == 200 else None
    with ThreadPoolExecutor(max_workers=len(GUESTS)) as pool:
        guest_tokens.update(pool.map(one, sorted(set(indexes) - set(guest_tokens))))

class Tally:
    def __init__(self): self.made, self.kept, self.refused = 0, 0, []

def book(vendor, staff, plan, tally):
    """One planned booking through its steps; each step is skipped when already done."""
    body = {'resource_id': plan['resource_id'], 'party_size': plan['party']}
    body.update(plan['time'])
    token = guest_tokens.get(plan['guest']) if plan['guest'] is not None else None
    if not token:
        token = staff
        body.update({'channel': plan['channel'], 'guest': {'name': plan['name']}})
    status, booking, replayed = call('POST', f'/booking/vendor/{vendor}', body, token, plan['key'])
    if status not in (200, 201):
        tally.refused.append(f"{plan['key']}: HTTP {status} {booking.get('title', '')}".strip())
        return
    if replayed: tally.kept += 1
    else: tally.made += 1
    bid = booking['id']
    if booking['status'] == 'HELD':  # a desk hold: paid at the desk, or confirmed to pay later
        total = (booking.get('quote') or {}).get('total') or {}
        if plan['pay'] and total.get('amount_minor', 0) > 0:
            call('POST', f'/booking/{bid}/payments', {'amount_minor': total['amount_minor'], 'currency': total['currency'],
                 'method': plan['pay'], 'confirm': True}, staff, plan['key'] + '-payment')
        else:
            call('PUT', f'/booking/{bid}/status', {'status': 'CONFIRMED'}, staff)
    if booking['status'] == 'CANCELLED': return
    if plan.get('cancel'):
        call('PUT', f'/booking/{bid}/status', {'status': 'CANCELLED'}, staff)
        return
    if plan['unit'] and not booking.get('unit'):
        status, answer, _ = call('PUT', f'/booking/{bid}/unit', {'unit_id': plan['unit']}, staff)
        if status != 200:  # an earlier day's booking has the room: not left in no room
            tally.refused.append(f"{plan['key']} room: HTTP {status} {answer.get('title', '')}".strip())
            call('PUT', f'/booking/{bid}/status', {'status': 'CANCELLED'}, staff)
            return
    if plan.get('check_in') and booking['status'] != 'CHECKED_IN':
        status, answer, _ = call('POST', f'/booking/{bid}/check-in', {'method': 'desk', 'early': True, 'id_checked': True}, staff)
        if status != 200: tally.refused.append(f"{plan['key']} check-in: HTTP {status} {answer.get('title', '')}".strip())

def run(vendor, staff, plans, label):
    sign_in_guests([p['guest'] for p in plans if p['guest'] is not None])
    tally = Tally()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda p: book(vendor, staff, p, tally), plans))
    line = f'demo {label}: {tally.made} bookings made, {tally.kept} already there'
    if tally.refused: line += f'; {len(tally.refused)} refused (e.g. {tally.refused[0]})'
    print(line)

def channel_of(rng):
    """About 30% online (a guest account), the rest walk-ins and phone calls at the desk."""
    pick = rng.random()
    if pick < 0.3: return 'online', rng.randrange(len(GUESTS))
    return ('walk_in' if pick < 0.65 else 'phone'), None

# The hotel: per room, stays of 2 to 6 nights with 0 to 5 free between (about 60% of the nights).
desk, hotel, zone = desk_sign_in('desk@hotel.demo.example')
today = datetime.datetime.now(zone).date()
end = today + datetime.timedelta(days=14)
rng = random.Random(f'demo-{today}')
types = {r['name']: r for r in call('GET', f'/vendor/{hotel}/resources')[1]['items']}
units = sorted(call('GET', f'/vendor/{hotel}/units', token=desk)[1]['units'], key=lambda u: u['number'])
plans, names = [], iter(DESK_NAMES * 10)
for unit in units:
    suite = unit['resource_id'] == types['Family suite']['id']
    day = 0 if rng.random() < 0.3 else rng.randint(1, 3)  # about 7 arrivals today
    while day < 14:
        nights = min(rng.randint(2, 6), 14 - day)
        channel, guest = channel_of(rng)
        plans.append({'key': f'demo-{today}-{hotel}-h{len(plans) + 1}', 'resource_id': unit['resource_id'], 'unit': unit['id'],
                      'party': rng.randint(2, 4) if suite else rng.randint(1, 2), 'channel': channel, 'guest': guest,
                      'name': next(names), 'pay': rng.choice(['cash', 'card_terminal', None]),
                      'time': {'check_in': str(today + datetime.timedelta(days=day)),
                               'check_out': str(today + datetime.timedelta(days=day + nights))}})
        day += nights + rng.randint(0, 5)
arriving = [p for p in plans if p['time']['check_in'] == str(today)]
for plan in arriving[:4]: plan['check_in'] = True  # in house: let in early, in their room
later = [p for p in plans if p['time']['check_in'] > str(today)]
for plan in later[3:5]: plan['unit'] = None       # in no room yet
if later: later[-1]['cancel'] = True               # called to cancel

# Filled already (a second run today, or an earlier day's run still covering most of the window):
# leave it, rather than plan around it. Otherwise an earlier day's bookings may have taken some
# rooms of today's plan: those bookings are refused (sold out) or, when only the room is taken,
# cancelled again, so none is left without a room that was meant to have one.
taken = 0
for b in live(hotel, desk, today - datetime.timedelta(days=30), end - datetime.timedelta(days=1)):
    if b['time'].get('kind') == 'stay':
        first = max(datetime.date.fromisoformat(b['time']['check_in']), today)
        last = min(datetime.date.fromisoformat(b['time']['check_out']), end)
        taken += max((last - first).days, 0) * b.get('units', 1)
share = taken / (14 * max(len(units), 1))
if share >= 0.45:
    print(f'demo hotel: {share:.0%} of the next 14 nights already booked; no bookings added')
else:
    in_house = {p['unit'] for p in arriving[:4]}  # a guest is never let into a dirty room
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda u: call('PUT', f'/vendor/{hotel}/unit/{u}/housekeeping', {'status': 'clean'}, desk), in_house))
    run(hotel, desk, plans, f'hotel ({sum(1 for p in plans if not p.get("cancel"))} stays over 14 nights from {today})')

# Departures today: three guests in since yesterday, for the desk to check out. The API refuses
# arrivals in the past, so the seed crate's demo-departures books them through the same engine
# calls with yesterday as the business time. Rooms: free last night and not let to one of
# today's early arrivals (those are in already).
yesterday = today - datetime.timedelta(days=1)
stays_before = live(hotel, desk, today - datetime.timedelta(days=30), yesterday)
departing = [b for b in stays_before if b['status'] == 'CHECKED_IN' and b['time'].get('check_out') == str(today)]
last_night = {b['unit']['unit_id'] for b in stays_before if b.get('unit') and b['time'].get('check_out', '') > str(yesterday)}
busy = last_night | {p['unit'] for p in plans if p.get('check_in')}
free = [u for u in units if u['id'] not in busy and u['resource_id'] == types['Double room']['id']]
tool = os.path.join(os.environ.get('CARGO_TARGET_DIR', os.path.expanduser('~/.cache/reservations/target')), 'debug', 'demo-departures')
if departing:
    print(f'demo departures: {len(departing)} guests leave today already; none added')
elif not os.access(tool, os.X_OK):
    print(f'demo departures: {tool} is missing (cargo build -p seed); none added')
else:
    stays = [{'key': f'demo-{today}-{hotel}-d{n}', 'resource_id': unit['resource_id'], 'unit_id': unit['id'], 'party': 2,
              'channel': channel, 'guest': {'name': name}}
             for n, (unit, name, channel) in enumerate(zip(free, ['Greta Vogel', 'Oskar Brandt', 'Yara Haddad'],
                                                           ['walk_in', 'phone', 'phone']), 1)]
    plan = json.dumps({'vendor': hotel, 'staff': claims(desk)['sub'], 'stays': stays})
    done = subprocess.run([tool], input=plan, text=True, capture_output=True)
    print((done.stdout or done.stderr).strip() or f'demo departures: exit status {done.returncode}')

# The restaurant: a dozen seatings today (90 minutes on 30-minute slots) at lunch and dinner,
# each table used at most every 90 minutes; only those still ahead can be booked.
staff, restaurant, zone = desk_sign_in('desk@restaurant.demo.example')
now = datetime.datetime.now(zone)
today = now.date()
rng = random.Random(f'demo-{today}-restaurant')
tables = {u['number']: u for u in call('GET', f'/vendor/{restaurant}/units', token=staff)[1]['units']}
SEATINGS = [('T1', '12:00', 2), ('T2', '12:00', 2), ('T3', '12:30', 1), ('S1', '12:30', 6), ('T1', '13:30', 2),
            ('T4', '13:00', 2), ('T2', '18:00', 2), ('T5', '18:30', 2), ('S2', '19:00', 8), ('T6', '19:00', 2),
            ('T2', '19:30', 2), ('T7', '20:00', 1), ('T3', '20:00', 2), ('T8', '20:30', 2)]
plans = []
for index, (number, at, party) in enumerate(SEATINGS, 1):
    start = datetime.datetime.combine(today, datetime.time.fromisoformat(at), zone)
    if start < now + datetime.timedelta(minutes=5) or number not in tables: continue
    channel, guest = channel_of(rng)
    plans.append({'key': f'demo-{today}-{restaurant}-r{index}', 'resource_id': tables[number]['resource_id'], 'unit': tables[number]['id'],
                  'party': party, 'channel': channel, 'guest': guest, 'name': DESK_NAMES[-index],
                  'pay': None, 'time': {'date': str(today), 'time': at}})
for plan in plans[:3]: plan['check_in'] = True  # seated (the desk lets them in before their time)
seated_today = len(live(restaurant, staff, today, today))
if not plans:
    print("demo restaurant: today's lunch and dinner are over; no seatings added")
elif seated_today >= len(plans):
    print(f'demo restaurant: {seated_today} seatings today already; none added')
else:
    run(restaurant, staff, plans, f'restaurant ({len(plans)} seatings today)')
print(f'demo bookings: {time.monotonic() - started:.1f} s')
PY
