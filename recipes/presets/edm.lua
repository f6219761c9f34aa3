-- edm: a huge mono low end, a wide bright top, dense and loud.
--
-- What it does, in order:
--   1. a steep 25 Hz high-pass (24 dB/octave): below it is rumble that
--      only eats the limiter's headroom on a club system;
--   2. tone: +1.5 dB of sub at 45 Hz, 2 dB out of 350 Hz (the boxy region
--      synths and pads fill up), +2.5 dB of top above 9 kHz;
--   3. three-band compression (120 Hz, 2.5 kHz): the low band held at 5:1
--      with a fast release so the kick and bass sit at one level, the top
--      compressed quickly against harshness;
--   4. a hard clipper before the limiter, as EDM is commonly mastered:
--      clipping the kick's short peaks buys loudness without pumping;
--   5. stereo, last, so the clipper cannot put side content back into the
--      low end: the side below 160 Hz removed (a Linkwitz-Riley crossover:
--      the side is 6 dB down at 160 Hz, 12 dB at 120 Hz, 34 dB at 60 Hz,
--      so the band below 120 Hz is mono to within measurement), the sides
--      above it raised 20..40 %: wide on headphones, mono-safe and
--      phase-coherent on a club's subs.
--
-- Loudness: -11.5 LUFS at intensity 0 to -8.5 LUFS at 1 (-10 by default).
--
-- Intent in figures (the demo song, default intensity): crest factor 2.5 to
-- 9 dB lower than the input's, spectral tilt 0..+0.65 dB/octave, loudness
-- range 20..100 % of the input's; L/R correlation below 120 Hz >= 0.99.
local function lerp(a, b, t) return a + (b - a) * t end

return {
  name = "edm",
  description = "Huge mono low end, wide bright top, dense and loud: bass mono below 160 Hz, band compression and a clipper.",
  params = {
    intensity = {default = 0.5, min = 0, max = 1, unit = "", doc = "how hard it works: band compression, clipping, width and loudness"},
    bass_mono = {default = 160, min = 120, max = 300, unit = "Hz", doc = "everything below this is made mono (Linkwitz-Riley: -6 dB of side here)"},
  },
  build = function(x, p)
    local i = p.intensity
    x = x:highpass{freq = 25, order = 4}
    x = x:eq{
      {type = "lowshelf", freq = 45, gain = 1.5, q = 0.9},
      {type = "bell", freq = 350, gain = -2.0, q = 0.8},
      {type = "highshelf", freq = 9000, gain = 2.5},
    }
    x = x:multiband{
      crossovers = { {freq = 120}, {freq = 2500} },
      bands = {
        {threshold = lerp(-14, -24, i), ratio = 5, attack = 5, release = 50, knee = 4},
        {threshold = lerp(-12, -18, i), ratio = 2, attack = 10, release = 80, knee = 6},
        {threshold = lerp(-18, -28, i), ratio = 3, attack = 2, release = 40, knee = 4},
      },
    }
    x = x:saturate{type = "hard", drive = lerp(4, 12, i)}
    if x:channels() == 2 then x = x:width{amount = lerp(1.2, 1.4, i), bass_mono = p.bass_mono} end
    return x
  end,
  target = function(p) return -11.5 + 3 * p.intensity end,
  ceiling = -1,
  intent = {crest = {-9, -2.5}, tilt = {0, 0.65}, lra = {0.2, 1.0}},
}
