-- wrk script: MCP `tools/call get_lead` over Streamable HTTP, one random lead per request, in
-- one session opened beforehand. Used by bench/point_read.sh and bench/mcp.sh.
-- Environment: BENCH_IDS (a file of lead ids, one a line), BENCH_KEY (API key),
-- BENCH_MCP_SESSION (the Mcp-Session-Id the server gave the initialize).
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
math.randomseed(7)
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Mcp-Session-Id"] = os.getenv("BENCH_MCP_SESSION")
wrk.headers["MCP-Protocol-Version"] = "2025-06-18"
local n = 0
request = function()
  n = n + 1
  local body = '{"jsonrpc":"2.0","id":' .. n ..
    ',"method":"tools/call","params":{"name":"get_lead","arguments":{"id":"' ..
    ids[math.random(#ids)] .. '"}}}'
  return wrk.format("POST", "/mcp", nil, body)
end
