-- wrk script for the operations the peer's gql.lua cannot express: the
-- official client's GetCustomerById document (Q4) and the write path (W1).
-- It sends one GraphQL document over and over with variables made from a
-- JSON template, and checks and reports every answer exactly as gql.lua
-- does (same RESULT line), so scripts/bench.sh parses both alike.
--
-- Configured through the environment:
--   GQL_LABEL       name printed in the RESULT line (e.g. Q4)
--   GQL_QUERY_FILE  file holding the GraphQL document
--   GQL_VARS_JSON   the variables, as JSON text in which
--                     {ref}  becomes a random line of GQL_REFS_FILE
--                     {seq}  becomes a value no other request of the run
--                            uses: GQL_NONCE, the thread and a counter
--   GQL_REFS_FILE   file with one customer ref id a line (when {ref} is used)
--   GQL_NONCE       prefix of {seq}; give each wrk run its own (a warm-up
--                   and the measured run write different customers)

local function env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return v
end

local function read_all(path)
  local f = assert(io.open(path, "r"), "cannot open " .. path)
  local s = f:read("*a")
  f:close()
  return s
end

local function json_string(s)
  s = s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"'
    elseif c == '\\' then return '\\\\'
    elseif c == '\n' then return '\\n'
    elseif c == '\t' then return '\\t'
    elseif c == '\r' then return '\\r'
    else return string.format('\\u%04x', c:byte()) end
  end)
  return '"' .. s .. '"'
end

local label = env("GQL_LABEL", "operation")
local query = json_string(read_all((assert(os.getenv("GQL_QUERY_FILE"), "GQL_QUERY_FILE not set"))))
local template = env("GQL_VARS_JSON", "{}")
local nonce = env("GQL_NONCE", tostring(os.time()))

local refs = {}
if template:find("{ref}", 1, true) then
  for line in io.lines((assert(os.getenv("GQL_REFS_FILE"), "GQL_REFS_FILE not set"))) do
    if line ~= "" then refs[#refs + 1] = line end
  end
  assert(#refs > 0, "no ref ids")
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

local threads = {}
function setup(thread)
  thread:set("thread_no", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  math.randomseed(7919 * (thread_no or 1))
  bad_status, gql_errors, checked, counter = 0, 0, 0, 0
end

function request()
  counter = counter + 1
  local seq = nonce .. "-" .. (thread_no or 1) .. "-" .. counter
  local vars = template:gsub("{(%a+)}", function(name)
    if name == "ref" then return refs[math.random(#refs)] end
    if name == "seq" then return seq end
  end)
  return wrk.format(nil, nil, nil, '{"query":' .. query .. ',"variables":' .. vars .. '}')
end

function response(status, headers, body)
  checked = checked + 1
  if status ~= 200 then
    bad_status = bad_status + 1
  elseif body:find('"errors"', 1, true) or not body:find('"data"', 1, true) then
    gql_errors = gql_errors + 1
  end
end

function done(summary, latency, requests)
  local bad, gerr, chk = 0, 0, 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("bad_status") or 0)
    gerr = gerr + (t:get("gql_errors") or 0)
    chk = chk + (t:get("checked") or 0)
  end
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT label=%s requests=%d duration_s=%.2f rps=%.1f mean_ms=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
    "bytes_per_req=%d non200=%d gql_errors=%d checked=%d sock_connect=%d sock_read=%d sock_write=%d sock_timeout=%d\n",
    label, summary.requests, secs, summary.requests / secs, latency.mean / 1000,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests > 0 and math.floor(summary.bytes / summary.requests) or 0,
    bad, gerr, chk, e.connect, e.read, e.write, e.timeout))
end
