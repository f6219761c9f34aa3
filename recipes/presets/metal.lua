-- metal: tight, aggressive and dense, with a controlled low end.
--
-- What it does, in order:
--   1. a steep 35 Hz high-pass (24 dB/octave): down-tuned guitars and fast
--      double kicks smear into mud below it;
--   2. tone: kick body at 70 Hz, a 2.5 dB scoop around 450 Hz where
--      distorted guitars pile up, +1.5 dB of pick attack at 3.5 kHz, and a
--      17 kHz low-pass to take the fizz off the cymbals and the distortion;
--   3. four-band compression (120 Hz, 500 Hz, 4 kHz): the lows are held
--      on a short leash (4:1, fast release) so a blast beat cannot make the
--      low end pump; the high band is compressed hardest so the top never
--      gets shrill at loudness;
--   4. a hard clipper (saturate, hard curve): it shaves the snare and kick
--      peaks that would otherwise drive the limiter into audible pumping;
--      modern metal masters are loud, and clipping a few dB of peaks is
--      cleaner than limiting them.
--
-- Loudness: -11.5 LUFS at intensity 0 to -8.5 LUFS at 1 (-10 by default).
--
-- Intent in figures (the demo song, default intensity): crest factor 2 to
-- 9 dB lower than the input's, the spectrum tilted brighter by -0.05..+0.5
-- dB/octave (the scoop and the clipper's harmonics move energy up), loudness
-- range 35..100 % of the input's.
local function lerp(a, b, t) return a + (b - a) * t end

return {
  name = "metal",
  description = "Tight, scooped, dense metal master: four-band control and a peak clipper, loud.",
  params = {
    intensity = {default = 0.5, min = 0, max = 1, unit = "", doc = "how hard it works: band compression, clipping and loudness"},
    scoop = {default = 2.5, min = 0, max = 6, unit = "dB", doc = "cut around 450 Hz where distorted guitars pile up"},
  },
  build = function(x, p)
    local i = p.intensity
    x = x:highpass{freq = 35, order = 4}
    x = x:eq{
      {type = "bell", freq = 70, gain = 1.5, q = 1.4},
      {type = "bell", freq = 450, gain = -p.scoop, q = 0.9},
      {type = "bell", freq = 3500, gain = 1.5, q = 1.0},
      {type = "lowpass", freq = 17000},
    }
    x = x:multiband{
      crossovers = { {freq = 120}, {freq = 500}, {freq = 4000} },
      bands = {
        {threshold = lerp(-14, -22, i), ratio = 4, attack = 8, release = 70, knee = 4},
        {threshold = lerp(-14, -20, i), ratio = 2.5, attack = 15, release = 100, knee = 4},
        {threshold = lerp(-14, -20, i), ratio = 2, attack = 10, release = 90, knee = 4},
        {threshold = lerp(-20, -30, i), ratio = 3, attack = 3, release = 50, knee = 4},
      },
    }
    x = x:saturate{type = "hard", drive = lerp(4, 12, i)}
    return x
  end,
  target = function(p) return -11.5 + 3 * p.intensity end,
  ceiling = -1,
  intent = {crest = {-9, -2}, tilt = {-0.05, 0.5}, lra = {0.35, 1.0}},
}
