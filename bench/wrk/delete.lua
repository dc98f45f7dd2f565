-- DELETE /register/{client_id} (RFC 7592 §2.3): thread i deletes its share of the clients that
-- register.lua recorded (every file POOL_DIR/pool.*, concatenated into POOL). A thread that runs
-- out sends requests that fail with 401 and counts them in "exhausted".
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local S = require("summary")
local mine, next_one = nil, 1
exhausted = 0

function setup(thread) S.setup(thread) end

function init(args)
  mine = S.read_pairs(os.getenv("POOL"), idx, S.nthreads)
end

function request()
  local c = mine[next_one]
  if c then
    next_one = next_one + 1
    return wrk.format("DELETE", "/register/" .. c.id, { Authorization = "Bearer " .. c.token })
  end
  exhausted = exhausted + 1
  return wrk.format("DELETE", "/register/AAAAAAAAAAAAAAAAAAAAAA", { Authorization = "Bearer none" })
end

done = S.done
