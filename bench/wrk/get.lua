-- A plain GET of the URL given to wrk, with Authorization from the AUTH variable if set (the admin
-- listing: GET /admin/clients?limit=20).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local S = require("summary")

function setup(thread) S.setup(thread) end

local auth = os.getenv("AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = "Bearer " .. auth end

done = S.done
