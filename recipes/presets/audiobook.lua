-- audiobook: a narration that passes ACX's audio submission requirements.
--
-- ACX (Audible) checks three figures on every file: RMS between -23 and
-- -18 dBFS, sample peaks at or below -3 dBFS, and a noise floor (the room
-- tone between phrases) at or below -60 dBFS. `master` aims at -20 dBFS RMS
-- under a -3 dB peak ceiling (the audiobook-acx platform); this chain makes
-- the three fit together:
--   1. a steep 80 Hz high-pass (24 dB/octave): rumble and HVAC hum raise the
--      measured noise floor without being heard as voice;
--   2. a downward expander just above the room tone: between phrases the
--      noise is pushed 10..25 dB further down (ratio 2..4), so raising the
--      voice to -20 dB RMS cannot lift the floor over -60 dBFS; its 200 ms
--      release lets word endings decay naturally;
--   3. tone: 1.5 dB out of 180 Hz (chestiness), +1.5 dB at 3.5 kHz for
--      clarity, a little off the top (ACX listeners wear headphones for
--      hours; a soft top tires less);
--   4. a de-esser at 6 kHz;
--   5. a gentle RMS leveler (2:1..3:1, slow) for a consistent read;
--   6. a limiter 13..8 dB above the working loudness: narration has 20 dB
--      and more between its peaks and its RMS, ACX allows 17 (-3 dBFS over
--      -20 dB RMS), and the final limiter should not be the one doing it.
--
-- Intent in figures (the demo song, default intensity): crest factor within
-- -2..+1.5 dB of the input's (RMS -20 and peaks at -3 allow 17 dB), spectral
-- tilt +0.25..+0.85 dB/octave (the steep 80 Hz high-pass), loudness range
-- 10..60 % of the input's (leveled).
local function lerp(a, b, t) return a + (b - a) * t end
-- gain reduction of a compressor's static curve at a level (dB): its makeup
-- keeps the working level, so the stages after it see what they expect
local function makeup(threshold, ratio, level)
  return level > threshold and (level - threshold) * (1 - 1 / ratio) or 0
end

return {
  name = "audiobook",
  description = "Narration to ACX: RMS -23..-18 dB, peaks <= -3 dBFS, noise floor <= -60 dB.",
  params = {
    intensity = {default = 0.5, min = 0, max = 1, unit = "", doc = "how hard it works: noise expansion, leveling and peak control"},
    floor = {default = -40, min = -70, max = -20, unit = "dB", doc = "expander threshold (peak dBFS at the -18 LUFS working level): just above the room tone"},
  },
  build = function(x, p)
    local i = p.intensity
    x = x:highpass{freq = 80, order = 4}
    x = x:expander{threshold = p.floor, ratio = lerp(2, 4, i), range = lerp(12, 25, i), attack = 2,
                   release = 200, mode = "down"}
    x = x:eq{
      {type = "bell", freq = 180, gain = -1.5, q = 1.0},
      {type = "bell", freq = 3500, gain = 1.5, q = 1.2},
      {type = "highshelf", freq = 12000, gain = -1.0},
    }
    x = x:deesser{freq = 6000, threshold = -28, range = lerp(4, 8, i), mode = "split"}
    local t, r = lerp(-24, -32, i), lerp(2, 3, i)
    x = x:compressor{detector = "rms", threshold = t, ratio = r, attack = 15, release = 250, knee = 6,
                     makeup = makeup(t, r, -22)}
    x = x:limiter{ceiling = lerp(-5, -10, i), release = 40}
    return x
  end,
  platform = "audiobook-acx",
  intent = {crest = {-2, 1.5}, tilt = {0.25, 0.85}, lra = {0.1, 0.6}},
}
