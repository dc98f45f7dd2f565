-- POST /register: each request registers a new client (bench/run.sh, bench/production.mjs and
-- bench/load.sh use this one script). With POOL_DIR set, each thread appends
-- "client_id registration_access_token" of every 201 to POOL_DIR/pool.<thread>, the clients that
-- delete.lua later deletes.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local S = require("summary")

local body = '{"client_name":"bench","redirect_uris":["https://bench.example/cb"],'
  .. '"scope":"openid offline_access","grant_types":["authorization_code","refresh_token"]}'
local pool

function setup(thread) S.setup(thread) end

function init(args)
  local dir = os.getenv("POOL_DIR")
  if dir and dir ~= "" then
    pool = assert(io.open(dir .. "/pool." .. idx, "a"))
    pool:setvbuf("line")
  end
end

function request()
  return wrk.format("POST", "/register", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, resp)
  if pool and status == 201 then
    local id = S.json_string(resp, "client_id")
    local tok = S.json_string(resp, "registration_access_token")
    if id and tok then pool:write(id, " ", tok, "\n") end
  end
end

done = S.done
