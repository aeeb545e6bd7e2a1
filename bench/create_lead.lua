-- wrk script: POST /api/v1/leads with a lead no other request sends (unique e-mail, source_id
-- and phone per thread and request, and per run), so every request takes the full dedup path
-- and creates. Used by bench/ingest.sh and bench/ab.sh (the key comes from wrk's -H).
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
-- The phone is a valid North American number drawn for the run (area code) and thread
-- (exchange), so a later run on the same database does not send an earlier run's phones (they
-- would take the phone tier and merge, timing merges instead of creates). With
-- CREATE_PHONES=random in wrk's environment, the exchange and line are drawn per request instead
-- (numbers spread over the whole area code rather than one exchange filled in sequence).
local random_phones = os.getenv("CREATE_PHONES") == "random"
function init(args)
  n = 0
  math.randomseed(os.time() + tid * 7919)
  run = tostring(os.time()) .. tostring(math.random(1000000))
  local areas = {212, 213, 305, 312, 415, 617, 646, 702, 713, 718, 773, 818, 917, 972, 206,
                 303, 404, 503, 512, 602}
  area = areas[math.random(#areas)]
  exchange = 200 + (tid * 97 + math.random(0, 799)) % 800
end
request = function()
  n = n + 1
  local k = run .. "-" .. tid .. "-" .. n
  local line = n % 10000
  if line == 0 then exchange = 200 + (exchange - 199) % 800 end
  if random_phones then
    exchange = math.random(200, 999)
    line = math.random(0, 9999)
  end
  local body = '{"name":"Bench Co ' .. k .. '","source":"bench","email":"b' .. k ..
    '@bench.example","phone":"+1 ' .. string.format("%03d %03d %04d", area, exchange, line) ..
    '","city":"Paris","source_id":"s' .. k .. '","rating":4.5,"tags":["bench"]}'
  return wrk.format("POST", "/api/v1/leads", nil, body)
end
