-- wrk script for bench/scale/run: bench/ingest/post_signed.lua, with wrk's threads spread over
-- several journeyd instances (thread i posts to instance (i - 1) % N), so that one wrk run
-- loads every instance and reports one rate and one latency histogram for all of them.
--
--   SCALE_POST_SIGNED=bench/ingest/post_signed.lua SCALE_ADDRS="127.0.0.1:p1 127.0.0.1:p2" \
--     wrk -t4 -c64 ... -s post_spread.lua http://127.0.0.1:p1 -- BODY_FILE HMAC_BASE64 [TAG] [PATH]
--
-- The arguments and the BENCH line are post_signed.lua's. Give wrk a thread count that is a
-- multiple of the number of instances, so each gets the same share of the connections.

dofile(assert(os.getenv("SCALE_POST_SIGNED"), "SCALE_POST_SIGNED is not set"))

local targets = {}
for hostport in string.gmatch(assert(os.getenv("SCALE_ADDRS"), "SCALE_ADDRS is not set"), "%S+") do
  local host, port = hostport:match("^(.+):(%d+)$")
  assert(host, "SCALE_ADDRS: not host:port: " .. hostport)
  table.insert(targets, wrk.lookup(host, port)[1])
end
assert(#targets > 0, "SCALE_ADDRS names no instance")

local signed_setup = setup
local spread = 0
function setup(thread)
  signed_setup(thread)
  thread.addr = targets[spread % #targets + 1]
  spread = spread + 1
end
