-- wrk script: POST /api/v1/leads/batch of 500 leads shaped like users' data and like the rows
-- of bench/ingest_ceiling.sh and bench/import_csv.sh: distinct names, e-mails and (valid North
-- American) phones in every request, five statuses, eight cities, coordinates, spread ratings,
-- tags, a number attribute and one of text, bool, list or number. Used by bench/ingest.sh and
-- bench/ab.sh (the key comes from wrk's -H). Batch create does not deduplicate; distinct rows
-- keep the indexes growing as users' imports do (one body sent again and again would insert the
-- same 500 e-mails and phones over and over).
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) n = 0; run = tostring(os.time()) .. tostring(math.random(1000000)) end
local statuses = {"new", "contacted", "qualified", "disqualified", "converted"}
local cities = {"Berlin", "Paris", "Lisbon", "Madrid", "Rome", "Vienna", "Prague", "Warsaw"}
local areas = {"212", "646", "415", "312", "617", "305", "206", "303"}
local function profile(i)
  local k = i % 4
  if k == 0 then return '{"name":"industry","type":"text","value":"Software ' .. (i % 37) .. '"}' end
  if k == 1 then return '{"name":"verified","type":"bool","value":true}' end
  if k == 2 then return '{"name":"channels","type":"list","value":["web","mail"]}' end
  return '{"name":"founded","type":"number","value":' .. (1950 + i % 70) .. '}'
end
request = function()
  local leads = {}
  for j = 1, 500 do
    n = n + 1
    local k = run .. "-" .. tid .. "-" .. n
    leads[j] = string.format('{"name":"Batch Co %s","source":"bench","email":"b%s@bench.example",' ..
      '"phone":"+1 %s %03d %04d","city":"%s","status":"%s","latitude":%.4f,"longitude":%.4f,' ..
      '"rating":%.1f,"review_count":%d,"tags":["bench","t%d"],"attributes":[' ..
      '{"name":"employees","type":"number","value":%d},%s]}',
      k, k, areas[(tid - 1) % 8 + 1], 201 + math.floor(n / 10000) % 700, n % 10000,
      cities[n % 8 + 1], statuses[n % 5 + 1], 40 + (n * 7 % 1500) / 100, -5 + (n * 13 % 2000) / 100,
      (n * 17 % 50) / 10, n * 31 % 2000, n % 9, n * 53 % 5000, profile(n))
  end
  return wrk.format("POST", "/api/v1/leads/batch", nil, '{"leads":[' .. table.concat(leads, ",") .. ']}')
end
