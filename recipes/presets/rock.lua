-- rock: thick, glued and midrange-forward, with the drums still hitting.
--
-- What it does, in order:
--   1. a 30 Hz high-pass: rock lives above the sub-bass, and the headroom is
--      better spent on the kick's body and the guitars;
--   2. tone: +1 dB of kick body at 90 Hz, 1.5 dB out of the boxy 400 Hz
--      region, +2 dB of guitar and snare bite around 1.8 kHz (broad), +1 dB
--      of cymbal sheen above 9 kHz;
--   3. a bus compressor in the manner of a console's: peak detection, 4:1,
--      10 ms attack and a quick 80 ms release, so it pumps slightly with the
--      drums and glues the band into one performance; blended in parallel
--      (60..85 % wet) so the transients of the dry path survive;
--   4. tape saturation, half blended: harmonic density that makes the mix
--      sound louder and thicker before the limiter has to work.
--   No stereo processing: a rock mix's width is the guitars' panning.
--
-- Loudness: -12 LUFS at intensity 0 to -9 LUFS at 1 (-10.5 by default).
--
-- Intent in figures (the demo song, default intensity): crest factor 1.5
-- to 7 dB lower than the input's, spectral tilt -0.2..+0.35 dB/octave
-- (mid-forward bite and cymbal sheen), loudness range 40..100 %.
local function lerp(a, b, t) return a + (b - a) * t end

return {
  name = "rock",
  description = "Thick, glued, mid-forward rock master: console-style bus compression and tape density.",
  params = {
    intensity = {default = 0.5, min = 0, max = 1, unit = "", doc = "how hard it works: bus compression, saturation and loudness"},
    drive = {default = 0, min = -6, max = 6, unit = "dB", doc = "extra tape drive on top of what intensity gives"},
  },
  build = function(x, p)
    local i = p.intensity
    x = x:highpass{freq = 30, order = 2}
    x = x:eq{
      {type = "bell", freq = 90, gain = 1.0, q = 0.9},
      {type = "bell", freq = 400, gain = -1.5, q = 1.1},
      {type = "bell", freq = 1800, gain = 2.0, q = 0.7},
      {type = "highshelf", freq = 9000, gain = 1.0},
    }
    x = x:compressor{threshold = lerp(-8, -16, i), ratio = 4, attack = 10, release = 80, knee = 4,
                     mix = lerp(0.5, 0.8, i)}
    x = x:saturate{type = "tape", drive = math.max(0, lerp(4, 12, i) + p.drive), mix = 0.6}
    return x
  end,
  target = function(p) return -12 + 3 * p.intensity end,
  ceiling = -1,
  intent = {crest = {-7, -1.5}, tilt = {-0.2, 0.35}, lra = {0.4, 1.0}},
}
