-- wrk script for bench/ingest/run: POSTs one signed Shopify orders/create webhook per request.
--
--   wrk ... -s post_signed.lua URL -- BODY_FILE HMAC_BASE64 [RUN_TAG] [PATH]
--
-- wrk's Lua has no HMAC, so the driver signs the body once (X-Shopify-Hmac-Sha256 covers the raw
-- body only). Uniqueness lives in X-Shopify-Webhook-Id, journeyd's idempotency key, which is not
-- signed: each request gets "<run tag>-t<thread>-<counter>", so ids never repeat across threads
-- and every request is a new event rather than a duplicate.
--
-- done() prints one machine-readable line, "BENCH key=value ...", for the driver to parse:
-- rps, p50_ms, p99_ms (wrk's latency histogram), responses, ok_2xx, non_2xx (status codes are
-- counted in response()), sent (requests handed to wrk, including any still in flight when the
-- run ended) and wrk's socket error counters.

local threads = {}
local next_thread_id = 0

function setup(thread)
  next_thread_id = next_thread_id + 1
  thread:set("thread_id", next_thread_id)
  table.insert(threads, thread)
end

local prefix, suffix
-- Per-thread counters; globals so that done() can read them with thread:get().
sent, responses, ok_2xx, last_bad_status = 0, 0, 0, 0

function init(args)
  local body_file, signature = args[1], args[2]
  local run_tag, path = args[3] or tostring(os.time()), args[4] or "/webhooks/shopify"
  if not body_file or not signature then
    error("usage: wrk ... -s post_signed.lua URL -- BODY_FILE HMAC_BASE64 [RUN_TAG] [PATH]")
  end
  local f = assert(io.open(body_file, "rb"))
  local body = f:read("*a")
  f:close()

  -- Format the request once with a placeholder id, then splice a fresh id in per request.
  local placeholder = "@@WEBHOOK_ID@@"
  local raw = wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["X-Shopify-Topic"] = "orders/create",
    ["X-Shopify-Shop-Domain"] = "bench.myshopify.com",
    ["X-Shopify-Hmac-Sha256"] = signature,
    ["X-Shopify-Webhook-Id"] = placeholder,
  }, body)
  local at = raw:find(placeholder, 1, true)
  prefix = raw:sub(1, at - 1) .. run_tag .. "-t" .. thread_id .. "-"
  suffix = raw:sub(at + #placeholder)
end

function request()
  sent = sent + 1
  return prefix .. sent .. suffix
end

function response(status, headers, body)
  responses = responses + 1
  if status >= 200 and status < 300 then
    ok_2xx = ok_2xx + 1
  else
    last_bad_status = status
  end
end

function done(summary, latency, requests)
  local total_sent, total_responses, total_ok, bad_status = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    total_sent = total_sent + t:get("sent")
    total_responses = total_responses + t:get("responses")
    total_ok = total_ok + t:get("ok_2xx")
    local s = t:get("last_bad_status")
    if s ~= 0 then bad_status = s end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH rps=%.1f p50_ms=%.3f p99_ms=%.3f responses=%d ok_2xx=%d non_2xx=%d " ..
    "last_non_2xx_status=%d sent=%d duration_s=%.2f " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    total_responses, total_ok, total_responses - total_ok, bad_status, total_sent, seconds,
    e.connect, e.read, e.write, e.timeout))
end
