-- pop: polished, bright and forward, with a controlled, steady low end.
--
-- What it does, in order:
--   1. a 28 Hz high-pass: sub-sonic energy eats headroom and does nothing
--      on earbuds or phones, where most pop is heard;
--   2. a broad tonal move: a little weight at 90 Hz, 1.5 dB out of the
--      250 Hz "mud" region, a gentle 3 kHz presence lift for the vocal, and
--      an air shelf at 11 kHz that grows with intensity;
--   3. three-band compression (crossovers 140 Hz and 3.5 kHz): the low band
--      is held steady so the kick and bass sit at one level through the
--      song, the mids are only touched lightly, the top is compressed
--      quickly so the added air never turns into harshness;
--   4. an RMS bus compressor (1.3:1 to 1.8:1, 30 ms attack) for glue: it
--      rides the average level and lets the drums' transients through;
--      then a soft clipper that rounds off the first milliseconds of the
--      drums, which the limiter would otherwise duck the whole mix for;
--   5. a touch of width (the sides +10..+25 %), the low end kept mono
--      below 100 Hz so it stays centred and vinyl/phone-safe.
--   The final gain and true-peak limiter come from `master`.
--
-- Loudness: -13 LUFS at intensity 0 up to -10 LUFS at 1 (-11.5 by
-- default), loud enough to sit with contemporary pop without flattening it.
--
-- Intent in figures (the demo song, default intensity): crest factor 2 to
-- 7 dB lower than the input's, the spectrum tilted brighter (+0.03 to
-- +0.4 dB/octave), loudness range kept to 45..100 % of the input's.
local function lerp(a, b, t) return a + (b - a) * t end
-- gain reduction of a compressor's static curve at a level (dB): its makeup
-- keeps the working level, so the stages after it see what they expect
local function makeup(threshold, ratio, level)
  return level > threshold and (level - threshold) * (1 - 1 / ratio) or 0
end

return {
  name = "pop",
  description = "Polished, bright, forward pop master: steady low end, airy top, glued and loud.",
  params = {
    intensity = {default = 0.5, min = 0, max = 1, unit = "", doc = "how hard it works: compression depth, air and loudness"},
    air = {default = 1.5, min = -3, max = 6, unit = "dB", doc = "high shelf at 11 kHz, added to what intensity gives"},
    width = {default = 1.15, min = 0.5, max = 1.6, unit = "", doc = "side level at intensity 0.5 (1 = unchanged)"},
  },
  build = function(x, p)
    local i = p.intensity
    x = x:highpass{freq = 28, order = 2}
    x = x:eq{
      {type = "lowshelf", freq = 90, gain = 1.0},
      {type = "bell", freq = 250, gain = -1.5, q = 1.0},
      {type = "bell", freq = 3000, gain = lerp(0.5, 1.5, i), q = 0.8},
      {type = "highshelf", freq = 11000, gain = p.air + lerp(-0.5, 1.5, i)},
    }
    x = x:multiband{
      crossovers = { {freq = 140}, {freq = 3500} },
      bands = {
        {threshold = lerp(-12, -20, i), ratio = lerp(1.3, 2.2, i), attack = 25, release = 160, knee = 6},
        {threshold = lerp(-10, -16, i), ratio = lerp(1.1, 1.5, i), attack = 20, release = 120, knee = 6},
        {threshold = lerp(-20, -28, i), ratio = lerp(1.3, 2.5, i), attack = 3, release = 60, knee = 6},
      },
    }
    local t, r = lerp(-14, -20, i), lerp(1.3, 1.8, i)
    x = x:compressor{detector = "rms", threshold = t, ratio = r, attack = 30, release = 250, knee = 8,
                     makeup = makeup(t, r, -20)}
    x = x:saturate{type = "soft", drive = lerp(2, 6, i)}
    if x:channels() == 2 then
      x = x:width{amount = p.width + lerp(-0.05, 0.1, i), bass_mono = 100}
    end
    return x
  end,
  target = function(p) return -13 + 3 * p.intensity end,
  ceiling = -1,
  intent = {crest = {-7, -2}, tilt = {0.03, 0.4}, lra = {0.45, 1.0}},
}
