-- Shared by the wrk scripts of bench/run.sh: one wrk thread per connection (-t N -c N), so each
-- thread's Lua state sees its own connection's requests and responses strictly in turn.
-- `done` prints one machine-readable line that bench/run.sh parses.
local M = {}

M.threads = {}
local next_index = 0

-- Gives each thread an index (global `idx` inside the thread). wrk calls setup and then init of
-- each thread before creating the next, so the thread count comes from NTHREADS, not from here.
function M.setup(thread)
  thread:set("idx", next_index)
  next_index = next_index + 1
  table.insert(M.threads, thread)
end

M.nthreads = tonumber(os.getenv("NTHREADS") or "") or 1

-- Reads "client_id token" lines; returns those whose line number modulo `n` is `i`.
function M.read_pairs(path, i, n)
  local pairs_ = {}
  local f = path and io.open(path, "r")
  if not f then return pairs_ end
  local line_no = 0
  for line in f:lines() do
    local id, tok = line:match("^(%S+)%s+(%S+)$")
    if id then
      if line_no % n == i then table.insert(pairs_, { id = id, token = tok }) end
      line_no = line_no + 1
    end
  end
  f:close()
  return pairs_
end

function M.json_string(body, member)
  return body and body:match('"' .. member .. '"%s*:%s*"([^"]+)"')
end

function M.done(summary, latency, requests)
  local e = summary.errors
  local extra = 0
  for _, t in ipairs(M.threads) do extra = extra + (tonumber(t:get("exhausted")) or 0) end
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,'
      .. '"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"exhausted":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, extra))
end

return M
