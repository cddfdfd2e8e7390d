-- wrk script: StartFlow on flow "bench" with a fresh clientToken per request.
-- Usage: wrk -s benches/fresh_tokens.lua URL -- RUN_LABEL
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  prefix = "wrk-" .. (args[1] or "0") .. "-" .. tostring(id) .. "-"
  counter = 0
end
function request()
  counter = counter + 1
  return wrk.format("POST", "/start-flow", { ["Content-Type"] = "application/json" },
    '{"flowName":"bench","clientToken":"' .. prefix .. counter .. '"}')
end
