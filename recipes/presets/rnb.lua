-- rnb: warm, smooth and silky; deep low end, soft highs, gentle dynamics.
--
-- What it does, in order:
--   1. a 25 Hz high-pass, nothing steeper: R&B bass lines are deep;
--   2. tone: +1.5 dB of warmth below 80 Hz, a little out of 350 Hz, 1 dB
--      out of the 4.5 kHz region where vocals and hi-hats turn harsh, and a
--      silk shelf above 14 kHz: soft but open;
--   3. a de-esser at 7 kHz (split band, 2..6 dB): the silk shelf must not
--      lift the vocal's sibilance;
--   4. an RMS compressor with a slow attack and a long release (40 ms,
--      300 ms, soft 10 dB knee): it breathes with the song instead of
--      grabbing at the drums, the glue of an opto compressor;
--   5. tube saturation, a third blended: even harmonics, warmth without
--      grit.
--
-- Loudness: -13 LUFS at intensity 0 to -10 LUFS at 1 (-11.5 by default).
--
-- Intent in figures (the demo song, default intensity): crest factor 1 to
-- 6 dB lower than the input's, spectral tilt -0.35..+0.1 dB/octave (warmer,
-- softer top), loudness range 35..100 % of the input's.
local function lerp(a, b, t) return a + (b - a) * t end
-- gain reduction of a compressor's static curve at a level (dB): its makeup
-- keeps the working level, so the stages after it see what they expect
local function makeup(threshold, ratio, level)
  return level > threshold and (level - threshold) * (1 - 1 / ratio) or 0
end

return {
  name = "rnb",
  description = "Warm, smooth, silky R&B master: opto-style slow compression, de-essing and tube warmth.",
  params = {
    intensity = {default = 0.5, min = 0, max = 1, unit = "", doc = "how hard it works: compression, de-essing, warmth and loudness"},
    warmth = {default = 1.5, min = 0, max = 4, unit = "dB", doc = "low shelf at 80 Hz"},
  },
  build = function(x, p)
    local i = p.intensity
    x = x:highpass{freq = 25, order = 2}
    x = x:eq{
      {type = "lowshelf", freq = 80, gain = p.warmth, q = 0.7},
      {type = "bell", freq = 350, gain = -0.8, q = 1.0},
      {type = "bell", freq = 4500, gain = -1.0, q = 1.2},
      {type = "highshelf", freq = 14000, gain = 1.5},
    }
    x = x:deesser{freq = 7000, threshold = -32, range = lerp(2, 6, i), mode = "split"}
    local t, r = lerp(-16, -24, i), lerp(1.4, 2.2, i)
    x = x:compressor{detector = "rms", threshold = t, ratio = r, attack = 40, release = 300, knee = 10,
                     makeup = makeup(t, r, -20)}
    x = x:saturate{type = "tube", drive = lerp(3, 9, i), mix = 0.5}
    return x
  end,
  target = function(p) return -13 + 3 * p.intensity end,
  ceiling = -1,
  intent = {crest = {-6, -1}, tilt = {-0.35, 0.1}, lra = {0.35, 1.0}},
}
