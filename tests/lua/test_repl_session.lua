-- The REPL's session functions (mixdown.repl) without a terminal: open,
-- render (a fresh graph per job, nothing accumulates in the sketch), set and
-- again, analyze, compare, ab, help and how results print. Levels are
-- checked against values computed here from the signal's definition.
-- Run: mixdown run tests/lua/test_repl_session.lua
local R = require "mixdown.repl"
local md = require "mixdown"

local pass, fail = 0, 0
local function ok(cond, what)
  if cond then pass = pass + 1 else fail = fail + 1; print("FAIL " .. what) end
end
local function near(got, want, tol, what)
  ok(type(got) == "number" and math.abs(got - want) <= tol,
     string.format("%s: got %s, want %.4f +- %g", what, tostring(got), want, tol))
end
-- the error message of f(...), matched whole (position included)
local function checkerr(pattern, f, ...)
  local good, err = pcall(f, ...)
  ok(not good and type(err) == "string" and err:match(pattern),
     string.format("error %q does not match %q", tostring(err), pattern))
end
-- what f(...) writes with io.write
local function output(f, ...)
  local buf, write = {}, io.write
  io.write = function(...) for _, s in ipairs{...} do buf[#buf + 1] = tostring(s) end end
  local good, err = pcall(f, ...)
  io.write = write
  if not good then error(err, 0) end
  return table.concat(buf)
end
local function db(x) return 20 * math.log(x, 10) end

local dir = io.popen("mktemp -d /tmp/mixdown-repl-lua.XXXXXX"):read("l")
local function path(name) return dir .. "/" .. name end

local function main()
  -- a 2 s stereo sine at -6 dBFS peak
  local gen = md.graph()
  gen:sine{freq = 997, db = -6, duration = 2, channels = 2}:write(path("in.wav"), {bits = 24})
  gen:run{progress = false}
  local in_lufs = md.analyze(path("in.wav")).integrated_lufs

  -- open: a source node in the sketch graph
  local x = open(path("in.wav"))
  ok(md.is_node(x) and x:type() == "file", "open returns a file node")
  checkerr("^open: .*nope%.wav", open, path("nope.wav"))

  -- render twice from one chain, then set + again
  local y = x:gain{db = -6}
  local f1 = render(y, path("a.wav"))
  local f2 = render(y, path("b.wav"), {bits = 16})
  near(md.analyze(path("a.wav")).sample_peak_dbfs, -12, 0.01, "render a.wav peak")
  near(md.analyze(path("b.wav")).sample_peak_dbfs, -12, 0.01, "render b.wav peak (16 bits)")
  ok(md.probe(path("b.wav")).subtype == "PCM_16", "render passes write options")
  ok(tostring(f1):match("a%.wav: WAV PCM_24, 48000 Hz, 2 channels, 2%.000 s, %-?[%d.]+ LUFS"),
     "a rendered file prints format and loudness: " .. tostring(f1))
  ok(x:graph():info().nodes == 2, "the sketch graph keeps only the user's nodes, got "
     .. x:graph():info().nodes)
  set(y, "db", -12)
  again()
  near(md.analyze(path("b.wav")).sample_peak_dbfs, -18, 0.01, "again() after set(): b.wav peak")
  checkerr("render: .*in%.wav is an input of this chain", render, y, path("in.wav"))
  checkerr("^set: argument #1 must be a node, got number", set, 1, "db", 2)
  checkerr("gain: db must be", set, y, "db", 1000)

  -- a mix of two chains (its input table is replayed with the gain)
  local s1 = open(path("in.wav"))
  local s2 = open(path("in.wav"))
  local mixed = md.graph() -- a graph of the user's own works too
  local a, b = mixed:file(path("in.wav")), mixed:file(path("in.wav"))
  local m = mixed:mix{a, {b, gain = -6}}
  render(m, path("mix.wav"))
  near(md.analyze(path("mix.wav")).sample_peak_dbfs, -6 + db(1 + 10 ^ (-6 / 20)), 0.01,
       "mix of a sine and itself at -6 dB")
  render(s1:gain{db = -1}, path("c.wav"))
  near(md.analyze(path("c.wav")).sample_peak_dbfs, -7, 0.01, "a second open() of the same file")
  ok(s2 ~= s1, "open gives a new node each time")

  -- analyze and compare: a gain of -6 dB moves every level by -6
  local r = analyze(y)
  near(r.integrated_lufs, in_lufs - 12, 0.02, "analyze(chain) integrated loudness")
  near(r.sample_peak_dbfs, -18, 0.01, "analyze(chain) sample peak")
  ok(tostring(r):match("integrated loudness%s+%-?[%d.]+ LUFS"), "analysis prints as a table")
  local c = compare(x, y)
  near(c.diff.integrated_lufs, -12, 0.02, "compare: loudness difference")
  near(c.diff.rms_dbfs, -12, 0.02, "compare: rms difference")
  ok(tostring(c):match("difference"), "comparison prints a table")

  -- ab: the louder side comes down to the quieter one's loudness
  local pair = ab(x, y, path("pair"))
  local la = md.analyze(path("pair.A.wav")).integrated_lufs
  local lb = md.analyze(path("pair.B.wav")).integrated_lufs
  near(la, lb, 0.05, "ab: A and B at the same loudness")
  near(lb, in_lufs - 12, 0.05, "ab: the quieter side unchanged")
  ok(tostring(pair):match("pair%.A%.wav"), "ab prints its files")

  -- a Lua method's chain (x:loudness{}) is replayed with its multi-pass run
  local loud = x:gain{db = -10}:loudness{target = -20, ceiling = -1}
  render(loud, path("loud.wav"))
  near(md.analyze(path("loud.wav")).integrated_lufs, -20, 0.1, "loudness chain rendered again")

  -- errors raised through the recording wrappers keep the caller's position
  checkerr("^[^:]*test_repl_session%.lua:%d+: compressor: ratio must be >= 1", function()
    local bad = x:compressor{ratio = 0.5}
    return bad
  end)
  checkerr("^[^:]*test_repl_session%.lua:%d+: unknown node 'compresor' %(did you mean 'compressor'%?%)",
           function()
    local bad = x:compresor{}
    return bad
  end)

  checkerr("^[^:]*test_repl_session%.lua:%d+: render: argument #1 must be a node, a file or a path, got number",
           function() render(1, path("x.wav")) end)
  checkerr("^[^:]*test_repl_session%.lua:%d+: open: ", function() open(path("nope.wav")) end)

  -- printing
  local shown = R.show_value(y)
  ok(shown:match("in%.wav\n  %-> gain{db = %-12}\nplan: graph: 3 nodes"), "a chain prints with its plan:\n"
     .. shown)
  ok(R.show_value(x):match("in%.wav: WAV PCM_24, 48000 Hz, 2 channels, 2%.000 s"), "a file node prints its format")
  ok(R.show_value({1, 2, k = "v"}) == '{1, 2, k = "v"}', "plain tables print their contents")

  -- help
  local h = output(help, "limiter")
  ok(h:match("ceiling%s+dB%s+%-30%.%.0%s+%-1"), "help limiter: " .. h)
  ok(output(help, y):match("^gain %(processor%)"), "help(node)")
  ok(output(help, render):match("^render%(node, path"), "help(function)")
  ok(output(help, "recipe"):match("build = function%(x, p%)"), "help recipe")
  ok(output(help, "presets"):match("[Pp]resets"), "help presets")
  ok(output(help):match("open \"song%.wav\""), "help()")
  ok(output(help, "rendr"):match("did you mean 'render'"), "help suggests a topic")

  -- preset: the presets module is built at the same time; either it loads or says why
  local good, p = pcall(preset, "pop")
  if good then
    ok(tostring(p):match("preset"), "preset prints")
    local py = p(x)
    ok(md.is_node(py), "a preset applied gives a node")
  else
    ok(p:match("preset") ~= nil, "preset error names presets: " .. tostring(p))
  end
end

-- the temporary directory goes, whatever happens in main
local good, err = pcall(main)
os.execute("rm -rf '" .. dir .. "'")
if not good then error(err, 0) end
print(string.format("%d passed, %d failed", pass, fail))
if fail > 0 then os.exit(1) end
