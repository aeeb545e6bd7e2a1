-- wrk script: POST /api/v1/leads with a lead no other request sends (unique e-mail, source_id
-- and phone per thread and request, and per run), so every request takes the full dedup path
-- and creates. Used by bench/ingest.sh and bench/ab.sh (the key comes from wrk's -H).
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) n = 0; run = tostring(os.time()) .. tostring(math.random(1000000)) end
request = function()
  n = n + 1
  local k = run .. "-" .. tid .. "-" .. n
  local body = '{"name":"Bench Co ' .. k .. '","source":"bench","email":"b' .. k ..
    '@bench.example","phone":"+1 212 ' .. string.format("%03d %04d", tid, n % 10000) ..
    '","city":"Paris","source_id":"s' .. k .. '","rating":4.5,"tags":["bench"]}'
  return wrk.format("POST", "/api/v1/leads", nil, body)
end
