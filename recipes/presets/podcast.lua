-- podcast: a voice that is clear, even and comfortable at -16 LUFS.
--
-- What it does, in order:
--   1. an 80 Hz high-pass: handling noise, desk thumps, plosive "p"s and
--      the boom of a close microphone are all below it, no voice is;
--   2. tone: 2 dB out of 200 Hz (the boxy, proximity-effect region), +2 dB
--      of intelligibility at 3 kHz, +1 dB of air above 10 kHz;
--   3. a de-esser at 6.5 kHz, split band: the presence lift and the later
--      compression both bring sibilance forward, so it is tamed first;
--   4. leveling: an RMS compressor (2:1 up to 4:1, 10 ms attack, 300 ms
--      release) that evens out a speaker who leans in and out and two
--      speakers of different loudness;
--   5. a limiter 14..8 dB above the working loudness for the laughs and
--      shouts the leveler lets through: the peak-to-loudness ratio of a
--      voice comes down to what earbuds on a bus can reproduce, and the
--      final limiter barely works.
--
-- Loudness: -16 LUFS integrated, -1 dBTP: Apple Podcasts' and the AES's
-- recommendation (TD1004) for spoken word on mobile devices.
--
-- The leveler's makeup gain is its static reduction at a voice's RMS at the
-- working level (-22 dBFS), so the limiter's ceiling sits where intended.
--
-- Intent in figures (the demo song, default intensity): crest factor within
-- -1.5..+2.5 dB of the input's (the 80 Hz high-pass takes the bass's energy
-- out of the RMS, the limiter the peaks), spectral tilt +0.3..+0.9
-- dB/octave (thinner, more present), loudness range 10..60 % of the
-- input's (leveled).
local function lerp(a, b, t) return a + (b - a) * t end
-- gain reduction of a compressor's static curve at a level (dB): its makeup
-- keeps the working level, so the stages after it see what they expect
local function makeup(threshold, ratio, level)
  return level > threshold and (level - threshold) * (1 - 1 / ratio) or 0
end

return {
  name = "podcast",
  description = "Spoken word at -16 LUFS: de-essed, leveled, present and clear.",
  params = {
    intensity = {default = 0.5, min = 0, max = 1, unit = "", doc = "how hard it works: leveling depth, de-essing and peak control"},
    presence = {default = 2, min = 0, max = 6, unit = "dB", doc = "bell at 3 kHz (intelligibility)"},
  },
  build = function(x, p)
    local i = p.intensity
    x = x:highpass{freq = 80, order = 2}
    x = x:eq{
      {type = "bell", freq = 200, gain = -2, q = 1.0},
      {type = "bell", freq = 3000, gain = p.presence, q = 1.0},
      {type = "highshelf", freq = 10000, gain = 1.0},
    }
    x = x:deesser{freq = 6500, threshold = -30, range = lerp(4, 10, i), mode = "split"}
    local t, r = lerp(-22, -32, i), lerp(2, 4, i)
    x = x:compressor{detector = "rms", threshold = t, ratio = r, attack = 10, release = 300, knee = 6,
                     makeup = makeup(t, r, -22)}
    x = x:limiter{ceiling = lerp(-4, -10, i), release = 60}
    return x
  end,
  target = -16,
  ceiling = -1,
  intent = {crest = {-1.5, 2.5}, tilt = {0.3, 0.9}, lra = {0.1, 0.6}},
}
