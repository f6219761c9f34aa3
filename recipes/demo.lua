-- demo.lua - the built-in demo song: four stems (drums, bass, chords, lead)
-- synthesized from mixdown's own generators and mixed with its processors.
-- It is also the project's test and benchmark material, at any length.
--
--   mixdown run recipes/demo.lua [-o demo.wav] [--seconds 30] [--rate 44100]
--                                [--stems DIR] [--seed 1]
--
-- 120 BPM in A minor, a four-chord loop (Am F C G). Nothing is random unless
-- seeded: the same arguments render the same bytes.
local md = require "mixdown"

local opts = {out = "demo.wav", seconds = 30, rate = 44100, stems = nil, seed = 1, bits = 24}
do
  local a = arg or {}
  local i = 1
  while i <= #a do
    local k, v = a[i], a[i + 1]
    if k == "-o" or k == "--out" then opts.out = v; i = i + 2
    elseif k == "--seconds" then opts.seconds = tonumber(v); i = i + 2
    elseif k == "--rate" then opts.rate = tonumber(v); i = i + 2
    elseif k == "--stems" then opts.stems = v; i = i + 2
    elseif k == "--seed" then opts.seed = tonumber(v); i = i + 2
    elseif k == "--bits" then opts.bits = v == "32f" and v or tonumber(v); i = i + 2
    else error("demo: unknown option '" .. tostring(k) .. "' (options: -o FILE, --seconds N, --rate HZ, --stems DIR, --seed N, --bits 16|24|32|32f)", 0) end
  end
  if not opts.seconds or opts.seconds <= 0 then error("demo: --seconds must be a positive number", 0) end
end

local bpm = 120
local beat = 60 / bpm
local bar = 4 * beat
local length = opts.seconds

-- a small seeded generator (LCG) so the melody is the same every time
local state = opts.seed * 2654435761 % 4294967296
local function rand(n)
  state = (state * 1664525 + 1013904223) % 4294967296
  return state % n
end

local function hz(midi) return 440 * 2 ^ ((midi - 69) / 12) end

-- Am, F, C, G as MIDI notes (root in the bass octave, triad in the middle)
local progression = {
  {root = 45, triad = {57, 60, 64}},
  {root = 41, triad = {57, 60, 65}},
  {root = 48, triad = {55, 60, 64}},
  {root = 43, triad = {55, 59, 62}},
}
local scale = {57, 59, 60, 62, 64, 65, 67, 69, 71, 72, 74, 76}

local kick, snare, hat, bass, chords, lead = {}, {}, {}, {}, {}, {}
local t, n = 0, 0
while t < length do
  local chord = progression[(n % #progression) + 1]
  for b = 0, 3 do
    local tb = t + b * beat
    -- arrangement: a two-bar intro of chords alone, then every eight bars a
    -- two-bar breakdown without kick, snare and bass (loudness range to measure)
    local full = n >= 2 and (n % 8) < 6
    if tb < length and full then
      kick[#kick + 1] = {tb, 0.3, 50, 1.0}
      if b == 1 or b == 3 then snare[#snare + 1] = {tb, 0.2, 180, 0.9} end
      -- bass: eighth notes on the root, an octave jump on the off-beat of 4
      bass[#bass + 1] = {tb, beat / 2 * 0.9, hz(chord.root), 0.9}
      bass[#bass + 1] = {tb + beat / 2, beat / 2 * 0.9, hz(chord.root + (b == 3 and 12 or 0)), 0.7}
    end
    if tb < length and n >= 1 then
      for h = 0, 1 do
        hat[#hat + 1] = {tb + h * beat / 2, 0.05, 8000, h == 0 and 0.7 or 0.45}
      end
    end
  end
  for _, m in ipairs(chord.triad) do
    chords[#chords + 1] = {t, bar * 0.95, hz(m), 0.5}
  end
  -- lead: from the second loop on, a seeded phrase of eighths and quarters
  if n >= 4 then
    local tl = t
    while tl < t + bar - 1e-9 do
      local dur = (rand(3) == 0) and beat or beat / 2
      if rand(5) > 0 then
        lead[#lead + 1] = {tl, dur * 0.85, hz(scale[rand(#scale) + 1] + 12), 0.6 + rand(4) / 10}
      end
      tl = tl + dur
    end
  end
  t = t + bar
  n = n + 1
end
local function trim(notes)
  local out = {}
  for _, x in ipairs(notes) do if x[1] < length then out[#out + 1] = x end end
  return out
end

-- tails = false: the mix lasts exactly --seconds (the echo and reverb are cut there)
local g = md.graph{rate = opts.rate, tails = false}
local dur = length

local drums = g:mix{
  {g:synth{wave = "kick", notes = kick, db = -6, duration = dur}:pan{pos = 0}, gain = 0},
  {g:synth{wave = "snare", notes = snare, db = -13, duration = dur, seed = opts.seed}:pan{pos = 0.05}, gain = 0},
  {g:synth{wave = "hat", notes = hat, db = -20, duration = dur, seed = opts.seed + 1}:pan{pos = 0.3}, gain = 0},
}
local bass_stem = g:synth{wave = "saw", notes = bass, db = -7, cutoff = 900, attack = 3, decay = 120,
                          sustain = 0.6, release = 40, duration = dur}
                   :highpass{freq = 35}
                   :eq{ {type = "bell", freq = 250, gain = -2, q = 1.2} }
                   :pan{pos = 0}
-- chords: two detuned layers panned apart, so the pad is wide (decorrelated L/R)
local function pad(detune, seed, pos)
  return g:synth{wave = "saw", notes = chords, db = -13, cutoff = 2500, detune = detune,
                 attack = 80, decay = 400, sustain = 0.7, release = 300, seed = seed,
                 duration = dur}:pan{pos = pos}
end
local chord_stem = g:mix{ pad(7, opts.seed + 2, -0.7), pad(-11, opts.seed + 3, 0.7) }
                    :highpass{freq = 150}
                    :eq{ {type = "highshelf", freq = 6000, gain = -3} }
local lead_dry = g:synth{wave = "square", notes = trim(lead), db = -15, cutoff = 4000, attack = 5,
                         decay = 150, sustain = 0.5, release = 120, duration = dur}
                  :highpass{freq = 200}
                  :pan{pos = -0.2}
-- a dotted-eighth echo (3/4 of a beat) under the lead
local lead_stem = g:mix{ lead_dry, {lead_dry:delay{ms = 0.75 * beat * 1000, feedback = 0.3, mix = 1}, gain = -12} }

local stems = {drums = drums, bass = bass_stem, chords = chord_stem, lead = lead_stem}
-- a reverb return fed by the chords, the lead and a little snare
local verb = g:mix{ {chord_stem, gain = -6}, {lead_stem, gain = -8}, {drums, gain = -18} }
              :reverb{decay = 2.2, predelay = 25, damping = 0.4, mix = 1}
              :highpass{freq = 200}
local mix = g:mix{ {drums, gain = -2}, {bass_stem, gain = -1}, {chord_stem, gain = -3}, {lead_stem, gain = -2},
                   {verb, gain = -10} }
   :eq{ {type = "lowshelf", freq = 80, gain = 1}, {type = "highshelf", freq = 10000, gain = 1} }
   :gain{db = -3}

mix:write(opts.out, {bits = opts.bits})
if opts.stems then
  for name, node in pairs(stems) do
    node:write(opts.stems .. "/" .. name .. ".wav", {bits = 24})
  end
end
g:run()
io.stderr:write(string.format("demo: wrote %s (%g s at %g Hz)%s\n", opts.out, length, opts.rate,
                              opts.stems and (", stems in " .. opts.stems) or ""))
