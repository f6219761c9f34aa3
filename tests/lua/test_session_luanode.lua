-- test_session_luanode.lua - md.node{...}, processors written in Lua:
--   - a gain in Lua equals the C gain node within float rounding (block[c][i],
--     block:get/set and block:read/write all agree);
--   - parameters reach process() (self.NAME) and follow envelopes per sample
--     (block:param(NAME, i));
--   - block.pos and block.time count timeline frames; init sees the stream;
--   - a latency declared in init is compensated like any other node's;
--   - errors in process() stop the render with the node's name and the Lua
--     position, and leave no output file; misuse is refused;
--   - the cost against the C gain is printed (scripts/bench.sh measures it).
local md = require "mixdown"
local U = dofile(os.getenv("MD_TEST_DIR") .. "/lua/session_util.lua")
local check, near = U.check, U.near
local R = 48000

local seed = 99
local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 end
local noise = U.signal(R, function() return (rnd() * 2 - 1) * 0.5 end)
local noise2 = U.signal(R, function() return (rnd() * 2 - 1) * 0.5 end)
U.write_wav(U.path("in.wav"), R, {noise, noise2})

local function render(build, name)
  local g = md.graph{rate = R}
  local x = build(g:file(U.path("in.wav")))
  x:write(U.path(name .. ".wav"), {bits = "32f"})
  local t0 = os.clock()
  g:run{progress = false}
  return U.read_wav(U.path(name .. ".wav")), os.clock() - t0
end

local function max_diff(a, b)
  local worst = 0
  for c = 1, a.channels do
    for i = 1, a.frames do worst = math.max(worst, math.abs(a[c][i] - b[c][i])) end
  end
  return worst
end

-- --- the same gain in Lua, four ways ----------------------------------------------------
local lgain = md.node{
  name = "lgain",
  params = {db = {default = 0, min = -120, max = 24, unit = "dB", doc = "level change"}},
  process = function(self, block)
    local g = 10 ^ (self.db / 20)
    for c = 1, block.channels do
      local ch = block[c]
      for i = 1, block.frames do ch[i] = ch[i] * g end
    end
  end,
}
local lgain_getset = md.node{
  params = {db = 0},
  process = function(self, block)
    local g = 10 ^ (self.db / 20)
    for c = 1, block.channels do
      for i = 1, block.frames do block:set(c, i, block:get(c, i) * g) end
    end
  end,
}
local lgain_rw = md.node{
  params = {db = 0},
  process = function(self, block)
    local g = 10 ^ (self.db / 20)
    for c = 1, block.channels do
      local t = block:read(c)
      for i = 1, #t do t[i] = t[i] * g end
      block:write(c, t)
    end
  end,
}
local cref, tc = render(function(x) return x:gain{db = -6} end, "c")
local l1, tl = render(function(x) return x:lgain{db = -6} end, "l1")
local l2 = render(function(x) return lgain_getset(x, {db = -6}) end, "l2")
local l3 = render(function(x) return lgain_rw(x, {db = -6}) end, "l3")
check("Lua gain (block[c][i]) equals the C gain within float rounding", max_diff(cref, l1) < 1e-7, max_diff(cref, l1))
check("block:get/set gives the same", max_diff(l1, l2) == 0, max_diff(l1, l2))
check("block:read/write gives the same", max_diff(l1, l3) == 0, max_diff(l1, l3))
check("a Lua node keeps the channel count and length", l1.channels == 2 and l1.frames == R)
print(string.format("     1 s stereo: C gain %.3f s, Lua gain %.3f s (%.0fx; scripts/bench.sh measures it properly)",
                    tc, tl, tl / math.max(tc, 1e-6)))

-- --- parameters, envelopes, positions, init ----------------------------------------------
do
  local seen = {}
  local probe = md.node{
    params = {level = {default = 1, min = 0, max = 2}},
    init = function(self, stream) self.stream = stream; self.positions = {} end,
    process = function(self, block)
      seen.stream = self.stream
      table.insert(self.positions, {block.pos, block.time, block.frames, self.level})
      seen.positions = self.positions
      for i = 1, block.frames do
        local v = block:param("level", i)
        for c = 1, block.channels do block[c][i] = v end
      end
    end,
  }
  local out = render(function(x) return probe(x, {level = md.envelope{ {0, 0}, {1, 2} }}) end, "probe")
  local worst = 0
  for _, k in ipairs{0, 1000, 12000, 24000, 47999} do
    worst = math.max(worst, math.abs(out[1][k + 1] - 2 * k / R))
  end
  check("an envelope on a Lua node's parameter arrives per sample (block:param)", worst < 1e-6, worst)
  check("init sees the stream (rate, channels, max_frames)", seen.stream and seen.stream.rate == R and
        seen.stream.channels == 2 and seen.stream.max_frames >= 1, seen.stream and seen.stream.rate)
  local p = seen.positions
  local consecutive = p[1][1] == 0
  for i = 2, #p do consecutive = consecutive and p[i][1] == p[i - 1][1] + p[i - 1][3] end
  check("block.pos counts timeline frames from 0, block after block", consecutive)
  check("block.time is block.pos in seconds", near(p[2][2], p[2][1] / R, 1e-12), p[2][2])
  check("self.NAME is the value at the block's first frame", near(p[2][4], 2 * p[2][1] / R, 1e-6), p[2][4])
end

-- --- a latency declared in init is compensated -------------------------------------------
do
  local D = 100
  local ldelay = md.node{
    init = function(self, s)
      self.latency = D
      self.line = {}
      for c = 1, s.channels do self.line[c] = {}; for i = 1, D do self.line[c][i] = 0 end end
      self.pos = 1
    end,
    process = function(self, block)
      local pos = self.pos
      for c = 1, block.channels do
        local line, ch = self.line[c], block[c]
        pos = self.pos
        for i = 1, block.frames do
          local y = line[pos]
          line[pos] = ch[i]
          ch[i] = y
          pos = pos % D + 1
        end
      end
      self.pos = pos
    end,
  }
  local out = render(function(x) return x:graph():mix{ldelay(x), {x:gain{db = 0}, gain = 0}} end, "lat")
  local worst = 0
  for i = 1, out.frames do worst = math.max(worst, math.abs(out[1][i] - 2 * noise[i])) end
  check("a Lua node's latency (self.latency = 100) is compensated: null below -120 dB",
        U.db(worst) < -120, U.db(worst))
  check("and the output keeps the input's length", out.frames == R, out.frames)
end

-- --- errors --------------------------------------------------------------------------------
do
  local boom = md.node{
    name = "boom",
    process = function(self, block)
      if block.pos > 10000 then error("too far") end
    end,
  }
  local g = md.graph{rate = R}
  g:file(U.path("in.wav")):boom{}:write(U.path("boom.wav"))
  local ok, err = pcall(g.run, g, {progress = false})
  check("an error in process() stops the render, naming the node and the Lua line",
        not ok and tostring(err):match("boom: .*test_session_luanode%.lua:%d+: too far$"), err)
  local f = io.open(U.path("boom.wav"))
  check("no output file after an error in process()", f == nil)
  if f then f:close() end
  -- the next render runs normally (the cancel flag was only ours)
  local out = render(function(x) return x:lgain{db = 0} end, "after")
  check("a later render is not cancelled", out.frames == R)

  local g2 = md.graph{rate = R}
  local x2 = g2:file(U.path("in.wav"))
  local inner = md.node{process = function(self, block) return g2:mix{x2} end}
  local g3 = md.graph{rate = R}
  inner(g3:file(U.path("in.wav"))):write(U.path("inner.wav"))
  local ok3, err3 = pcall(g3.run, g3, {progress = false})
  check("process() cannot build graphs", not ok3 and tostring(err3):match("cannot build, change or run graphs"), err3)

  U.checkerr("md.node needs process", "md%.node: process must be a function", md.node, {})
  U.checkerr("md.node name clashing with a built-in", "name 'gain' is taken", md.node, {name = "gain", process = print})
  U.checkerr("md.node default out of range", "params%.x: default", md.node,
             {params = {x = {default = 5, min = 0, max = 1}}, process = print})
  U.checkerr("unknown parameter of a Lua node suggests", "lgain: unknown parameter 'dbb' %(did you mean 'db'%?%)",
    function() local g4 = md.graph(); g4:file(U.path("in.wav")):lgain{dbb = 1} end)
  U.checkerr("out-of-range parameter of a Lua node", "lgain: db must be <= 24",
    function() local g4 = md.graph(); g4:file(U.path("in.wav")):lgain{db = 30} end)
  local bad_init = md.node{init = function() error("no state") end, process = print}
  U.checkerr("an error in init is reported at render", "luanode: init: .*no state",
    function()
      local g5 = md.graph{rate = R}
      bad_init(g5:file(U.path("in.wav"))):write(U.path("i.wav"))
      g5:run{progress = false}
    end)
  local kept
  local keep = md.node{process = function(self, block) kept = block end}
  local g6 = md.graph{rate = R}
  keep(g6:file(U.path("in.wav"))):write(U.path("k.wav"))
  g6:run{progress = false}
  U.checkerr("a block kept after process() refuses access", "block: used outside process%(%)",
    function() return kept[1][1] end)
  U.checkerr("... also through block:get", "block: used outside process%(%)",
    function() return kept:get(1, 1) end)
end

U.finish()
