-- classical: acoustic music kept as it was played; only its peaks managed.
--
-- What it does, in order:
--   1. a subsonic 18 Hz high-pass: footfalls, air conditioning and
--      handling noise, nothing musical;
--   2. tone barely touched: a broad 1.5 dB out of 200 Hz (the hall's
--      boom, which a close listener does not hear) and +1.5 dB of air above
--      10 kHz (a microphone's distance, given back);
--   3. peak control only: a lookahead compressor with a high threshold,
--      0.5 ms attack and a 200 ms release. It acts on the few loudest
--      transients (timpani, a fortissimo tutti), never on the level of a
--      passage, so the loudness range, the music's dynamics, is kept; what
--      it saves in peak level lets the piece sit a little louder without the
--      limiter acting.
--
-- Loudness: -20 LUFS at intensity 0 to -16 LUFS at 1 (-18 by default):
-- classical recordings are delivered quieter, with room for their
-- dynamics.
--
-- Intent in figures (the demo song, default intensity): crest factor 0.5 to
-- 5 dB lower than the input's, spectral tilt 0..+0.45 dB/octave (the boom
-- out, the air in), loudness range 50..105 % of the input's: the demo's
-- drums make every beat a "transient" for the peak control. On acoustic
-- music the loudness range stays at 70 % or more (tested on the acoustic
-- test piece: 90 %).
local function lerp(a, b, t) return a + (b - a) * t end

return {
  name = "classical",
  description = "Gentle master for acoustic music: peak control only, loudness range kept.",
  params = {
    intensity = {default = 0.5, min = 0, max = 1, unit = "", doc = "how hard it works: how far down the peak control reaches, and loudness"},
  },
  build = function(x, p)
    local i = p.intensity
    x = x:highpass{freq = 18, order = 2}
    x = x:eq{
      {type = "bell", freq = 200, gain = -1.5, q = 0.8},
      {type = "highshelf", freq = 10000, gain = 1.5},
    }
    x = x:compressor{threshold = lerp(-6, -16, i), ratio = 3, attack = 0.5, release = 200, knee = 6,
                     lookahead = 3}
    return x
  end,
  target = function(p) return -20 + 4 * p.intensity end,
  ceiling = -1,
  intent = {crest = {-5, -0.5}, tilt = {0, 0.45}, lra = {0.5, 1.05}},
}
