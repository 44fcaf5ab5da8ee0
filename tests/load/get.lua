-- wrk script: GET requests, optionally signed in, counting answers that are not 2xx.
--   LOAD_NAME        the name on the RESULT line (default "get")
--   LOAD_TOKEN       bearer token (none: no Authorization header)
--   LOAD_PATHS_FILE  a file of paths, one a line, that each thread cycles through from its own
--                    starting point (none: the path of wrk's URL, every time)
-- Without a paths file the request is built once, as wrk does for a plain URL.

local dir = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
local stats = dofile(dir .. "stats.lua")

setup = stats.setup
response = stats.response

local paths = {}
local next_path = 1

function init(args)
  local token = os.getenv("LOAD_TOKEN")
  if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  local file = os.getenv("LOAD_PATHS_FILE")
  if file and file ~= "" then
    for line in io.lines(file) do
      if line ~= "" then table.insert(paths, line) end
    end
    assert(#paths > 0, "no paths in " .. file)
    next_path = (id * 7919) % #paths + 1
  end
end

if os.getenv("LOAD_PATHS_FILE") then
  function request()
    local path = paths[next_path]
    next_path = next_path % #paths + 1
    return wrk.format("GET", path)
  end
end

function done(summary, latency, requests)
  stats.report(os.getenv("LOAD_NAME") or "get", summary, latency, stats.sum("bad"))
end
