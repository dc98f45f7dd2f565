-- PUT /register/{client_id} (RFC 7592 §2.2) with token rotation: thread i owns client i of
-- CLIENTS and always presents the registration access token of its latest 200, since each
-- successful PUT rotates it. One connection per thread keeps requests and responses in turn.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local S = require("summary")
local me, body, n = nil, nil, 0

function setup(thread) S.setup(thread) end

function init(args)
  me = S.read_pairs(os.getenv("CLIENTS"), idx, S.nthreads)[1]
  assert(me, "no client for thread " .. idx .. " in " .. tostring(os.getenv("CLIENTS")))
end

function request()
  n = n + 1
  body = '{"client_id":"' .. me.id .. '","client_name":"bench update ' .. n .. '",'
    .. '"redirect_uris":["https://bench.example/cb"],"scope":"openid offline_access",'
    .. '"grant_types":["authorization_code","refresh_token"]}'
  return wrk.format("PUT", "/register/" .. me.id, {
    Authorization = "Bearer " .. me.token,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, resp)
  if status == 200 then
    me.token = S.json_string(resp, "registration_access_token") or me.token
  end
end

done = S.done
