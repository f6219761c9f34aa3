-- hiphop: a heavy, mono sub, punchy drums and a clear vocal band.
--
-- What it does, in order:
--   1. a 22 Hz high-pass only: the 808 lives at 30..60 Hz and must stay;
--   2. tone: +3 dB of sub weight (shelf at 55 Hz), 1.5 dB out of 220 Hz
--      so the low end is deep rather than boomy, +1 dB at 2.5 kHz for the
--      vocal's diction, 1.5 dB off the top above 10 kHz: hats and vocal
--      sibilance stay smooth against the heavy bottom;
--   3. a punch compressor: peak detection, 3:1, a slow 35 ms attack that
--      lets each kick and snare through before clamping, and a fast 60 ms
--      release that recovers before the next hit: the drums get bigger
--      than the sustained parts;
--   4. a soft clipper (cubic curve): the rounded tops add loudness and a
--      little grit, the way hip-hop masters are often clipped into;
--   5. everything below 90 Hz made mono: the sub must be identical on
--      both sides for clubs, cars and mono phone speakers.
--
-- Loudness: -12 LUFS at intensity 0 to -9 LUFS at 1 (-10.5 by default).
--
-- Intent in figures (the demo song, default intensity): crest factor 2 to
-- 8 dB lower than the input's, spectral tilt -0.2..+0.35 dB/octave (the sub
-- shelf and the softer top balance the clipper's added harmonics), loudness
-- range 25..90 % of the input's (punch and clipping, not dynamics).
local function lerp(a, b, t) return a + (b - a) * t end

return {
  name = "hiphop",
  description = "Heavy mono sub, punchy drums, clear vocal band: slow-attack punch compression and a soft clipper.",
  params = {
    intensity = {default = 0.5, min = 0, max = 1, unit = "", doc = "how hard it works: punch compression, clipping and loudness"},
    sub = {default = 3, min = 0, max = 6, unit = "dB", doc = "low shelf at 55 Hz (the 808's weight)"},
  },
  build = function(x, p)
    local i = p.intensity
    x = x:highpass{freq = 22, order = 2}
    x = x:eq{
      {type = "lowshelf", freq = 55, gain = p.sub, q = 0.8},
      {type = "bell", freq = 220, gain = -1.5, q = 1.0},
      {type = "bell", freq = 2500, gain = 1.0, q = 1.0},
      {type = "highshelf", freq = 10000, gain = -1.5},
    }
    x = x:compressor{threshold = lerp(-10, -18, i), ratio = 3, attack = 35, release = 60, knee = 4}
    x = x:saturate{type = "soft", drive = lerp(4, 12, i)}
    if x:channels() == 2 then x = x:width{amount = 1, bass_mono = 90} end
    return x
  end,
  target = function(p) return -12 + 3 * p.intensity end,
  ceiling = -1,
  intent = {crest = {-8, -2}, tilt = {-0.2, 0.35}, lra = {0.25, 0.9}},
}
