-- GET /register/{client_id} (RFC 7592 §2.1): thread i reads its own client, line i of CLIENTS.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local S = require("summary")
local me

function setup(thread) S.setup(thread) end

function init(args)
  me = S.read_pairs(os.getenv("CLIENTS"), idx, S.nthreads)[1]
  assert(me, "no client for thread " .. idx .. " in " .. tostring(os.getenv("CLIENTS")))
end

function request()
  return wrk.format("GET", "/register/" .. me.id, { Authorization = "Bearer " .. me.token })
end

done = S.done
