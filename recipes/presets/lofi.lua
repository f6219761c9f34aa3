-- lofi: dusty, warm and narrow, as if played back from worn tape.
--
-- What it does, in order:
--   1. band-limiting: a 90 Hz high-pass and a low-pass that closes from
--      11 kHz (intensity 0) to 6.5 kHz (intensity 1); the missing octaves
--      are most of the "old" sound;
--   2. tone: +1 dB of low-mid warmth at 180 Hz, a 1.5 dB honk at 900 Hz,
--      1 dB out of 3 kHz: a small speaker's midrange;
--   3. tape saturation driven hard (4..12 dB, mostly wet): soft, rounded
--      transients and odd harmonics;
--   4. an RMS compressor at 3:1 with a 250 ms release that is allowed to
--      pump a little with the beat;
--   5. the stereo image narrowed (sides at 85..60 %).
--
-- Loudness: -15 LUFS at intensity 0 to -12 LUFS at 1 (-13.5 by default):
-- lo-fi is background music, never smashed.
--
-- Intent in figures (the demo song, default intensity): crest factor 0.5 to
-- 7 dB lower than the input's, spectral tilt -0.6..0 dB/octave (darker, and
-- band-limited at both ends), loudness range 10..60 % of the input's (it
-- pumps with the beat and levels the song).
local function lerp(a, b, t) return a + (b - a) * t end
-- gain reduction of a compressor's static curve at a level (dB): its makeup
-- keeps the working level, so the stages after it see what they expect
local function makeup(threshold, ratio, level)
  return level > threshold and (level - threshold) * (1 - 1 / ratio) or 0
end

return {
  name = "lofi",
  description = "Dusty, warm, narrow lo-fi master: band-limited, tape-saturated, gently pumping.",
  params = {
    intensity = {default = 0.5, min = 0, max = 1, unit = "", doc = "how hard it works: darker, more saturated, narrower, louder"},
    narrow = {default = 0.72, min = 0, max = 1, unit = "", doc = "side level at intensity 0.5 (1 = unchanged, 0 = mono)"},
  },
  build = function(x, p)
    local i = p.intensity
    x = x:highpass{freq = 90, order = 2}
    x = x:lowpass{freq = lerp(11000, 6500, i), order = 2}
    x = x:eq{
      {type = "lowshelf", freq = 180, gain = 1.0, q = 0.7},
      {type = "bell", freq = 900, gain = 1.5, q = 0.7},
      {type = "bell", freq = 3000, gain = -1.0, q = 1.0},
    }
    x = x:saturate{type = "tape", drive = lerp(4, 12, i), mix = lerp(0.5, 0.9, i)}
    local t = lerp(-20, -30, i)
    x = x:compressor{detector = "rms", threshold = t, ratio = 3, attack = 15, release = 250, knee = 6,
                     makeup = makeup(t, 3, -20)}
    if x:channels() == 2 then
      x = x:width{amount = math.max(0, math.min(2, p.narrow + lerp(0.13, -0.12, i)))}
    end
    return x
  end,
  target = function(p) return -15 + 3 * p.intensity end,
  ceiling = -1,
  intent = {crest = {-7, -0.5}, tilt = {-0.6, 0}, lra = {0.1, 0.6}},
}
