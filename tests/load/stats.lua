-- Shared by the wrk scripts here: numbered threads, a count of answers that are not 2xx, and
-- one RESULT line per run with the exact latency percentiles from wrk's histogram.
--   local stats = dofile(<this directory> .. "stats.lua")
-- The script is loaded once per thread and once more for setup() and done(); each load has
-- its own globals, so counters are globals that done() reads from every thread.

local stats = {}
local threads = {}
local counter = 1

-- Numbers each thread (its global `id`, from 1) and keeps it for done().
function stats.setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

-- The sum of global `name` over the threads.
function stats.sum(name)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + (t:get(name) or 0)
  end
  return total
end

-- Counts an answer that is not 2xx in the global `bad`, showing the first few.
bad = 0
function stats.response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if bad <= 3 then
      io.stderr:write(string.format("status %d: %s\n", status, string.sub(body or "", 1, 300)))
    end
  end
end

-- Prints `RESULT name requests=… rps=… p50_ms=… p90_ms=… p99_ms=… max_ms=… non2xx=… errors=…`,
-- `non2xx` being the answers that were not 2xx and `errors` the sockets that failed or timed out.
function stats.report(name, summary, latency, non2xx)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT %s requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f " ..
    "max_ms=%.2f non2xx=%d errors=%d\n",
    name, summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    non2xx, e.connect + e.read + e.write + e.timeout))
end

return stats
