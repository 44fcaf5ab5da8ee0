-- wrk script: check-ins from many phones at once, with retries.
--   CHECKIN_TOKEN   bearer token of an account manager
--   CHECKIN_CLIENTS "id,lat,lon;id,lat,lon;…" — that manager's clients with a location
--   CHECKIN_RUN     a run id, so keys never collide with an earlier run's
-- Every request has a fresh idempotency key, except that one in ten resends the previous
-- request unchanged, as a phone does when an answer is lost. At the end each thread prints
-- how many distinct keys it sent and what came back: 201 (stored), 200 (a replay answered
-- with the stored visit), anything else.

local dir = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
local stats = dofile(dir .. "stats.lua")

setup = stats.setup

local clients = {}
local token, run
-- Globals, so done() can read them from each thread.
n, keys, s201, s200, other = 0, 0, 0, 0, 0
local last

function init(args)
  token = os.getenv("CHECKIN_TOKEN")
  run = os.getenv("CHECKIN_RUN") or "r"
  for item in string.gmatch(os.getenv("CHECKIN_CLIENTS") or "", "[^;]+") do
    local id, lat, lon = string.match(item, "([^,]+),([^,]+),([^,]+)")
    table.insert(clients, { id = id, lat = tonumber(lat), lon = tonumber(lon) })
  end
  math.randomseed(id * 7919)
end

local function body(key, c)
  local now = os.date("!%Y-%m-%dT%H:%M:%SZ")
  return string.format(
    '{"client_id":"%s","idempotency_key":"%s","device_time":"%s",' ..
    '"position":{"lat":%.6f,"lon":%.6f},"accuracy_m":15,' ..
    '"record":{"purpose":"压测走访","outcome":"客户正常用油"}}',
    c.id, key, now, c.lat + 0.0005, c.lon)
end

function request()
  if last == nil or math.random(10) ~= 1 then
    n = n + 1
    keys = keys + 1
    local key = string.format("wrk-%s-%d-%d", run, id, n)
    last = body(key, clients[math.random(#clients)])
  end
  return wrk.format("POST", "/api/v1/visits", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, last)
end

function response(status, headers, body)
  if status == 201 then
    s201 = s201 + 1
  elseif status == 200 then
    s200 = s200 + 1
  else
    other = other + 1
    if other <= 3 then io.stderr:write("status " .. status .. ": " .. body .. "\n") end
  end
end

function done(summary, latency, requests)
  local k, a, b, o = stats.sum("keys"), stats.sum("s201"), stats.sum("s200"), stats.sum("other")
  local secs = summary.duration / 1e6
  io.write(string.format("check-ins: %d requests in %.1f s = %.0f req/s; p50 %.1f ms, p99 %.1f ms\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("distinct keys sent %d; answered 201 %d, 200 (replay) %d, other %d\n",
    k, a, b, o))
  io.write(string.format("KEYS=%d CREATED=%d REPLAYED=%d OTHER=%d\n", k, a, b, o))
  stats.report(os.getenv("LOAD_NAME") or "check-in", summary, latency, o)
end
