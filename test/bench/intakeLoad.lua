-- wrk script of intake.bench.ts: POST /v1/withdrawals with a new Idempotency-Key on every request
-- (a retried key would be answered from the stored row, which is not what is measured).
-- Arguments after `--`: the bearer token, a file with one JSON body per line, and a prefix for the
-- keys (each run on the same server takes its own).
-- Prints one JSON line at the end: requests answered 201, and the other answers.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token = args[1]
  bodies = {}
  for line in io.lines(args[2]) do
    table.insert(bodies, line)
  end
  prefix = args[3]
  counter = 0
  created = 0
  other = 0
  last_other = 0
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/v1/withdrawals", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. "-" .. id .. "-" .. counter,
  }, bodies[(counter % #bodies) + 1])
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    other = other + 1
    last_other = status
  end
end

function done(summary, latency, requests)
  local total_created, total_other, status = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_created = total_created + thread:get("created")
    total_other = total_other + thread:get("other")
    if thread:get("last_other") ~= 0 then status = thread:get("last_other") end
  end
  io.write(string.format(
    '{"created":%d,"other":%d,"otherStatus":%d,"microseconds":%d,"socketErrors":%d}\n',
    total_created, total_other, status, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
