-- wrk script: POST a distinct Telegram update per request, and print a JSON summary at the end.
-- Each thread numbers its updates from its own range, and each run from BENCH_FIRST_ID, so update_ids
-- never repeat across threads, warm-up and runs. BENCH_CHATS spreads them over that many chats.
--
-- thread_base must stay a global: setup() runs in the main Lua state and thread:set() writes a global
-- of the thread's own state. A `local thread_base` here would shadow it and every thread (and every
-- run) would number its updates from 1, answered as duplicates without an append.
local counter = 0
local chats = tonumber(os.getenv("BENCH_CHATS") or "1000")
local threads = {}

function setup(thread)
  thread:set("thread_base", (#threads + 1) * 100000000 + tonumber(os.getenv("BENCH_FIRST_ID") or "0"))
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = os.getenv("BENCH_SECRET")
end

function request()
  counter = counter + 1
  local id = thread_base + counter
  local body = string.format(
    '{"update_id":%d,"message":{"message_id":%d,"date":0,"chat":{"id":%d,"type":"private"},"text":"bench"}}',
    id, id, id % chats)
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local first = nil
  for _, thread in ipairs(threads) do
    local base = thread:get("thread_base")
    first = first and math.min(first, base + 1) or base + 1
  end
  io.write(string.format(
    '{"requests":%d,"seconds":%f,"non_2xx":%d,"socket_errors":%d,"p50_ms":%f,"p99_ms":%f,"first_update_id":%d}\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, first))
end
