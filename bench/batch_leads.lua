-- wrk script: POST /api/v1/leads/batch of 500 leads shaped like users' data, the rows of
-- bench/import_csv.sh and bench/ingest_ceiling.sh (row i here is their row i, field for field:
-- name, source, e-mail, phone, city, status, coordinates, rating, review count, tags, the
-- `employees` number and the `profile` attribute holding text, bool, list or number). Used by
-- bench/batch_ratio.sh, bench/ingest.sh and bench/ab.sh (the key comes from wrk's -H). Batch
-- create does not deduplicate; distinct rows keep the indexes growing as users' imports do (one
-- body sent again and again would insert the same 500 e-mails and phones over and over).
-- Env: BATCH_FIRST, the first row number (bench/batch_ratio.sh passes the account's size, so
-- the rows continue the ceiling's; default a random number from 10^8 on, distinct between runs
-- in practice); BATCH_THREADS, wrk's -t (default 2): thread t of T sends rows first + t - 1,
-- first + t - 1 + T, ... so the run's rows are dense.
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args)
  n = 0
  first = tonumber(os.getenv("BATCH_FIRST") or "")
  if not first then math.randomseed(os.time()); first = 100000000 + math.random(0, 899) * 1000000 end
  stride = tonumber(os.getenv("BATCH_THREADS") or "") or 2
end
local statuses = {"new", "contacted", "qualified", "disqualified", "converted"}
local cities = {"Lisbon", "Porto", "Berlin", "Paris", "Madrid", "Rome", "Vienna", "Prague"}
local areas = {"212", "646", "415", "312", "617", "305", "206", "303"}
local function profile(i)
  local k = i % 4
  if k == 0 then return '{"name":"profile","type":"text","value":"Software ' .. (i % 37) .. '"}' end
  if k == 1 then return '{"name":"profile","type":"bool","value":true}' end
  if k == 2 then return '{"name":"profile","type":"list","value":["web","mail"]}' end
  return '{"name":"profile","type":"number","value":' .. (1950 + i % 70) .. '}'
end
request = function()
  local leads = {}
  for j = 1, 500 do
    local i = first + n * stride + (tid - 1)
    n = n + 1
    leads[j] = string.format('{"name":"Import Co %d","source":"import","email":"imp%d@example.com",' ..
      '"phone":"+1 %s %03d %04d","city":"%s","status":"%s","latitude":%.4f,"longitude":%.4f,' ..
      '"rating":%.1f,"review_count":%d,"tags":["a","t%d"],"attributes":[' ..
      '{"name":"employees","type":"number","value":%d},%s]}',
      i, i, areas[math.floor(i / 10000) % 8 + 1], 201 + math.floor(i / 80000) % 700, i % 10000,
      cities[i % 8 + 1], statuses[i % 5 + 1], 36 + (i * 7 % 1500) / 100, -9 + (i * 13 % 2000) / 100,
      (i * 17 % 50) / 10, i * 31 % 2000, i % 9, i * 53 % 5000, profile(i))
  end
  return wrk.format("POST", "/api/v1/leads/batch", nil, '{"leads":[' .. table.concat(leads, ",") .. ']}')
end
