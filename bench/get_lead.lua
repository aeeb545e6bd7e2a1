-- wrk script: GET /api/v1/leads/{id} of a random lead. Environment: BENCH_IDS (a file of lead
-- ids, one a line), BENCH_KEY (API key; unset: no key, as bench/bare_server takes none).
-- Used by bench/run.sh, bench/point_read.sh, bench/mcp.sh and bench/postgres.sh.
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
math.randomseed(7)
local key = os.getenv("BENCH_KEY")
if key and key ~= "" then wrk.headers["X-API-Key"] = key end
request = function()
  return wrk.format("GET", "/api/v1/leads/" .. ids[math.random(#ids)])
end
