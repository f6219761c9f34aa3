-- test_session_mix.lua - routing in sessions:
--   - mute and solo (tone levels by Goertzel: a muted track's tone is gone,
--     the others stay at their level; solo keeps returns, not other sends);
--   - latency compensation: a track through a lookahead limiter plus a dry
--     parallel send (tap = "input") sums to exactly twice the input (null
--     test below -100 dB);
--   - a send to a reverb return adds a tail beyond the input's end;
--   - pre- and post-fader sends, buses and nested buses, the pan law;
--   - errors: unknown keys, buses, loops, nothing to mix.
local md = require "mixdown"
local S = require "mixdown.session"
local U = dofile(os.getenv("MD_TEST_DIR") .. "/lua/session_util.lua")
local check, near = U.check, U.near
local R = 48000

-- three stereo tones at known amplitudes, written here
local tones = {a = {200, 0.2}, b = {500, 0.1}, c = {1300, 0.05}}
for name, t in pairs(tones) do
  local x = U.signal(R, function(k) return t[2] * math.sin(2 * math.pi * t[1] * k / R) end)
  U.write_wav(U.path(name .. ".wav"), R, {x, x})
end

local function render(name, spec, opts)
  local out = U.path(name .. ".wav")
  opts = opts or {}
  opts.out, opts.write, opts.dir, opts.file, opts.progress = out, {bits = "32f"}, U.dir, name .. ".lua", false
  S.render(spec, opts)
  return U.read_wav(out)
end

local function three(extra)
  local spec = {rate = R, tracks = {
    {name = "a", file = "a.wav"}, {name = "b", file = "b.wav"}, {name = "c", file = "c.wav"}}}
  for i, e in pairs(extra or {}) do for k, v in pairs(e) do spec.tracks[i][k] = v end end
  return spec
end

local function levels(out)
  local r = {}
  for name, t in pairs(tones) do r[name] = U.tone_db(out[1], R, t[1], 4801, 43200) end
  return r
end

-- --- mute and solo -------------------------------------------------------------------
do
  local all = levels(render("all", three()))
  local ok = true
  for name, t in pairs(tones) do ok = ok and near(all[name], U.db(t[2]), 0.05) end
  check("all tracks on: each tone at its level", ok, string.format("%.2f %.2f %.2f", all.a, all.b, all.c))

  local m = levels(render("mute", three{[2] = {mute = true}}))
  check("mute: the muted tone is gone (< -100 dB)", m.b < -100, m.b)
  check("mute: the others keep their level", near(m.a, all.a, 0.01) and near(m.c, all.c, 0.01))

  local s = levels(render("solo", three{[3] = {solo = true}}))
  check("solo: only the soloed tone plays", s.a < -100 and s.b < -100 and near(s.c, all.c, 0.01),
        string.format("%.1f %.1f %.1f", s.a, s.b, s.c))

  local s2 = levels(render("solo2", three{[1] = {solo = true}, [2] = {solo = true}}))
  check("two solos: both play, the third is silent", near(s2.a, all.a, 0.01) and near(s2.b, all.b, 0.01) and s2.c < -100)

  -- a return stays with solo; the sends of unsoloed tracks go silent with them
  local spec = three{[1] = {solo = true, sends = { {to = "fx", level = -6} }},
                     [2] = {sends = { {to = "fx", level = 0} }}}
  spec.buses = { {name = "fx"} }
  local r = levels(render("solo_return", spec))
  check("solo: a soloed track's send reaches its return (a at +(-6 dB) on top)",
        near(r.a, U.db(0.2 * (1 + 10 ^ (-6 / 20))), 0.02), r.a)
  check("solo: an unsoloed track's send is silent too", r.b < -100, r.b)

  -- from the command line's --solo/--mute (names checked)
  local cl = levels(render("cli_mute", three(), {mute = {"a", "c"}}))
  check("opts.mute silences tracks by name", cl.a < -100 and cl.c < -100 and near(cl.b, all.b, 0.01))
  U.checkerr("--solo with an unknown name suggests one", "%-%-solo: no track or bus named 'bb' %(did you mean 'b'%?%)",
    function() render("x", three(), {solo = {"bb"}}) end)
  U.checkerr("every track muted: nothing to mix", "nothing to mix: every track is muted",
    function() render("x", three{{mute = true}, {mute = true}, {mute = true}}) end)
end

-- --- latency compensation: limiter + dry parallel send, null test ----------------------
do
  -- seeded noise at -20 dBFS RMS: its peaks stay under the limiter's 0 dB ceiling,
  -- so the limiter only delays it (by its lookahead)
  local seed = 12345
  local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 end
  local noise = U.signal(R, function() return (rnd() * 2 - 1) * 0.17 end)
  U.write_wav(U.path("noise.wav"), R, {noise, noise})
  local out = render("null", {rate = R, tracks = {
    {name = "n", file = "noise.wav",
     chain = function(x) return x:limiter{ceiling = 0, lookahead = 5} end,
     sends = { {to = "dry", tap = "input", level = 0} }}},
    buses = { {name = "dry"} }})
  check("null test: output as long as the input", out.frames == R, out.frames)
  local worst = 0
  for c = 1, 2 do
    for i = 1, out.frames do
      local d = math.abs(out[c][i] - 2 * noise[i])
      if d > worst then worst = d end
    end
  end
  check("null test: limiter path + dry path = 2 x input, residual below -100 dB", U.db(worst) < -100,
        string.format("%.1f dB", U.db(worst)))
  print(string.format("     null residual peak %.1f dBFS", U.db(worst)))
  -- the same without compensation would comb: prove the limiter has latency
  local g = md.graph{rate = R}
  local lim = g:file(U.path("noise.wav")):limiter{ceiling = 0, lookahead = 5}
  lim:write(U.path("lim.wav"))
  g:compile()
  check("the limiter's latency is real (240 frames at 48 kHz)", lim:latency() == 240, lim:latency())
end

-- --- a send to a reverb return adds a tail -----------------------------------------------
do
  local seed = 7
  local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 end
  local burst = U.signal(R, function(k) return k < R // 2 and (rnd() * 2 - 1) * 0.3 or 0 end)
  U.write_wav(U.path("burst.wav"), R, {burst, burst})
  local dry = render("dry", {rate = R, tracks = { {name = "b", file = "burst.wav"} }})
  local _, dry_tail = U.levels(dry[1], R // 2 + 4800, R)
  check("without a send: the output ends with the input (1 s) and is silent after the burst",
        dry.frames == R and dry_tail < -140, string.format("%d frames, %.1f dB", dry.frames, dry_tail))
  local wet = render("wet", {rate = R, tracks = {
    {name = "b", file = "burst.wav", sends = { {to = "verb", level = -6} }}},
    buses = { {name = "verb", chain = function(x) return x:reverb{decay = 1.5, mix = 1} end} }})
  local _, after = U.levels(wet[1], R // 2 + 4800, R)
  local _, beyond = U.levels(wet[1], R + 1, math.min(wet.frames, R + R // 2))
  check("with a reverb send: the output runs past the input's end (tail rendered)", wet.frames > R + R // 2, wet.frames)
  check("reverb tail after the burst is audible (> -60 dB RMS)", after > -60, after)
  check("reverb tail continues after the input's end (> -90 dB RMS)", beyond > -90, beyond)
end

-- --- pre/post-fader sends, buses, pan law ---------------------------------------------
do
  local function spec(pre)
    return {rate = R, tracks = { {name = "b", file = "b.wav", volume = -120,
                                  sends = { {to = "r", level = 0, pre = pre} }} },
            buses = { {name = "r"} }}
  end
  local pre = levels(render("pre", spec(true)))
  local post = levels(render("post", spec(false)))
  check("pre-fader send ignores the fader (-120 dB): tone at its level", near(pre.b, U.db(0.1), 0.01), pre.b)
  check("post-fader send follows the fader: tone gone", post.b < -100, post.b)

  local bus = levels(render("bus", {rate = R, tracks = {
    {name = "a", file = "a.wav", bus = "g1"}, {name = "c", file = "c.wav", bus = "g2", volume = -3}},
    buses = { {name = "g1", volume = -6, bus = "g2"}, {name = "g2", volume = -2} }}))
  check("nested buses: a through g1 (-6) and g2 (-2): -8 dB", near(bus.a, U.db(0.2) - 8, 0.02), bus.a)
  check("c: its fader (-3) and g2 (-2): -5 dB", near(bus.c, U.db(0.05) - 5, 0.02), bus.c)

  local mono = U.signal(R, function(k) return 0.1 * math.sin(2 * math.pi * 500 * k / R) end)
  U.write_wav(U.path("mono.wav"), R, {mono})
  local out = render("panlaw", {rate = R, tracks = { {name = "m", file = "mono.wav"} }})
  check("a mono track at the center: -3.01 dB on each side (constant power)",
        near(U.tone_db(out[1], R, 500, 4801, 43200) - U.db(0.1), 20 * math.log(math.cos(math.pi / 4), 10), 0.02)
        and out[1][1000] == out[2][1000])
  local st = render("widthpan", {rate = R, tracks = { {name = "a", file = "a.wav", pan = 1, width = 0} }})
  check("stereo track panned hard right: left silent", U.levels(st[1]) < -100, U.levels(st[1]))
end

-- --- master section --------------------------------------------------------------------
do
  local out = levels(render("master", {rate = R, tracks = { {name = "a", file = "a.wav"} },
                                       master = {volume = -6, chain = function(x) return x:gain{db = -4} end}}))
  check("master chain and volume: -10 dB", near(out.a, U.db(0.2) - 10, 0.02), out.a)
  local t = render("target", {rate = R, tracks = { {name = "a", file = "a.wav"} }, master = {target = -23}})
  check("master target -23 LUFS is reached", near(md.analyze(U.path("target.wav")).integrated_lufs, -23, 0.1),
        md.analyze(U.path("target.wav")).integrated_lufs)
  local ok, presets = pcall(require, "mixdown.presets")
  if not (ok and type(presets) == "table" and presets.load) then
    U.checkerr("master.preset without the presets module says so", "this build has no mastering presets",
      function() render("x", {rate = R, tracks = { {name = "a", file = "a.wav"} }, master = {preset = "pop"}}) end)
  end
end

-- --- errors -------------------------------------------------------------------------------
local function bad(spec) return function() S.check(spec, {file = "bad.lua", dir = U.dir}) end end
U.checkerr("unknown track key suggests", "^bad%.lua: track 'a': unknown key 'volumne' %(did you mean 'volume'%?%)$",
  bad{tracks = { {name = "a", file = "a.wav", volumne = -3} }})
U.checkerr("unknown session key", "^bad%.lua: unknown key 'track' %(did you mean 'tracks'%?%)$",
  bad{track = {}})
U.checkerr("a send to a missing bus", "^bad%.lua: track 'a': send 1: 'verbb' is not a bus or return %(did you mean 'verb'%?%)$",
  bad{tracks = { {name = "a", file = "a.wav", sends = { {to = "verbb"} }} }, buses = { {name = "verb"} }})
U.checkerr("a missing bus", "^bad%.lua: track 'a': bus 'grp' does not exist",
  bad{tracks = { {name = "a", file = "a.wav", bus = "grp"} }})
U.checkerr("a missing stem names the file", "^bad%.lua: track 'a': .*nothere%.wav",
  bad{tracks = { {name = "a", file = "nothere.wav"} }})
U.checkerr("two tracks with one name", "two tracks named 'a'",
  bad{tracks = { {name = "a", file = "a.wav"}, {name = "a", file = "b.wav"} }})
U.checkerr("no tracks", "^bad%.lua: no tracks", bad{tracks = {}})
U.checkerr("width on a mono track", "width needs a stereo track",
  bad{tracks = { {name = "m", file = "mono.wav", width = 1.2} }})
U.checkerr("buses in a loop", "buses feed each other in a loop: ",
  function()
    local s = S.check({tracks = { {name = "a", file = "a.wav", bus = "x"} },
                       buses = { {name = "x", bus = "y"}, {name = "y", sends = { {to = "x"} }} }},
                      {file = "bad.lua", dir = U.dir})
    S.build(s)
  end)
U.checkerr("a chain step with a bad parameter names track and step",
  "^bad%.lua: track 'a': chain step 2: compressor: ratio must be >= 1",
  function()
    local s = S.check({tracks = { {name = "a", file = "a.wav",
                                   chain = { {"highpass", freq = 30}, {"compressor", ratio = 0.5} }} }},
                      {file = "bad.lua", dir = U.dir})
    S.build(s)
  end)
-- tracks as a table keyed by name
do
  local out = levels(render("keyed", {rate = R, tracks = {a = {file = "a.wav", volume = -6}, c = {file = "c.wav"}}}))
  check("tracks keyed by name work like a list", near(out.a, U.db(0.2) - 6, 0.02) and near(out.c, U.db(0.05), 0.02))
end

U.finish()
